"""Engagement, advocacy and risk scores with their reasons, and the stages that follow from them."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select

from community.dbtypes import utcnow
from community.extensions import db as _db
from community.members.models import Role
from crm_bridge.models import CrmProfile, FeedbackItem, FeedbackKind, TimelineEvent
from crm_bridge.scores import compute, compute_many
from crm_bridge.services import ensure_profile


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


def test_scores_of_many_members_at_once_equal_each_members_own(app, make):
    """compute_many (a batch of vote effects refreshes every member it touched) gives each member exactly the
    scores compute gives them alone, in two statements for any number of members."""
    grumpy, helper, ivy, quiet, asker = (make.member(name) for name in ("grumpy", "helper", "ivy", "quiet", "asker"))
    thread = make.thread(author=asker, body="How do I pair the camera?")
    for text in ("This update is terrible, my camera is broken.", "Awful support, nobody answers me."):
        make.post(thread, author=grumpy, body=text)
    make.post(thread, author=ivy, body="Hold the button for five seconds, then pair it again.")
    give_history(helper, "answer_accepted", 2)
    give_history(helper, "vote_received", 3, value=1)
    give_history(helper, "vote_received", 1, value=-1)
    give_history(ivy, "vote_given", 4, value=1)
    complaint = make.thread(author=grumpy, body="The app loses my settings every day.")
    _db.session.add(FeedbackItem(thread_id=complaint.id, member_id=grumpy.id, kind=FeedbackKind.complaint,
                                 created_at=utcnow() - timedelta(days=3)))
    _db.session.commit()
    members = (grumpy, helper, ivy, quiet, asker)
    profiles = [ensure_profile(member) for member in members]
    alone = {profile.member_id: compute(profile) for profile in profiles}
    statements = []
    engine = _db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        together = compute_many(profiles)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 2
    assert together == alone
    assert "3 of their last five posts read negative." in alone[grumpy.id].risk.reasons  # the cases differ
    assert alone[helper.id].advocacy.value > 0 and alone[ivy.id].advocacy.value > 0
    assert len({(s.engagement.value, s.advocacy.value, s.risk.value) for s in alone.values()}) >= 4
    assert _db.session.scalar(select(CrmProfile.id).where(CrmProfile.member_id == quiet.id)) is not None
