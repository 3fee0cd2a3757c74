"""`flask community seed-demo`: a believable bilingual demo community, loaded once."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

import community
from community.dbtypes import utcnow
from community.demo import DEMO_PASSWORD
from community.extensions import db as _db
from community.forum.models import Board, BoardKind, IdeaStatus, Post, PostMention, Thread, Visibility
from community.ideas.models import IdeaStatusEvent
from community.members.models import Member, Role
from community.moderation.models import Flag
from community.permissions import can_flag, can_recategorize, can_retag
from community.polls.models import Poll, PollBallot
from community.reputation.models import BadgeGrant
from community.rewards.models import Redemption
from community.search.backends import backend as search_backend
from community.twofactor import services as twofactor
from community.votes.models import Vote
from crm_bridge.models import CrmProfile, DailyActive, FeedbackItem, PostSentiment, TimelineEvent
from crm_bridge.rollups import ACTIVE_KINDS
from tests.conftest import _empty_tables

HAN = re.compile(r"[\u4e00-\u9fff]")


def seed_demo(app, *args):
    result = app.test_cli_runner().invoke(args=["community", "seed-demo", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


@pytest.fixture(scope="module")
def demo_output(app):
    """Load the demo once for this module (it takes seconds), then empty every table again."""
    with app.app_context():
        output = seed_demo(app, "--if-empty")
        yield output
        _db.session.rollback()
        # threads.accepted_post_id points back at posts; SQLite's table-by-table delete needs it cleared.
        _db.session.execute(update(Thread).values(accepted_post_id=None))
        _db.session.commit()
        _empty_tables()
        _db.session.remove()


@pytest.fixture
def db(app, demo_output):
    """Replace conftest's `db` here: keep the module's demo rows between tests instead of emptying tables."""
    with app.app_context():
        yield _db
        _db.session.rollback()
        _db.session.remove()


def counts(db) -> dict:
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Board, Member, Thread, Post)}


def test_seed_demo_loads_every_kind_of_board_member_and_thread(db, demo_output):
    output = demo_output

    boards = db.session.scalars(select(Board)).all()
    members = db.session.scalars(select(Member)).all()
    threads = db.session.scalars(select(Thread)).all()
    posts = db.session.scalars(select(Post)).all()
    assert output.strip().startswith(f"Loaded demo content: {len(boards)} boards, {len(members)} members, "
                                     f"{len(threads)} threads, {len(posts)} posts, ")
    assert {b.kind for b in boards} == set(BoardKind)
    assert {b.visibility for b in boards} == set(Visibility)
    assert {m.role for m in members} == set(Role)
    assert len(threads) >= 40 and len(posts) >= 150
    assert len({t.board_id for t in threads}) == len(boards)  # no empty board

    chinese = [t for t in threads if HAN.search(t.title)]
    english = [t for t in threads if not HAN.search(t.title)]
    assert len(chinese) >= 10 and len(english) >= 20
    assert any(HAN.search(m.display_name) for m in members)

    staff_ids = {m.id for m in members if m.is_staff}
    official = [p for p in posts if p.is_official]
    assert official and {p.author_id for p in official} <= staff_ids
    assert all(p.is_official for p in posts if p.author_id in staff_ids)

    # Markdown, @mentions and replies to earlier posts all went through the real services.
    html = "\n".join(p.body_html for p in posts)
    for fragment in ("<li>", "<pre><code", "<blockquote>", "<table>", 'class="mention"', "<strong>"):
        assert fragment in html, fragment
    assert db.session.scalar(select(func.count()).select_from(PostMention)) >= 10
    replies_to = [p for p in posts if p.reply_to_id is not None]
    assert len(replies_to) >= 10
    by_id = {p.id: p for p in posts}
    assert all(by_id[p.reply_to_id].thread_id == p.thread_id and by_id[p.reply_to_id].number < p.number
               for p in replies_to)

    kind_of = {b.id: b.kind for b in boards}
    solved = [t for t in threads if t.accepted_post_id]
    assert solved and all(kind_of[t.board_id] is BoardKind.question for t in solved)
    assert all(by_id[t.accepted_post_id].thread_id == t.id and by_id[t.accepted_post_id].number > 1 for t in solved)
    statuses = {t.idea_status for t in threads if kind_of[t.board_id] is BoardKind.idea}
    assert len(statuses) >= 4 and None not in statuses
    assert db.session.scalar(select(Member.role).where(Member.username == "admin")) is Role.admin


def test_seed_demo_loads_exactly_what_its_content_file_holds(db, demo_output):
    """The demo's content lives in community/demo_content.json: every board, member, thread and reply of
    the file is in the database, in the file's words (the figures are those of the content before it moved
    out of demo.py)."""

    content = json.loads((Path(community.__file__).parent / "demo_content.json").read_text(encoding="utf-8"))

    def text(value):
        return "\n".join(value) if isinstance(value, list) else value

    assert re.fullmatch(r"Loaded demo content: 9 boards, 15 members, 52 threads, 229 posts, \d+ votes, "
                        r"\d+ poll ballots, \d+ redemptions\.", demo_output.strip().splitlines()[0])
    boards = {b.slug: b for b in db.session.scalars(select(Board))}
    assert [(s["slug"], s["name"], s["description"], s["kind"], s["visibility"]) for s in content["boards"]] == [
        (b.slug, b.name, b.description, b.kind.value, b.visibility.value)
        for b in sorted(boards.values(), key=lambda b: b.position)]
    members = {m.username: m for m in db.session.scalars(select(Member))}
    assert {s["username"]: (s["role"], s["display_name"], s["bio"], s.get("locale")) for s in content["members"]} == {
        m.username: (m.role.value, m.display_name, m.bio, m.locale) for m in members.values()}
    threads = {(t.board_id, t.title): t for t in db.session.scalars(select(Thread))}
    assert len(threads) == len(content["threads"])
    for spec in content["threads"]:
        thread = threads[(boards[spec["board"]].id, spec["title"])]
        posts = db.session.scalars(select(Post).where(Post.thread_id == thread.id).order_by(Post.number)).all()
        assert [(p.author_id, p.body_source) for p in posts] == [
            (members[spec["author"]].id, text(spec["body"]))] + [
            (members[r["author"]].id, text(r["body"])) for r in spec.get("replies", [])], spec["title"]
        assert sorted(tag.name for tag in thread.tags) == sorted(spec.get("tags", []))
        assert bool(thread.pinned_at) == bool(spec.get("pinned"))
        if "status" in spec:  # ideas without one start open
            assert thread.idea_status.value == spec["status"]


def test_seed_demo_counters_match_rows_and_a_second_run_adds_nothing(app, db):
    loaded = counts(db)
    assert "nothing loaded" in seed_demo(app, "--if-empty")
    assert seed_demo(app).strip().splitlines()[0] == ("Loaded demo content: 0 boards, 0 members, 0 threads, 0 posts, 0 votes, "
                                      "0 poll ballots, 0 redemptions.")
    db.session.expire_all()
    assert counts(db) == loaded

    now = utcnow()
    posts = db.session.scalars(select(Post).order_by(Post.thread_id, Post.number)).all()
    threads = db.session.scalars(select(Thread)).all()

    by_thread: dict[int, list[Post]] = {}
    for post in posts:
        by_thread.setdefault(post.thread_id, []).append(post)
    for thread in threads:
        own = by_thread[thread.id]
        assert [p.number for p in own] == list(range(1, len(own) + 1))
        assert thread.reply_count == len(own) - 1 and thread.post_seq == len(own)
        assert thread.created_at == own[0].created_at
        assert thread.last_posted_at == own[-1].created_at
        assert thread.last_poster_id == own[-1].author_id
        assert all(a.created_at < b.created_at for a, b in pairwise(own))

    for board in db.session.scalars(select(Board)):
        mine = [t for t in threads if t.board_id == board.id]
        assert board.thread_count == len(mine)
        assert board.post_count == sum(len(by_thread[t.id]) for t in mine)
        assert board.last_posted_at == max(t.last_posted_at for t in mine)

    for member in db.session.scalars(select(Member)):
        own = [p for p in posts if p.author_id == member.id]
        assert member.post_count == len(own)
        assert member.thread_count == sum(1 for t in threads if t.author_id == member.id)
        assert all(member.created_at < p.created_at for p in own)

    dates = [p.created_at for p in posts]
    assert max(dates) < now
    assert min(dates) > now - timedelta(days=91)
    assert min(dates) < now - timedelta(days=80) and max(dates) > now - timedelta(days=3)  # spread out


def test_guest_sees_public_demo_boards_but_not_the_staff_room(db, client, auth):
    home = client.get("/").get_data(as_text=True)
    assert "Announcements / 公告" in home
    assert "中文社区" in home
    assert "Staff room" not in home
    assert "Beta testers" not in home
    assert client.get("/b/staff").status_code == 404
    assert "Draft answer template" not in client.get("/latest").get_data(as_text=True)

    admin = db.session.scalar(select(Member).where(Member.username == "admin"))
    auth.login(admin, password=DEMO_PASSWORD)
    home = client.get("/").get_data(as_text=True)
    assert "Staff room" in home and "Beta testers" in home
    assert "Draft answer template" in client.get("/latest").get_data(as_text=True)


# ---- the demo shows the product: participation, and the CRM built from the events' own times ----------

def _dashboard_series(page: str, title: str) -> dict[str, int]:
    """The text table under one of the dashboard's charts: {day: value}."""
    section = page[page.index(title):]
    table = section[:section.index("</table>")]
    return {day: int(value) for day, value in re.findall(r"<td>(\d{4}-\d\d-\d\d)</td><td>(\d+)</td>", table)}


