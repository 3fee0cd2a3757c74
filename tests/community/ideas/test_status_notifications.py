"""A status change is heard: voters and followers are notified, idea_status_changed is sent, and a
failed change announces nothing."""
from __future__ import annotations

from community.extensions import db as _db
from community.forum.models import IdeaStatus
from community.ideas import services as ideas
from community.notifications import services as notifications
from community.signals import idea_status_changed
from tests.community.ideas.conftest import change, idea_notes, text_of, vote

# ---- notifications and the signal --------------------------------------------------------------

def test_voters_and_followers_are_notified_of_a_change(client, auth, make, board, staff):
    author = make.member("author")
    idea = make.thread(board=board, author=author, title="Offline maps")
    up, down, follower, bystander = make.member("upper"), make.member("down"), make.member("follower"), make.member("bystander")
    vote(up, idea, 1)
    vote(down, idea, -1)
    notifications.follow_thread(follower, idea)
    _db.session.commit()
    auth.login(staff)
    assert change(client, idea, status="planned", reason="On the roadmap for May.").status_code == 302
    for member in (author, up, down, follower):
        assert idea_notes(member) == [{"status": "planned", "previous": "open", "reason": "On the roadmap for May.",
                                       "duplicate_of_id": None}], member.username
    assert idea_notes(bystander) == [] and idea_notes(staff) == []
    auth.logout()
    auth.login(down)
    page = text_of(client.get("/notifications"))
    assert "pmgr set the idea Offline maps to Planned : On the roadmap for May." in page.replace("“", "").replace("”", "") \
        or ("pmgr set the idea Offline maps to Planned" in page and "On the roadmap for May." in page)


def test_voters_of_a_duplicate_hear_of_the_merge(client, auth, make, board, staff):
    dup, original = make.thread(board=board), make.thread(board=board)
    fan = make.member("fanny")
    vote(fan, dup, 1)
    auth.login(staff)
    assert change(client, dup, status="duplicate", duplicate_of=str(original.id)).status_code == 302
    assert idea_notes(fan) == [{"status": "duplicate", "previous": "open", "reason": "",
                                "duplicate_of_id": original.id}]


def test_nobody_is_notified_and_no_signal_sent_when_a_change_fails(client, auth, make, board, staff):
    idea = make.thread(board=board)
    vote(make.member("fanny"), idea, 1)
    sent = []
    def heard(sender, **kw):
        sent.append(sender.id)

    auth.login(staff)
    with idea_status_changed.connected_to(heard):
        assert change(client, idea, status="declined").status_code == 422
        assert change(client, idea, status="duplicate", duplicate_of=str(idea.id)).status_code == 422
    assert idea_notes(idea.author) == [] and sent == []


def test_idea_status_changed_is_announced_with_who_what_and_why(make, board, staff):
    idea, original = make.thread(board=board), make.thread(board=board)
    heard = []

    def listener(sender, **kw):
        heard.append((sender.id, kw["by"].id, kw["previous"], kw["status"], kw["reason"],
                      kw["duplicate_of"].id if kw["duplicate_of"] else None))

    idea_status_changed.connect(listener)
    try:
        ideas.change_idea_status(staff, idea, "under_review", "Checking.")
        ideas.change_idea_status(staff, idea, IdeaStatus.duplicate, duplicate_of=original)
        _db.session.commit()
    finally:
        idea_status_changed.disconnect(listener)
    assert heard == [(idea.id, staff.id, IdeaStatus.open, IdeaStatus.under_review, "Checking.", None),
                     (idea.id, staff.id, IdeaStatus.under_review, IdeaStatus.duplicate, "", original.id)]
