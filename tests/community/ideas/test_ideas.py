"""Idea boards in the open: staff-set public statuses, merged duplicates, notifications, lists, roadmap."""
from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update

from community.dbtypes import utcnow
from community.extensions import db as _db
from community.forum.models import BoardKind, IdeaStatus, Post, Thread, Visibility
from community.ideas import services as ideas
from community.ideas.models import IdeaStatusEvent
from community.members.models import Role
from community.notifications import services as notifications
from community.notifications.models import Notification
from community.permissions import can_change_idea_status
from community.signals import idea_status_changed, thread_locked
from community.votes.models import Vote
from community.votes.services import cast_vote
from tests.conftest import csrf_token_from

JSON = {"Accept": "application/json"}
ALL_STATUSES = [s.value for s in IdeaStatus]


# ---- helpers -----------------------------------------------------------------------------------

def idea_board(make, visibility=Visibility.public, **kwargs):
    return make.board(kind=BoardKind.idea, visibility=visibility, **kwargs)


def opening(thread) -> Post:
    return _db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))


def vote(member, thread, value: int) -> None:
    cast_vote(member, opening(thread), value)
    _db.session.commit()


def fresh(thread) -> Thread:
    _db.session.expire_all()
    return _db.session.get(Thread, thread.id)


def votes_on(thread) -> dict[str, int]:
    """{username: value} of the votes on an idea's opening post, from the vote rows."""
    from community.members.models import Member

    rows = _db.session.execute(select(Member.username, Vote.value).join(Vote, Vote.member_id == Member.id)
                               .where(Vote.post_id == opening(thread).id))
    return dict(rows.all())


def stored_score(thread) -> tuple[int, int, int]:
    """(thread score, opening post score, sum of the vote rows) as the database has them."""
    post = opening(thread)
    thread_score = _db.session.scalar(select(Thread.score).where(Thread.id == thread.id))
    post_score = _db.session.scalar(select(Post.score).where(Post.id == post.id))
    total = _db.session.scalar(select(func.coalesce(func.sum(Vote.value), 0)).where(Vote.post_id == post.id))
    return thread_score, post_score, total


def events_of(thread) -> list[IdeaStatusEvent]:
    return list(_db.session.scalars(select(IdeaStatusEvent).where(IdeaStatusEvent.thread_id == thread.id)
                                    .order_by(IdeaStatusEvent.id)))


def idea_notes(member) -> list[dict]:
    return [n for (n,) in _db.session.execute(
        select(Notification.data).where(Notification.member_id == member.id, Notification.kind == "idea_status")
        .order_by(Notification.id))]


