"""Trust levels: computed from activity at each boundary, the privileges they unlock, staff overrides."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from community.dbtypes import utcnow
from community.forum.models import Board, Post, Thread
from community.members.models import Member, Role
from community.notifications.models import Notification
from community.permissions import can_flag, flag_weight
from community.signals import trust_level_changed
from community.trust import services as trust
from community.trust.models import MemberStats, MemberVisit


# ---- helpers ---------------------------------------------------------------------------------

def at_level(db, member, level: int, locked: bool | None = None):
    """Put `member` at `level`; a hand-set level 3 is locked, as staff would (unlocked, the next visit
    re-evaluates it and a member who does not qualify goes back to 2)."""
    locked = level == 3 if locked is None else locked
    db.session.execute(update(Member).where(Member.id == member.id)
                       .values(trust_level=level, trust_level_locked=locked))
    db.session.commit()
    return db.session.get(Member, member.id)


def fresh(db, member) -> Member:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Member, member.id)


def give_activity(db, member, *, replies: int = 0, recent_days: int = 0, **counters):
    """Give `member` exactly these counters (MemberStats), replies and visits in the level-3 window."""
    trust.bump_stats(member.id, **counters)
    if replies:
        db.session.execute(update(Member).where(Member.id == member.id)
                           .values(post_count=Member.post_count + replies))
    today = utcnow().date()
    for n in range(recent_days):  # the day of a sign-in may be recorded already
        db.session.execute(trust._insert(MemberVisit.__table__)
                           .values(member_id=member.id, day=today - timedelta(days=n)).on_conflict_do_nothing())
    db.session.commit()
    return fresh(db, member)


LEVEL1 = dict(topics_entered=5, posts_read=30)
LEVEL2 = dict(LEVEL1, days_visited=15, posts_read=100, likes_given=1, likes_received=1, replies=3)
LEVEL3 = dict(LEVEL2, recent_days=50, days_visited=50, posts_read=500, likes_given=30, likes_received=20,
              replies=10)


def links(n: int) -> str:
    return "Have a look: " + " ".join(f"[page {i}](https://example.com/{i})" for i in range(n))


def post_count(db) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Post))


# ---- computing the level ---------------------------------------------------------------------

def test_new_member_starts_at_level_zero(make, db):
    member = make.member("newbie")
    assert member.trust_level == 0
    assert trust.compute_trust_level(member) == 0


@pytest.mark.parametrize("level, activity", [(1, LEVEL1), (2, LEVEL2), (3, LEVEL3)], ids=["tl1", "tl2", "tl3"])
def test_meeting_every_requirement_exactly_earns_the_level(make, db, level, activity):
    member = give_activity(db, make.member(), **activity)
    assert trust.compute_trust_level(member) == level
    assert trust.refresh_trust_level(member) == level
    db.session.commit()
    assert fresh(db, member).trust_level == level


@pytest.mark.parametrize("level, activity, short", [
    (1, LEVEL1, "topics_entered"), (1, LEVEL1, "posts_read"),
    (2, LEVEL2, "days_visited"), (2, LEVEL2, "posts_read"), (2, LEVEL2, "likes_given"),
    (2, LEVEL2, "likes_received"), (2, LEVEL2, "replies"),
    (3, LEVEL3, "recent_days"), (3, LEVEL3, "posts_read"), (3, LEVEL3, "likes_given"),
    (3, LEVEL3, "likes_received"), (3, LEVEL3, "replies"),
])
def test_one_short_of_any_requirement_stays_a_level_below(make, db, level, activity, short):
    activity = dict(activity, **{short: activity[short] - 1})
    member = give_activity(db, make.member(), **activity)
    assert trust.compute_trust_level(member) == level - 1


def test_a_single_flagged_post_keeps_a_member_from_level_three(make, db):
    member = give_activity(db, make.member(), flags_against=1, **LEVEL3)
    assert trust.compute_trust_level(member) == 2


def test_an_upheld_flag_takes_level_three_away_at_once(make, db):
    member = give_activity(db, make.member(), **LEVEL3)
    assert trust.refresh_trust_level(member) == 3
    assert trust.record_flag_against(member) == 2
    db.session.commit()
    assert fresh(db, member).trust_level == 2
    assert db.session.get(MemberStats, member.id).flags_against == 1


def test_visits_older_than_the_window_do_not_count_for_level_three(make, db):
    member = give_activity(db, make.member(), **dict(LEVEL3, recent_days=49))
    db.session.add(MemberVisit(member_id=member.id, day=utcnow().date() - timedelta(days=100)))
    db.session.commit()
    assert trust.compute_trust_level(member) == 2
    db.session.add(MemberVisit(member_id=member.id, day=utcnow().date() - timedelta(days=99)))
    db.session.commit()
    assert trust.compute_trust_level(member) == 3


def test_thresholds_come_from_config_also_as_json_with_string_keys(app, make, db):
    member = give_activity(db, make.member(), topics_entered=1, posts_read=2)
    saved = app.config["TRUST_LEVEL_REQUIREMENTS"]
    app.config["TRUST_LEVEL_REQUIREMENTS"] = {"1": {"topics_entered": 1, "posts_read": 2},
                                              "2": {"posts_read": 3}, "3": {"posts_read": 4}}
    try:
        assert trust.compute_trust_level(member) == 1
    finally:
        app.config["TRUST_LEVEL_REQUIREMENTS"] = saved
    assert trust.compute_trust_level(member) == 0


def test_regular_who_stops_qualifying_goes_back_to_two_never_lower(app, make, db):
    member = give_activity(db, make.member(), **LEVEL3)
    assert trust.refresh_trust_level(member) == 3
    db.session.commit()
    db.session.execute(MemberVisit.__table__.delete().where(MemberVisit.member_id == member.id))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["community", "trust", "recompute"])
    assert result.exit_code == 0, result.output
    assert "1 changed" in result.output
    assert fresh(db, member).trust_level == 2
    kinds = db.session.scalars(select(Notification.data).where(Notification.member_id == member.id,
                                                               Notification.kind == "trust_level")).all()
    assert [data["level"] for data in kinds] == [3]  # told of the promotion, not of the step back


def test_levels_one_and_two_are_kept_when_activity_counts_drop(make, db):
    member = give_activity(db, make.member(), **LEVEL2)
    assert trust.refresh_trust_level(member) == 2
    db.session.commit()
    trust.bump_stats(member.id, likes_received=-1)  # a like was retracted
    db.session.commit()
    assert trust.refresh_trust_level(fresh(db, member)) == 2


# ---- recorded on the events ------------------------------------------------------------------

def test_reading_threads_promotes_to_level_one_at_the_boundary(client, auth, make, db):
    reader = make.member("reader")
    threads = []
    for _n in range(5):
        thread = make.thread()
        for _m in range(5):
            make.post(thread)
        threads.append(thread)  # 6 posts each: 5 threads, 30 posts
    auth.login(reader)
    for thread in threads[:4]:
        client.get(f"/t/{thread.id}")
    client.get(f"/t/{threads[0].id}")  # reading a thread again counts nothing new
    assert fresh(db, reader).trust_level == 0
    stats = db.session.get(MemberStats, reader.id)
    assert (stats.topics_entered, stats.posts_read) == (4, 24)
    with captured(trust_level_changed) as seen:
        client.get(f"/t/{threads[4].id}")
    assert fresh(db, reader).trust_level == 1
    assert seen == [(reader.id, {"previous": 0, "level": 1, "by": None})]
    assert "Trust level 1" in client.get("/u/reader").get_data(as_text=True)
    page = client.get("/notifications").get_data(as_text=True)
    assert "You are now at trust level 1 (Basic member)." in page


def test_a_visit_is_counted_once_per_day(client, auth, make, db):
    member = make.member("daily")
    auth.login(member)
    client.get("/")
    client.get("/latest")
    db.session.rollback()
    assert db.session.get(MemberStats, member.id).days_visited == 1
    assert db.session.scalar(select(func.count()).select_from(MemberVisit)
                             .where(MemberVisit.member_id == member.id)) == 1


def test_upvotes_count_as_likes_given_and_received_and_retracting_takes_them_back(client, auth, make, db):
    author, voter = make.member("author"), make.member("voter")
    thread = make.thread(author=author)
    auth.login(voter)
    assert client.post(f"/p/{thread.id}/vote", data={"value": "1"}).status_code in (200, 302)
    db.session.rollback()
    assert db.session.get(MemberStats, voter.id).likes_given == 1
    assert db.session.get(MemberStats, author.id).likes_received == 1
    client.post(f"/p/{thread.id}/vote", data={"value": "0"})
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(MemberStats, voter.id).likes_given == 0
    assert db.session.get(MemberStats, author.id).likes_received == 0


def test_writing_the_third_reply_promotes_to_level_two(client, auth, make, db):
    member = give_activity(db, make.member("chatty"), **dict(LEVEL2, replies=2))
    assert trust.refresh_trust_level(member) == 1
    thread = make.thread()
    at_level(db, member, 1)
    auth.login(member)
    assert client.post(f"/t/{thread.id}/reply", data={"body": "My third reply."}).status_code == 302
    assert fresh(db, member).trust_level == 2


# ---- new members' limits ---------------------------------------------------------------------

def test_new_member_reply_with_too_many_links_is_refused_and_nothing_saved(client, auth, make, db):
    thread = make.thread()
    auth.login(make.member("fresh"))
    before = post_count(db)
    response = client.post(f"/t/{thread.id}/reply", data={"body": links(3)})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "At your trust level a post may contain at most 2 links; this one has 3." in page
    assert "https://example.com/2" in page  # what was typed is kept in the form
    assert post_count(db) == before
    assert client.post(f"/t/{thread.id}/reply", data={"body": links(2)}).status_code == 302


def test_new_member_thread_with_too_many_images_or_mentions_is_refused(client, auth, make, db):
    board = make.board(slug="talk")
    for name in ("ann", "bob", "cyd"):
        make.member(name)
    auth.login(make.member("fresh"))
    images = "![a](https://example.com/a.png) ![b](https://example.com/b.png)"
    response = client.post("/b/talk/new", data={"title": "Two pictures here", "body": images})
    assert response.status_code == 422
    assert "may contain at most 1 images; this one has 2" in response.get_data(as_text=True)
    response = client.post("/b/talk/new", data={"title": "Hello to three", "body": "@ann @bob @cyd hi"})
    assert response.status_code == 422
    assert "may mention at most 2 members; this one mentions 3" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Thread)) == 0
    assert db.session.get(Board, board.id).thread_count == 0


def test_editing_into_too_many_links_is_refused_and_the_post_unchanged(client, auth, make, db):
    member = make.member("editor")
    thread = make.thread(author=member, body="Plain text.")
    auth.login(member)
    response = client.post(f"/p/{thread.id}/edit", data={"body": links(5), "title": thread.title})
    assert response.status_code == 422 and "at most 2 links" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Post, thread.id).body_source == "Plain text."


def test_basic_members_and_moderators_are_not_held_to_new_member_limits(client, auth, make, db):
    thread = make.thread()
    auth.login(at_level(db, make.member("basic"), 1))
    assert client.post(f"/t/{thread.id}/reply", data={"body": links(5)}).status_code == 302
    auth.logout()
    auth.login(make.member("mod", role=Role.moderator))
    assert client.post(f"/t/{thread.id}/reply", data={"body": links(5)}).status_code == 302


def test_new_member_daily_post_limit(client, auth, make, db):
    member = make.member("busy")
    thread = make.thread()
    for _n in range(9):
        make.post(thread, author=member)  # operator-made posts (no request) are not limited
    auth.login(member)
    assert client.post(f"/t/{thread.id}/reply", data={"body": "Number ten."}).status_code == 302
    before = post_count(db)
    response = client.post(f"/t/{thread.id}/reply", data={"body": "Number eleven."})
    assert response.status_code == 422
    assert "you may write 10 posts a day" in response.get_data(as_text=True)
    assert post_count(db) == before
    db.session.execute(update(Post).where(Post.author_id == member.id)
                       .values(created_at=utcnow() - timedelta(days=1, minutes=1)))
    db.session.commit()
    assert client.post(f"/t/{thread.id}/reply", data={"body": "A new day."}).status_code == 302


def test_limits_and_privilege_levels_come_from_config_also_as_json(app, client, auth, make, db):
    thread = make.thread()
    saved = {key: app.config[key] for key in ("TRUST_POST_CONTENT_LIMITS", "TRUST_POSTS_PER_DAY",
                                              "TRUST_RETAG_MIN_LEVEL")}
    app.config.update(TRUST_POST_CONTENT_LIMITS={"1": {"links": 0}}, TRUST_POSTS_PER_DAY={"1": 1},
                      TRUST_RETAG_MIN_LEVEL=1)
    try:
        auth.login(at_level(db, make.member("basic"), 1))
        response = client.post(f"/t/{thread.id}/reply", data={"body": links(1)})
        assert response.status_code == 422 and "at most 0 links" in response.get_data(as_text=True)
        assert client.post(f"/t/{thread.id}/reply", data={"body": "No links."}).status_code == 302
        assert "posts a day" in client.post(f"/t/{thread.id}/reply", data={"body": "Again."}).get_data(as_text=True)
        assert client.post(f"/t/{thread.id}/tags", data={"tags": "configured"}).status_code == 302
    finally:
        app.config.update(saved)


# ---- flags -----------------------------------------------------------------------------------

@pytest.mark.parametrize("role, level, may_flag, weight", [
    (None, 0, False, 0.0),
    (Role.member, 0, False, 1.0),
    (Role.member, 1, True, 1.0),
    (Role.member, 2, True, 1.0),
    (Role.member, 3, True, 2.0),
    (Role.member, 4, True, 2.0),
    (Role.moderator, 0, True, 2.0),
    (Role.staff, 0, True, 2.0),
])
def test_flag_privilege_and_weight_by_level(make, db, role, level, may_flag, weight):
    from flask_login import AnonymousUserMixin

    thread = make.thread()
    post = db.session.get(Post, thread.id)
    member = AnonymousUserMixin() if role is None else at_level(db, make.member(role=role), level)
    assert can_flag(member, post) is may_flag
    assert flag_weight(member) == weight


def test_nobody_flags_their_own_post(make, db):
    author = at_level(db, make.member(), 3)
    post = db.session.get(Post, make.thread(author=author).id)
    assert not can_flag(author, post)


# ---- thread tools by level -------------------------------------------------------------------

def test_level_three_retags_and_the_tags_show(client, auth, make, db):
    thread = make.thread(title="Battery drains overnight")
    auth.login(at_level(db, make.member("regular"), 3))
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Thread tools" in page and "Save tags" in page and "Pin thread" not in page
    response = client.post(f"/t/{thread.id}/tags", data={"tags": "battery, firmware"})
    assert response.status_code == 302
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "The tags have been changed." in page
    assert "/tag/battery" in page and "/tag/firmware" in page


def test_level_two_cannot_retag_or_move(client, auth, make, db):
    thread = make.thread()
    other = make.board(slug="elsewhere")
    auth.login(at_level(db, make.member("member2"), 2))
    assert "Thread tools" not in client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert client.post(f"/t/{thread.id}/tags", data={"tags": "spam"}).status_code == 403
    assert client.post(f"/t/{thread.id}/move", data={"board": other.slug}).status_code == 403
    db.session.rollback()
    assert db.session.get(Thread, thread.id).tags == []
    assert db.session.get(Thread, thread.id).board_id != other.id


def test_guests_are_sent_to_sign_in_and_unseen_threads_are_404(client, auth, make, db):
    staff_board = make.board(slug="staff-room", visibility="staff")
    hidden = make.thread(board=staff_board)
    public = make.thread()
    assert client.post(f"/t/{public.id}/tags", data={"tags": "x"}).status_code == 302
    auth.login(at_level(db, make.member(), 4))
    for action in ("tags", "move", "lock", "pin"):
        assert client.post(f"/t/{hidden.id}/{action}", data={"tags": "x"}).status_code == 404


def test_level_three_moves_a_thread_to_a_board_they_can_see(client, auth, make, db):
    source, target = make.board(slug="general"), make.board(slug="help", name="Help desk")
    make.board(slug="staff-only", visibility="staff", name="Staff only")
    thread = make.thread(board=source)
    make.post(thread)
    auth.login(at_level(db, make.member("mover"), 3))
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Help desk" in page and "Staff only" not in page
    assert client.post(f"/t/{thread.id}/move", data={"board": "staff-only"}).status_code == 422
    response = client.post(f"/t/{thread.id}/move", data={"board": "help"})
    assert response.status_code == 302
    assert "The thread has been moved to Help desk." in client.get(f"/t/{thread.id}").get_data(as_text=True)
    db.session.rollback()
    source, target = db.session.get(Board, source.id), db.session.get(Board, target.id)
    assert (source.thread_count, source.post_count) == (0, 0)
    assert (target.thread_count, target.post_count) == (1, 2)
    assert db.session.get(Thread, thread.id).board_id == target.id


def test_moving_to_an_unknown_board_is_a_clear_error_as_json(client, auth, make, db):
    thread = make.thread()
    auth.login(at_level(db, make.member(), 3))
    response = client.post(f"/t/{thread.id}/move", data={"board": "nowhere"}, headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == "Please choose a board you can post in."


def test_level_four_closes_and_pins_level_three_cannot(client, auth, make, db):
    board = make.board(slug="general")
    older = make.thread(board=board, title="The pinned one")
    make.thread(board=board, title="A newer thread")
    auth.login(at_level(db, make.member("regular3"), 3))
    assert client.post(f"/t/{older.id}/lock", data={"reason": "x"}).status_code == 403
    assert client.post(f"/t/{older.id}/pin").status_code == 403
    auth.logout()

    auth.login(at_level(db, make.member("leader"), 4))
    assert client.post(f"/t/{older.id}/pin", data={"days": "7"}).status_code == 302
    listing = client.get("/b/general").get_data(as_text=True)
    assert listing.index("The pinned one") < listing.index("A newer thread")
    assert "Pinned" in listing
    assert client.post(f"/t/{older.id}/lock", data={"reason": "Solved, thanks all"}).status_code == 302
    page = client.get(f"/t/{older.id}").get_data(as_text=True)
    assert "Closed" in page and "Solved, thanks all" in page and "Reopen thread" in page
    auth.logout()

    auth.login(make.member("replier"))
    assert client.post(f"/t/{older.id}/reply", data={"body": "One more thing"}).status_code == 403
    auth.logout()

    auth.login(db.session.scalar(select(Member).where(Member.username == "leader")))
    assert client.post(f"/t/{older.id}/unlock").status_code == 302
    assert client.post(f"/t/{older.id}/unpin").status_code == 302
    listing = client.get("/b/general").get_data(as_text=True)
    assert listing.index("A newer thread") < listing.index("The pinned one")


def test_bad_pin_duration_and_double_close_are_clear_errors(client, auth, make, db):
    thread = make.thread()
    auth.login(at_level(db, make.member(), 4))
    json = {"Accept": "application/json"}
    response = client.post(f"/t/{thread.id}/pin", data={"days": "forever"}, headers=json)
    assert response.status_code == 422 and "days" in response.get_json()["error"]["fields"]
    assert client.post(f"/t/{thread.id}/lock", headers=json).status_code == 200
    response = client.post(f"/t/{thread.id}/lock", headers=json)
    assert response.status_code == 409 and "closed already" in response.get_json()["error"]["message"]


def test_moderators_have_every_thread_tool_at_level_zero(client, auth, make, db):
    thread = make.thread()
    auth.login(make.member("mod", role=Role.moderator))
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    for label in ("Save tags", "Close thread", "Pin thread"):
        assert label in page


# ---- staff set a level by hand ---------------------------------------------------------------

def test_staff_sets_and_locks_a_level_and_recomputing_leaves_it(app, client, auth, make, db):
    member = make.member("helpful")
    auth.login(make.member("brand", role=Role.staff))
    with captured(trust_level_changed) as seen:
        response = client.post("/u/helpful/trust-level", data={"level": "4"})
    assert response.status_code == 302
    assert "helpful is now at trust level 4 (Leader)." in client.get("/u/helpful").get_data(as_text=True)
    staff_id = db.session.scalar(select(Member.id).where(Member.username == "brand"))
    assert seen == [(member.id, {"previous": 0, "level": 4, "by": staff_id})]
    member = fresh(db, member)
    assert (member.trust_level, member.trust_level_locked) == (4, True)
    app.test_cli_runner().invoke(args=["community", "trust", "recompute"])
    assert fresh(db, member).trust_level == 4
    auth.logout()
    auth.login(member)
    assert "brand</bdi></a> set your trust level to 4 (Leader)." in client.get("/notifications").get_data(as_text=True)


def test_staff_unlocks_and_the_level_is_computed_again_at_once(app, client, auth, make, db):
    member = at_level(db, make.member("demoted"), 0, locked=True)
    give_activity(db, member, **LEVEL1)
    app.test_cli_runner().invoke(args=["community", "trust", "recompute"])
    assert fresh(db, member).trust_level == 0
    auth.login(make.member("brand", role=Role.staff))
    page = client.get("/u/demoted").get_data(as_text=True)
    assert "Set by staff; it does not change by itself." in page and "Unlock: let activity decide again" in page
    response = client.post("/u/demoted/trust-level", data={"action": "unlock"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "demoted&#39;s trust level follows their activity again; it is 1 (Basic member)." in page
    assert "Unlock: let activity decide again" not in page
    member = fresh(db, member)
    assert (member.trust_level, member.trust_level_locked) == (1, False)


def test_a_regular_set_by_staff_stays_one_through_the_next_visits(client, auth, make, db):
    member = make.member("trusted")
    auth.login(make.member("brand", role=Role.staff))
    assert client.post("/u/trusted/trust-level", data={"level": "3"}).status_code == 302
    auth.logout()
    auth.login(fresh(db, member))  # a visit re-evaluates unlocked levels: a locked one stays
    assert client.get(f"/t/{make.thread().id}").status_code == 200
    assert fresh(db, member).trust_level == 3


def test_api_callers_may_set_a_level_without_locking_it(client, auth, make, db):
    make.member("target")
    auth.login(make.member(role=Role.staff))
    response = client.post("/u/target/trust-level", data={"level": "2", "locked": "0"},
                           headers={"Accept": "application/json"})
    assert response.get_json()["member"] == {"id": response.get_json()["member"]["id"], "username": "target",
                                             "trust_level": 2, "trust_level_locked": False}


def test_members_and_moderators_cannot_set_levels(client, auth, make, db):
    make.member("target")
    for role in (Role.member, Role.moderator):
        auth.login(at_level(db, make.member(role=role), 4))
        assert client.post("/u/target/trust-level", data={"level": "4"}).status_code == 403
        auth.logout()
    assert client.post("/u/nobody/trust-level", data={"level": "1"}).status_code in (302, 404)
    assert db.session.scalar(select(Member.trust_level).where(Member.username == "target")) == 0


@pytest.mark.parametrize("raw", ["5", "-1", "two", ""])
def test_a_level_outside_zero_to_four_is_refused(client, auth, make, db, raw):
    make.member("target")
    auth.login(make.member(role=Role.staff))
    response = client.post("/u/target/trust-level", data={"level": raw}, headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert "from 0 to 4" in response.get_json()["error"]["fields"]["level"]
    assert db.session.scalar(select(Member.trust_level).where(Member.username == "target")) == 0


# ---- the profile -----------------------------------------------------------------------------

def test_profile_shows_level_and_progress_to_the_member_and_staff_only(client, auth, make, db):
    member = give_activity(db, make.member("climber"), topics_entered=3, posts_read=40)
    auth.login(member)
    page = client.get("/u/climber").get_data(as_text=True)
    assert "Trust level 0" in page and "New member" in page
    assert "Towards trust level 1 (Basic member)" in page
    assert "3 / 5" in page and "40 / 30" in page
    auth.logout()
    auth.login(make.member("nosy"))
    page = client.get("/u/climber").get_data(as_text=True)
    assert "Trust level 0" in page and "Towards trust level" not in page and "Set trust level" not in page
    auth.logout()
    auth.login(make.member("brand", role=Role.staff))
    page = client.get("/u/climber").get_data(as_text=True)
    assert "Towards trust level 1" in page and "Set trust level" in page


def test_profile_of_a_level_two_member_counts_recent_visits(client, auth, make, db):
    member = at_level(db, give_activity(db, make.member("almost"), **dict(LEVEL3, recent_days=12)), 2)
    auth.login(member)
    page = client.get("/u/almost").get_data(as_text=True)
    assert "Towards trust level 3 (Regular)" in page
    assert "Days visited in the last 100 days" in page and "12 / 50" in page


@pytest.mark.parametrize("level, before, more", [
    (0, {}, dict(recent_days=60, posts_read=400, topics_entered=4)),  # still one thread short of level 1
    (2, LEVEL2, dict(recent_days=60, posts_read=400)),  # level 3 needs 30 likes given
    (4, {}, dict(recent_days=60, posts_read=400)),
])
def test_profile_page_queries_are_bounded_whatever_the_activity(client, auth, make, db, count_queries, level,
                                                                before, more):
    member = at_level(db, give_activity(db, make.member("busy"), **before), level)
    make.thread(author=member)
    auth.login(member)
    client.get("/u/busy")  # the day's visit is recorded on the first page

    def measure():
        with count_queries() as statements:
            page = client.get("/u/busy").get_data(as_text=True)
        assert f"Trust level {level}" in page
        return len(statements)

    few = measure()
    give_activity(db, member, **more)
    for _n in range(12):
        make.thread(author=member)
    assert measure() == few <= 10


# ---- signals ----------------------------------------------------------------------------------

@contextmanager
def captured(signal):
    seen = []

    def receiver(sender, **kwargs):
        seen.append((sender.id, {key: getattr(value, "id", value) for key, value in kwargs.items()}))

    with signal.connected_to(receiver):
        yield seen


def test_staff_cannot_raise_their_own_trust_level_but_an_admin_may(client, auth, make, db):
    brand = make.member("brand", role=Role.staff)
    auth.login(brand)
    assert client.post("/u/brand/trust-level", data={"level": "4"}).status_code == 403
    assert fresh(db, brand).trust_level != 4
    auth.logout()
    admin = make.member("ada", role=Role.admin)
    auth.login(admin)
    assert client.post("/u/ada/trust-level", data={"level": "4"}).status_code == 302
    assert fresh(db, admin).trust_level == 4