def _section(page: str, title: str) -> str:
    start = page.index(title)
    return page[start:page.index("</section>", start)]


def test_demo_threads_have_votes_answers_polls_statuses_badges_rewards_and_trust(db, client):
    threads = db.session.scalars(select(Thread)).all()
    scores = [t.score for t in threads]
    assert sum(score != 0 for score in scores) >= len(threads) // 2 and len(set(scores)) >= 5
    assert db.session.scalar(select(func.count()).select_from(Vote).where(Vote.value < 0)) >= 1  # the odd downvote

    # as a guest reads them: the idea board sorted by votes, a solved question, a poll with its ballots
    ideas = db.session.scalar(select(Board).where(Board.slug == "ideas"))
    top_idea = max((t for t in threads if t.board_id == ideas.id), key=lambda t: t.score)
    assert top_idea.score >= 4
    assert top_idea.title in client.get("/b/ideas").get_data(as_text=True)
    solved = [t for t in threads if t.accepted_post_id]
    assert len(solved) >= 10
    poll = db.session.scalars(select(Poll).order_by(Poll.voter_count.desc())).first()
    assert db.session.scalar(select(func.count()).select_from(Poll)) == 3 and poll.voter_count >= 5
    assert sum(option.vote_count for option in poll.options) >= poll.voter_count

    events = db.session.scalars(select(IdeaStatusEvent)).all()
    assert {e.status for e in events} >= {IdeaStatus.under_review, IdeaStatus.planned, IdeaStatus.in_progress,
                                           IdeaStatus.shipped, IdeaStatus.declined}
    assert all(e.reason.strip() for e in events if e.status is IdeaStatus.declined)
    declined = db.session.scalar(select(Thread).where(Thread.idea_status == IdeaStatus.declined))
    reason = next(e.reason for e in events if e.thread_id == declined.id)
    assert "定时重启" in reason  # the reason, bilingual, is on the idea's page
    assert "定时重启" in client.get(f"/t/{declined.id}").get_data(as_text=True)

    grants = db.session.scalars(select(BadgeGrant)).all()
    assert len(grants) >= 30 and len({g.badge_id for g in grants}) >= 4
    assert db.session.scalar(select(func.count()).select_from(Redemption)) >= 2
    levels = [m.trust_level for m in db.session.scalars(select(Member).where(Member.role == Role.member))]
    assert len(set(levels)) >= 2 and max(levels) >= 2