def count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def text_of(response) -> str:
    """The page as a reader sees it: markup dropped, whitespace folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def change(client, thread, json=False, **data):
    if json:
        return client.post(f"/t/{thread.id}/idea-status", json=data, headers=JSON)
    return client.post(f"/t/{thread.id}/idea-status", data=data)


def snapshot(*threads):
    """Everything a status change may write: statuses, locks, scores, vote rows, events, notifications."""
    _db.session.expire_all()
    return ([(t.id, fresh(t).idea_status, fresh(t).locked_at, stored_score(t), votes_on(t)) for t in threads],
            count(IdeaStatusEvent), count(Notification))


@pytest.fixture
def page_queries(app):
    """Like `count_queries`, but only the statements of this thread: the requests of the test client run
    here, while background workers (the search index writer) query from their own threads."""

    @contextmanager
    def counter():
        statements: list[str] = []
        me = threading.get_ident()

        def record(conn, cursor, statement, parameters, context, executemany):
            if threading.get_ident() == me and not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK|PRAGMA)", statement, re.I):
                statements.append(statement)

        event.listen(_db.engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(_db.engine, "before_cursor_execute", record)

    return counter


@pytest.fixture
def staff(make):
    return make.member("pmgr", role=Role.staff)


@pytest.fixture
def board(make):
    return idea_board(make, name="Ideas")


# ---- who may change a status ---------------------------------------------------------------------

@pytest.mark.parametrize("role,html_status,json_status", [
    (None, 302, 401), (Role.member, 403, 403), (Role.moderator, 403, 403), (Role.staff, 302, 200), (Role.admin, 302, 200),
])
def test_only_staff_change_an_ideas_status(client, auth, make, board, role, html_status, json_status):
    idea = make.thread(board=board, title="Dark mode")
    if role is not None:
        auth.login(make.member(role=role))
    form = client.get(f"/t/{idea.id}/idea-status")
    assert form.status_code == (200 if role in (Role.staff, Role.admin) else html_status)
    response = change(client, idea, status="planned", reason="Next quarter.")
    assert response.status_code == html_status
    expected = IdeaStatus.planned if html_status == 302 and role is not None else IdeaStatus.open
    assert fresh(idea).idea_status is expected
    if role is None:
        assert "/login" in response.headers["Location"]
    as_json = change(client, idea, json=True, status="in_progress")
    assert as_json.status_code == json_status
    if json_status != 200:
        assert as_json.get_json()["error"]["code"] in ("unauthorized", "forbidden")
        assert fresh(idea).idea_status is expected
    else:
        assert as_json.get_json()["thread"]["idea_status"] == "in_progress"
    page = client.get(f"/t/{idea.id}").get_data(as_text=True)
    assert ("Change status" in page) is (role in (Role.staff, Role.admin))


@pytest.mark.parametrize("role,visibility,deleted,kind,allowed", [
    (None, Visibility.public, False, BoardKind.idea, False),
    (Role.member, Visibility.public, False, BoardKind.idea, False),
    (Role.moderator, Visibility.public, False, BoardKind.idea, False),
    (Role.staff, Visibility.public, False, BoardKind.idea, True),
    (Role.staff, Visibility.members, False, BoardKind.idea, True),
    (Role.staff, Visibility.staff, False, BoardKind.idea, True),
    (Role.admin, Visibility.staff, False, BoardKind.idea, True),
    (Role.staff, Visibility.public, True, BoardKind.idea, False),
    (Role.staff, Visibility.public, False, BoardKind.discussion, False),
    (Role.staff, Visibility.public, False, BoardKind.question, False),
])
def test_change_idea_status_truth_table(make, role, visibility, deleted, kind, allowed):
    board = make.board(kind=kind, visibility=visibility)
    thread = make.thread(board=board)
    if deleted:
        thread.deleted_at = utcnow()
        _db.session.commit()
    if role is None:
        from flask_login import AnonymousUserMixin
        member = AnonymousUserMixin()
    else:
        member = make.member(role=role)
    assert can_change_idea_status(member, thread) is allowed


def test_member_cannot_reach_the_form_of_an_idea_on_a_staff_board(client, auth, make):
    idea = make.thread(board=idea_board(make, Visibility.staff))
    auth.login(make.member())
    assert client.get(f"/t/{idea.id}/idea-status").status_code == 404
    assert change(client, idea, status="planned").status_code == 404
    assert fresh(idea).idea_status is IdeaStatus.open


# ---- each status, shown in the thread ----------------------------------------------------------

@pytest.mark.parametrize("status,label", [("under_review", "Under review"), ("planned", "Planned"),
                                          ("in_progress", "In progress"), ("shipped", "Shipped")])
def test_staff_sets_a_status_and_the_thread_shows_who_and_why(client, auth, make, board, staff, status, label):
    idea = make.thread(board=board, title="Export to CSV")
    auth.login(staff)
    response = change(client, idea, status=status, reason="We looked at the numbers.")
    assert response.status_code == 302 and f"/t/{idea.id}#idea-event-" in response.headers["Location"]
    assert fresh(idea).idea_status is IdeaStatus(status)
    [event] = events_of(idea)
    assert (event.by_id, event.previous, event.status, event.reason) == (
        staff.id, IdeaStatus.open, IdeaStatus(status), "We looked at the numbers.")
    client.get("/logout")
    auth.logout()
    page = text_of(client.get(f"/t/{idea.id}"))  # a guest reads the history
    assert f"pmgr changed the status from Open to {label}" in page
    assert "We looked at the numbers." in page
    assert f'idea-status-{status.replace("_", "-")}' in client.get(f"/t/{idea.id}").get_data(as_text=True)


def test_every_change_stays_in_the_history_oldest_first(client, auth, make, board, staff):
    idea = make.thread(board=board)
    auth.login(staff)
    for status, reason in [("under_review", "Looking."), ("planned", "Q3."), ("in_progress", ""), ("shipped", "In 5.4")]:
        assert change(client, idea, status=status, reason=reason).status_code == 302
    page = text_of(client.get(f"/t/{idea.id}"))
    steps = ["from Open to Under review", "from Under review to Planned", "from Planned to In progress",
             "from In progress to Shipped"]
    positions = [page.index(step) for step in steps]
    assert positions == sorted(positions)
    assert [e.status.value for e in events_of(idea)] == ["under_review", "planned", "in_progress", "shipped"]


def test_declining_needs_a_public_reason(client, auth, make, board, staff):
    idea = make.thread(board=board, title="Blockchain everything")
    voter = make.member()
    vote(voter, idea, 1)
    auth.login(staff)
    before = snapshot(idea)
    for reason in ("", "   \n  "):
        response = change(client, idea, status="declined", reason=reason)
        assert response.status_code == 422
        assert "Declining an idea needs a reason" in text_of(response)
        assert snapshot(idea) == before
    as_json = change(client, idea, json=True, status="declined")
    assert as_json.status_code == 422
    error = as_json.get_json()["error"]
    assert error["code"] == "validation_failed" and "reason" in error["fields"] and error["message"]
    assert snapshot(idea) == before
    assert change(client, idea, status="declined", reason="Not a fit for the product.").status_code == 302
    assert fresh(idea).idea_status is IdeaStatus.declined
    assert "Not a fit for the product." in text_of(client.get(f"/t/{idea.id}"))


@pytest.mark.parametrize("raw", ["shipped-ish", "", "OPEN", "7"])
def test_unknown_status_is_a_form_error_and_a_json_error(client, auth, make, board, staff, raw):
    idea = make.thread(board=board)
    auth.login(staff)
    before = snapshot(idea)
    response = change(client, idea, status=raw)
    assert response.status_code == 422 and "Choose one of the listed statuses." in text_of(response)
    as_json = change(client, idea, json=True, status=raw)
    assert as_json.status_code == 422
    assert as_json.get_json()["error"]["fields"]["status"] == "Choose one of the listed statuses."
    assert snapshot(idea) == before


def test_json_that_is_not_an_object_is_refused_cleanly(client, auth, make, board, staff):
    idea = make.thread(board=board)
    auth.login(staff)
    response = client.post(f"/t/{idea.id}/idea-status", data="[1, 2]", content_type="application/json", headers=JSON)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "validation_failed"


def test_setting_the_same_status_again_is_refused(client, auth, make, board, staff):
    idea = make.thread(board=board)
    auth.login(staff)
    assert change(client, idea, status="planned").status_code == 302
    response = change(client, idea, status="planned", reason="again")
    assert response.status_code == 422 and "already has this status" in text_of(response)
    assert len(events_of(idea)) == 1


def test_a_too_long_reason_is_refused(app, client, auth, make, board, staff):
    idea = make.thread(board=board)
    auth.login(staff)
    limit = app.config["IDEA_REASON_MAX_LENGTH"]
    response = change(client, idea, status="declined", reason="x" * (limit + 1))
    assert response.status_code == 422 and f"at most {limit} characters" in text_of(response)
    assert fresh(idea).idea_status is IdeaStatus.open and events_of(idea) == []


def test_status_change_needs_a_csrf_token(app, client, auth, make, board, staff):
    idea = make.thread(board=board)
    auth.login(staff)
    app.config["WTF_CSRF_ENABLED"] = True
    forged = change(client, idea, status="planned")
    assert forged.status_code == 400 and "form expired" in forged.get_data(as_text=True)
    as_json = change(client, idea, json=True, status="planned")
    assert as_json.status_code == 400 and as_json.get_json()["error"]["code"] == "csrf_failed"
    assert fresh(idea).idea_status is IdeaStatus.open and events_of(idea) == []
    token = csrf_token_from(client.get(f"/t/{idea.id}").get_data(as_text=True))
    assert change(client, idea, status="planned", csrf_token=token).status_code == 302
    assert fresh(idea).idea_status is IdeaStatus.planned


# ---- duplicates -------------------------------------------------------------------------------

def test_merging_a_duplicate_carries_votes_over_counting_each_member_once(client, auth, make, board, staff):
    alice, bob = make.member("alice"), make.member("bob")
    dup = make.thread(board=board, author=alice, title="Night theme")
    original = make.thread(board=board, author=bob, title="Dark mode")
    u1, u2, u3, u4, u5 = (make.member(f"user{i}") for i in range(1, 6))
    vote(u1, dup, 1)                          # only on the duplicate: moves over
    vote(u2, dup, 1), vote(u2, original, 1)   # on both, same way: counted once
    vote(u3, dup, -1)                         # a downvote moves as a downvote
    vote(u4, dup, -1), vote(u4, original, 1)  # on both, differently: the vote on the original stands
    vote(bob, dup, 1)                         # the original's author cannot vote on their own idea
    vote(u5, original, 1)                     # only on the original
    assert stored_score(dup)[0] == 1 and stored_score(original)[0] == 3

    auth.login(staff)
    response = change(client, dup, json=True, status="duplicate", duplicate_of=str(original.id),
                      reason="Same request.")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["thread"]["idea_status"] == "duplicate" and body["event"]["votes_carried"] == 2
    assert body["event"]["duplicate_of"] == original.id

    assert votes_on(original) == {"user1": 1, "user2": 1, "user3": -1, "user4": 1, "user5": 1}
    assert votes_on(dup) == {}
    assert stored_score(original) == (3, 3, 3)  # thread, opening post and vote rows agree
    assert stored_score(dup) == (0, 0, 0)
    per_member = _db.session.execute(select(Vote.member_id, func.count()).join(Post, Post.id == Vote.post_id)
                                     .where(Post.thread_id.in_([dup.id, original.id])).group_by(Vote.member_id))
    assert all(n == 1 for _, n in per_member)
    [event] = events_of(dup)
    assert (event.status, event.duplicate_of_id, event.votes_carried, event.reason) == (
        IdeaStatus.duplicate, original.id, 2, "Same request.")


def test_carried_votes_keep_working_as_votes_on_the_original(client, auth, make, board, staff):
    dup, original = make.thread(board=board), make.thread(board=board)
    fan = make.member("fanny")
    vote(fan, dup, 1)
    auth.login(staff)
    assert change(client, dup, status="duplicate", duplicate_of=f"#{original.id}").status_code == 302
    vote(fan, original, 0)  # taking back the carried vote works like any vote
    assert votes_on(original) == {} and stored_score(original) == (0, 0, 0)
    vote(fan, original, -1)
    assert stored_score(original) == (-1, -1, -1)


def test_a_duplicate_is_closed_and_points_to_the_original(client, auth, make, board, staff):
    dup = make.thread(board=board, title="Night theme")
    original = make.thread(board=board, title="Dark mode")
    vote(make.member(), dup, 1)
    locks = []
    def heard(sender, **kw):
        locks.append((sender.id, kw["locked"]))

    auth.login(staff)
    link = f"https://localhost/t/{original.id}/dark-mode"
    with thread_locked.connected_to(heard):
        assert change(client, dup, status="duplicate", duplicate_of=link).status_code == 302
    assert fresh(dup).is_locked and fresh(dup).idea_status is IdeaStatus.duplicate
    assert (dup.id, True) in locks
    assert "idea-duplicate-note" in client.get(f"/t/{dup.id}").get_data(as_text=True)
    page = text_of(client.get(f"/t/{dup.id}"))
    assert f"Duplicate of #{original.id} Dark mode" in page
    assert f"Merged into #{original.id} Dark mode · 1 vote carried over" in page
    assert "This thread is closed to new replies." in page
    replier = make.member("late")
    auth.logout()
    auth.login(replier)
    assert client.post(f"/t/{dup.id}/reply", data={"body": "Me too!"}).status_code == 403
    assert fresh(dup).reply_count == 0


def test_reopening_a_duplicate_opens_the_thread_but_the_votes_stay_with_the_original(client, auth, make, board, staff):
    dup, original = make.thread(board=board), make.thread(board=board)
    vote(make.member("fanny"), dup, 1)
    auth.login(staff)
    assert change(client, dup, status="duplicate", duplicate_of=str(original.id)).status_code == 302
    assert change(client, dup, status="open", reason="Not the same after all.").status_code == 302
    dup = fresh(dup)
    assert dup.idea_status is IdeaStatus.open and not dup.is_locked
    assert votes_on(original) == {"fanny": 1} and stored_score(dup) == (0, 0, 0)
    assert "idea-duplicate-note" not in client.get(f"/t/{dup.id}").get_data(as_text=True)


def test_reopening_leaves_a_moderators_lock_alone(client, auth, make, board, staff):
    from community.moderation.thread_tools import lock_thread

    dup, original = make.thread(board=board), make.thread(board=board)
    lock_thread(make.member(role=Role.moderator), dup, "Heated.")
    _db.session.commit()
    auth.login(staff)
    assert change(client, dup, status="duplicate", duplicate_of=str(original.id)).status_code == 302
    assert change(client, dup, status="open", reason="Reopened.").status_code == 302
    assert fresh(dup).is_locked and fresh(dup).locked_reason == "Heated."


@pytest.mark.parametrize("target,message", [
    ("", "Give the number or the link of the idea this one duplicates."),
    ("soon", "Give the number or the link of the idea this one duplicates."),
    ("self", "An idea cannot be a duplicate of itself."),
    ("discussion", "Only another idea can be the original of a duplicate."),
    ("missing", "There is no idea #999999 that you can see."),
    ("deleted", "that you can see."),
    ("staff-only", "merge into an idea everyone who reads this one can read"),
    ("elsewhere", "Give a link to an idea on this site."),
])
def test_a_bad_duplicate_target_is_a_clear_error_and_nothing_moves(client, auth, make, board, staff, target, message):
    dup = make.thread(board=board)
    fan = make.member("fanny")
    vote(fan, dup, 1)
    others = {
        "self": dup,
        "discussion": make.thread(board=make.board()),
        "deleted": make.thread(board=board),
        "staff-only": make.thread(board=idea_board(make, Visibility.staff)),
    }
    if target == "deleted":
        others["deleted"].deleted_at = utcnow()
        _db.session.commit()
    raw = {"missing": "999999", "elsewhere": f"https://evil.example/t/{dup.id}", "": "", "soon": "soon"}.get(target)
    raw = raw if raw is not None else str(others[target].id)
    auth.login(staff)
    before = snapshot(dup, *others.values())
    response = change(client, dup, status="duplicate", duplicate_of=raw)
    assert response.status_code == 422 and message in text_of(response)
    as_json = change(client, dup, json=True, status="duplicate", duplicate_of=raw)
    assert as_json.status_code == 422 and message in as_json.get_json()["error"]["fields"]["duplicate_of"]
    assert snapshot(dup, *others.values()) == before
    assert not fresh(dup).is_locked


def test_service_refuses_a_target_the_staffer_cannot_see(make, board, staff):
    dup = make.thread(board=board)
    hidden = make.thread(board=board)
    hidden.deleted_at = utcnow()
    _db.session.commit()
    from community.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        ideas.change_idea_status(staff, dup, IdeaStatus.duplicate, duplicate_of=hidden)
    assert "duplicate_of" in refused.value.fields
    _db.session.rollback()
    assert fresh(dup).idea_status is IdeaStatus.open


def test_duplicate_chains_and_cycles_are_refused(client, auth, make, board, staff):
    a, b, c = (make.thread(board=board, title=f"Idea {t}") for t in ("A", "B", "C"))
    vote(make.member("fanny"), a, 1)
    auth.login(staff)
    assert change(client, a, status="duplicate", duplicate_of=str(b.id)).status_code == 302
    before = snapshot(a, b, c)
    cycle = change(client, b, status="duplicate", duplicate_of=str(a.id))
    assert cycle.status_code == 422 and "That idea is itself a duplicate" in text_of(cycle)
    chain = change(client, c, json=True, status="duplicate", duplicate_of=str(a.id))
    assert chain.status_code == 422 and "itself a duplicate" in chain.get_json()["error"]["fields"]["duplicate_of"]
    assert snapshot(a, b, c) == before


def test_merging_an_idea_that_has_duplicates_carries_their_votes_on(client, auth, make, board, staff):
    a, b, c = (make.thread(board=board) for _ in range(3))
    x, y = make.member("xavi"), make.member("yuki")
    vote(x, a, 1)
    vote(y, b, 1), vote(x, b, 1)
    auth.login(staff)
    assert change(client, a, status="duplicate", duplicate_of=str(b.id)).status_code == 302
    assert change(client, b, status="duplicate", duplicate_of=str(c.id)).status_code == 302
    assert votes_on(c) == {"xavi": 1, "yuki": 1} and stored_score(c) == (2, 2, 2)
    assert stored_score(a) == (0, 0, 0) and stored_score(b) == (0, 0, 0)


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


# ---- the idea board: sorts and filters -----------------------------------------------------------

def titles(response) -> list[str]:
    return re.findall(r'class="thread-title" href="/t/\d+">([^<]+)</a>', response.get_data(as_text=True))


def test_idea_board_sorts_by_votes_trending_and_newest(client, make, board):
    old_hit = make.thread(board=board, title="Old hit")
    rising = make.thread(board=board, title="Rising")
    newest = make.thread(board=board, title="Newest")
    voters = [make.member() for _ in range(4)]
    for v in voters[:3]:
        vote(v, old_hit, 1)
    for v in voters[:2]:
        vote(v, rising, 1)
    # Old hit's votes are a month old, Rising's are fresh; creation order: Old hit, Rising, Newest.
    month_ago = utcnow() - timedelta(days=30)
    _db.session.execute(update(Vote).where(Vote.post_id == opening(old_hit).id).values(created_at=month_ago))
    for i, idea in enumerate((old_hit, rising, newest)):
        _db.session.execute(update(Thread).where(Thread.id == idea.id)
                            .values(created_at=utcnow() - timedelta(days=40 - i)))
    _db.session.commit()
    assert titles(client.get(f"/b/{board.slug}")) == ["Old hit", "Rising", "Newest"]  # votes by default
    assert titles(client.get(f"/b/{board.slug}?sort=votes")) == ["Old hit", "Rising", "Newest"]
    assert titles(client.get(f"/b/{board.slug}?sort=trending")) == ["Rising", "Old hit", "Newest"]
    assert titles(client.get(f"/b/{board.slug}?sort=new")) == ["Newest", "Rising", "Old hit"]
    page = text_of(client.get(f"/b/{board.slug}"))
    assert "Old hit Open 3 votes" in page and "Newest Open 0 votes" in page


def test_idea_board_filters_by_status_and_hides_duplicates_from_all(client, auth, make, board, staff):
    planned = make.thread(board=board, title="Planned one")
    shipped = make.thread(board=board, title="Shipped one")
    dup = make.thread(board=board, title="Dup one")
    make.thread(board=board, title="Open one")
    auth.login(staff)
    change(client, planned, status="planned")
    change(client, shipped, status="shipped")
    change(client, dup, status="duplicate", duplicate_of=str(planned.id))
    auth.logout()
    url = f"/b/{board.slug}"
    assert sorted(titles(client.get(url))) == ["Open one", "Planned one", "Shipped one"]
    assert sorted(titles(client.get(url + "?status=all"))) == ["Open one", "Planned one", "Shipped one"]
    assert titles(client.get(url + "?status=planned")) == ["Planned one"]
    assert titles(client.get(url + "?status=open")) == ["Open one"]
    assert titles(client.get(url + "?status=duplicate")) == ["Dup one"]
    assert titles(client.get(url + "?status=declined")) == []
    bad = client.get(url + "?status=someday")
    assert bad.status_code == 400 and "There is no idea status called" in text_of(bad)


def test_an_idea_without_a_status_counts_as_open(client, make, board):
    idea = make.thread(board=board, title="Moved in")
    _db.session.execute(update(Thread).where(Thread.id == idea.id).values(idea_status=None))
    _db.session.commit()
    assert titles(client.get(f"/b/{board.slug}?status=open")) == ["Moved in"]


def test_idea_board_query_count_does_not_grow_with_ideas(app, client, auth, make, board, page_queries):
    authors = [make.member() for _ in range(3)]

    def add_ideas(n):
        for i in range(n):
            idea = make.thread(board=board, author=authors[i % 3], title=f"Idea number {i}")
            if i % 2:
                vote(authors[(i + 1) % 3], idea, 1)

    def measure() -> dict[str, int]:
        counts = {}
        for sort in ("votes", "trending", "new"):
            client.get(f"/b/{board.slug}?sort={sort}")  # warm up: last-seen bookkeeping
            with page_queries() as statements:
                response = client.get(f"/b/{board.slug}?sort={sort}&status=open")
            assert response.status_code == 200
            counts[sort] = len(statements)
            counts[sort + " listed"] = len(titles(response))
            assert len(statements) <= 8, "\n".join(statements)
        return counts

    app.config["THREADS_PER_PAGE"] = 50
    auth.login(make.member("reader"))
    try:
        add_ideas(3)
        few = measure()
        add_ideas(37)
        many = measure()
    finally:
        app.config["THREADS_PER_PAGE"] = 20
    assert [few[s + " listed"] for s in ("votes", "trending", "new")] == [3, 3, 3]
    assert [many[s + " listed"] for s in ("votes", "trending", "new")] == [40, 40, 40]
    assert [few[s] for s in ("votes", "trending", "new")] == [many[s] for s in ("votes", "trending", "new")]


# ---- the roadmap -------------------------------------------------------------------------------

def section(html: str, status: str) -> str:
    """The HTML of one roadmap column (or the declined fold)."""
    ident = "roadmap-declined" if status == "declined" else f"roadmap-{status.replace('_', '-')}"
    match = re.search(rf'id="{ident}".*?</(?:section|details)>', html, re.S)
    assert match, ident
    return match.group(0)


def test_roadmap_groups_ideas_by_status(client, auth, make, board, staff):
    made = {}
    for status in ALL_STATUSES:
        made[status] = make.thread(board=board, title=f"Idea {status}")
    voters = [make.member() for _ in range(3)]
    for v in voters:
        vote(v, made["planned"], 1)
    auth.login(staff)
    for status in ("under_review", "planned", "in_progress", "shipped"):
        assert change(client, made[status], status=status).status_code == 302
    change(client, made["declined"], status="declined", reason="Out of scope for us.")
    change(client, made["duplicate"], status="duplicate", duplicate_of=str(made["open"].id))
    auth.logout()
    html = client.get("/roadmap").get_data(as_text=True)
    for status in ("under_review", "planned", "in_progress", "shipped", "declined"):
        column = section(html, status)
        assert f"Idea {status}" in column
        others = [s for s in ALL_STATUSES if s != status]
        assert not any(f"Idea {s}<" in column for s in others), status
    assert "Idea open<" not in html and "Idea duplicate<" not in html
    assert "3 votes" in section(html, "planned") and "Out of scope for us." in section(html, "declined")
    assert "1 idea" in section(html, "shipped")


def test_roadmap_respects_board_visibility(client, auth, make, staff):
    public = idea_board(make, Visibility.public)
    members = idea_board(make, Visibility.members)
    staff_only = idea_board(make, Visibility.staff)
    ideas_by_board = {"public": make.thread(board=public, title="Public plan"),
                      "members": make.thread(board=members, title="Members plan"),
                      "staff": make.thread(board=staff_only, title="Staff plan")}
    gone = make.thread(board=public, title="Deleted plan")
    for idea in [*ideas_by_board.values(), gone]:
        ideas.change_idea_status(staff, idea, "planned")
    gone.deleted_at = utcnow()
    _db.session.commit()

    def seen() -> tuple[list[str], str]:
        html = client.get("/roadmap").get_data(as_text=True)
        column = section(html, "planned")
        return sorted(re.findall(r">(\w+ plan)</a>", column)), column

    listed, column = seen()
    assert listed == ["Public plan"] and "1 idea" in column
    for role, expected in [(Role.member, ["Members plan", "Public plan"]),
                           (Role.moderator, ["Members plan", "Public plan"]),
                           (Role.staff, ["Members plan", "Public plan", "Staff plan"])]:
        auth.login(make.member(role=role))
        listed, column = seen()
        assert listed == expected, role
        assert f"{len(expected)} ideas" in column
        auth.logout()


def test_roadmap_counts_all_but_lists_a_bounded_number(app, client, make, board, staff):
    for i in range(5):
        ideas.change_idea_status(staff, make.thread(board=board, title=f"Plan {i}"), "planned")
    _db.session.commit()
    app.config["ROADMAP_IDEAS_PER_STATUS"] = 3
    try:
        column = section(client.get("/roadmap").get_data(as_text=True), "planned")
    finally:
        app.config["ROADMAP_IDEAS_PER_STATUS"] = 50
    assert "5 ideas" in column and column.count('class="roadmap-idea"') == 3 and "And 2 more." in column


def test_roadmap_query_count_does_not_grow_with_ideas(client, auth, make, page_queries, staff):
    boards = [idea_board(make, v) for v in (Visibility.public, Visibility.members)]

    def add_ideas(per_status):
        for status in ("under_review", "planned", "in_progress", "shipped", "declined"):
            for i in range(per_status):
                idea = make.thread(board=boards[i % 2], title=f"{status} idea {i}")
                ideas.change_idea_status(staff, idea, status, "Because." if status == "declined" else "")
        _db.session.commit()

    def measure(expected_ideas) -> int:
        client.get("/roadmap")  # warm up: last-seen bookkeeping
        with page_queries() as statements:
            response = client.get("/roadmap")
        assert response.status_code == 200
        assert response.get_data(as_text=True).count('class="roadmap-idea"') == expected_ideas
        assert len(statements) <= 7, "\n".join(statements)
        return len(statements)

    auth.login(make.member("reader"))
    add_ideas(1)
    few = measure(5)
    add_ideas(14)
    assert measure(75) == few


# ---- concurrency (PostgreSQL) --------------------------------------------------------------------

@pytest.mark.postgres
def test_a_merge_while_members_keep_voting_loses_nothing_and_never_deadlocks(app, make, board, staff):
    if _db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time (set TEST_DATABASE_URL=postgresql+psycopg://...)")
    from community.members.models import Member

    dup, original = make.thread(board=board), make.thread(board=board)
    members = [make.member() for _ in range(20)]
    for n, member in enumerate(members):
        if n < 15:
            vote(member, dup, 1 if n % 3 else -1)
        if n >= 10:
            vote(member, original, 1)
    ids = {"dup": dup.id, "original": original.id, "staff": staff.id}
    posts = {"dup": opening(dup).id, "original": opening(original).id}
    barrier = threading.Barrier(len(members) + 1)
    errors: list[BaseException] = []

    def voting(member_id, n):
        for round_ in range(4):
            which = "dup" if (n + round_) % 2 else "original"
            member, post = _db.session.get(Member, member_id), _db.session.get(Post, posts[which])
            cast_vote(member, post, (1, -1, 0)[(n + round_) % 3])
            _db.session.commit()

    def merging():
        actor = _db.session.get(Member, ids["staff"])
        ideas.change_idea_status(actor, _db.session.get(Thread, ids["dup"]), IdeaStatus.duplicate,
                                 duplicate_of=_db.session.get(Thread, ids["original"]))
        _db.session.commit()

    def run(job, *args):
        with app.app_context():
            try:
                barrier.wait(timeout=60)
                job(*args)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                _db.session.rollback()
            finally:
                _db.session.remove()

    workers = [threading.Thread(target=run, args=(voting, m.id, n)) for n, m in enumerate(members)]
    workers.append(threading.Thread(target=run, args=(merging,)))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert not any(worker.is_alive() for worker in workers), "someone hung"
    assert not errors, errors[:3]
    _db.session.expire_all()
    assert fresh(dup).idea_status is IdeaStatus.duplicate
    for idea in (dup, original):
        thread_score, post_score, rows = stored_score(idea)
        assert thread_score == post_score == rows, idea
