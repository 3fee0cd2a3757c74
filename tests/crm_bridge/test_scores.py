"""Engagement, advocacy and risk scores with their reasons, and the stages that follow from them."""
from __future__ import annotations

from community.extensions import db as _db
from community.members.models import Role
from crm_bridge.models import TimelineEvent


def give_history(member, kind, count, **data):
    for _ in range(count):
        _db.session.add(TimelineEvent(member_id=member.id, kind=kind, data=data))
    _db.session.commit()


def test_accepted_answers_make_an_advocate_with_the_reason_shown(client, auth, make):
    helper = make.member("helper")
    give_history(helper, "answer_accepted", 5)
    auth.login(make.member("sam", role=Role.staff))
    page = client.get("/crm/members/helper").get_data(as_text=True)
    assert "Advocate" in page and "5 accepted answers, 0 upvotes received" in page


def test_a_negative_streak_puts_a_member_at_risk_and_the_list_filters_on_it(client, auth, make):
    grumpy, happy = make.member("grumpy"), make.member("happy")
    thread = make.thread(author=happy, body="Loving the new firmware, great job!")
    for text in ("This update is terrible, my camera is broken.", "Awful support, nobody answers me.",
                 "Still broken, I am really angry now."):
        make.post(thread, author=grumpy, body=text)
    auth.login(make.member("sam", role=Role.staff))
    page = client.get("/crm/members/grumpy").get_data(as_text=True)
    assert "At risk" in page and "3 of their last five posts read negative." in page
    client.get("/crm/members/happy")
    listed = client.get("/crm/members?min_risk=50").get_data(as_text=True)
    assert "@grumpy" in listed and "@happy" not in listed
    assert client.get("/crm/members?min_risk=lots").status_code == 400


def test_engagement_counts_recent_activity_and_members_see_their_scores(client, auth, make):
    ivy = make.member("ivy")
    thread = make.thread(author=ivy)
    for n in range(12):
        make.post(thread, author=ivy, body=f"Update {n}: tried another channel, still testing.")
    auth.login(ivy)
    page = client.get("/me/data").get_data(as_text=True)
    # one opening post (4 points) and twelve replies (3 each), all recent: (4 + 36) x 2 = 80
    assert "13 posts in the last 30 days, 13 in 90 days" in page and "80 / 100" in page