def test_staff_dashboard_of_the_demo_has_weeks_of_activity_response_times_advocates_and_risks(db, client, auth):
    staff = db.session.scalar(select(Member).where(Member.username == "acme_grace"))
    auth.login(staff, password=DEMO_PASSWORD)
    page = client.get("/crm/dashboard").get_data(as_text=True)

    for title in ("Posts per day", "Active members per day"):
        series = _dashboard_series(page, title)
        busy = sorted(day for day, value in series.items() if value)
        assert len(busy) >= 12, (title, busy)
        assert (date.fromisoformat(busy[-1]) - date.fromisoformat(busy[0])).days >= 21, (title, busy)
    assert len(set(_dashboard_series(page, "Active members per day").values())) >= 3  # not one flat line

    response = _section(page, "Response times")
    medians = re.findall(r"<tr><td>[^<]+</td><td>(\d+)</td><td>([\d.]+|—)</td><td>(\d+)</td></tr>", response)
    assert any(median != "—" and float(median) > 0 for _items, median, _answered in medians), response
    advocates = _section(page, "Top advocates")
    assert "Nobody yet." not in advocates and "accepted answers" in advocates and "陈工" in advocates
    at_risk = _section(page, "Members at risk")
    assert "Nobody at risk right now." not in at_risk
    assert "unanswered past the target" in at_risk  # the Cam Pro bug report and the hotline complaint
    assert "Tom Becker" in at_risk and "Quiet for 30 days" in at_risk  # busy in the first weeks, then gone


def test_no_crm_record_of_the_demo_is_dated_other_than_its_community_event(db):
    """Every CRM record is dated at the time of the community event it records, spread over the 90 days."""
    now = utcnow()
    posts = {p.id: p for p in db.session.scalars(select(Post))}
    members = {m.id: m for m in db.session.scalars(select(Member))}
    votes = {(v.post_id, v.member_id): v.updated_at for v in db.session.scalars(select(Vote))}
    ballots = {(poll_thread, b.member_id): b.updated_at for b, poll_thread in db.session.execute(
        select(PollBallot, Poll.thread_id).join(Poll, Poll.id == PollBallot.poll_id))}
    status_times = {(e.thread_id, e.status.value): e.created_at for e in db.session.scalars(select(IdeaStatusEvent))}
    grants = {(g.member_id, g.badge.name): g.granted_at for g in db.session.scalars(select(BadgeGrant))}
    redeemed = {r.member_id: [] for r in db.session.scalars(select(Redemption))}
    for r in db.session.scalars(select(Redemption)):
        redeemed[r.member_id].append(r.created_at)

    events = db.session.scalars(select(TimelineEvent)).all()
    assert len(events) > 500
    expected_of = {
        "registered": lambda e: members[e.member_id].created_at,
        "thread_started": lambda e: posts[e.post_id].created_at,
        "replied": lambda e: posts[e.post_id].created_at,
        "staff_reply": lambda e: posts[e.post_id].created_at,
        "vote_given": lambda e: votes[(e.post_id, e.member_id)],
        "vote_received": lambda e: votes[(e.post_id, e.actor_id)],
        "poll_ballot": lambda e: ballots[(e.thread_id, e.member_id)],
        "idea_status": lambda e: status_times[(e.thread_id, e.data["status"])],
        "badge": lambda e: grants[(e.member_id, e.data["badge"])],
    }
    for event in events:
        assert event.occurred_at < now
        if event.kind in expected_of:
            assert event.occurred_at == expected_of[event.kind](event), (event.kind, event.id)
        elif event.kind == "reward_redeemed":
            assert event.occurred_at in redeemed[event.member_id]
        elif event.kind == "answer_accepted":
            assert posts[event.post_id].created_at <= event.occurred_at
    assert min(e.occurred_at for e in events) < now - timedelta(days=80)

    for row in db.session.scalars(select(PostSentiment)):
        assert row.created_at == posts[row.post_id].created_at
    for item in db.session.scalars(select(FeedbackItem)):
        replies = sorted((p for p in posts.values() if p.thread_id == item.thread_id and p.number > 1
                          and p.author_id != item.thread.author_id), key=lambda p: p.number)
        assert item.created_at == item.thread.created_at
        assert item.first_reply_at == (replies[0].created_at if replies else None)
        official = [p for p in replies if members[p.author_id].is_staff]
        assert item.first_official_reply_at == (official[0].created_at if official else None)
    active_days = {(e.occurred_at.strftime("%Y-%m-%d"), e.member_id) for e in events if e.kind in ACTIVE_KINDS}
    assert {(row.day, row.member_id) for row in db.session.scalars(select(DailyActive))} == active_days
    for profile in db.session.scalars(select(CrmProfile)):
        own = [e.occurred_at for e in events if e.member_id == profile.member_id
               and (e.kind == "registered" or e.kind in ACTIVE_KINDS)]
        assert profile.last_active_at == max(own)


def test_a_fresh_demo_has_members_who_can_flag_as_the_docs_say(db, client, auth):
    """The demo's activity earns trust levels: ordinary members reach level 1 and 2 and may flag at once."""
    members = db.session.scalars(select(Member).where(Member.role == Role.member)).all()
    assert sum(m.trust_level >= 1 for m in members) >= len(members) // 2
    assert any(m.trust_level >= 2 for m in members)
    flagger = next(m for m in members if m.trust_level >= 1)
    post = db.session.scalars(select(Post).join(Thread, Post.thread_id == Thread.id).join(Board).where(
        Post.author_id != flagger.id, Board.visibility == Visibility.public, Post.hidden_at.is_(None))
        .order_by(Post.id)).first()
    assert can_flag(flagger, post)

    auth.login(flagger, DEMO_PASSWORD)
    page = client.get(f"/t/{post.thread_id}").get_data(as_text=True)
    assert f"/p/{post.id}/flag" in page  # the flag control is there for them
    response = client.post(f"/p/{post.id}/flag", data={"reason": "spam"})
    assert response.status_code in (302, 303)
    assert db.session.scalar(select(func.count()).select_from(Flag).where(Flag.post_id == post.id)) == 1


def test_a_fresh_demo_has_a_community_leader_who_may_retag_and_move(db, client, auth):
    """Level 3 cannot be earned in ninety demo days: staff appointed one leader (level 4, by hand, locked)."""
    leader = db.session.scalar(select(Member).where(Member.username == "netnerd42"))
    assert leader.trust_level == 4 and leader.trust_level_locked
    thread = db.session.scalars(select(Thread).join(Board).where(
        Board.visibility == Visibility.public, Thread.author_id != leader.id).order_by(Thread.id)).first()
    assert can_retag(leader, thread) and can_recategorize(leader, thread)
    ordinary = db.session.scalars(select(Member).where(Member.role == Role.member, Member.id != leader.id)).all()
    assert not any(can_retag(m, thread) for m in ordinary)  # the others' activity earns levels 1 and 2 only
    auth.login(leader, DEMO_PASSWORD)
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert f"/t/{thread.id}/tags" in page  # the retag tool is on the thread page for them


def test_the_demo_lets_its_staff_in_without_a_second_factor_and_says_so(app, db, demo_output):
    admin = db.session.scalar(select(Member).where(Member.username == "admin"))
    app.config["TWO_FACTOR_ENFORCED"] = True  # as in production: only the admin's setting decides
    try:
        assert twofactor.REQUIRED_FOR_STAFF.value is False and not twofactor.is_required(admin)
    finally:
        app.config["TWO_FACTOR_ENFORCED"] = False
    assert "/admin/security" in community.demo.__doc__


def test_every_demo_post_is_searchable_after_a_fresh_seed(db, demo_output):
    indexed = int(re.search(r"Indexed (\d+) posts for search\.", demo_output).group(1))
    assert indexed == db.session.scalar(select(func.count(Post.id))) > 200
    assert search_backend().document_count() == indexed
