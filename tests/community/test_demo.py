"""`flask community seed-demo`: a believable bilingual demo community, loaded once."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

import community
from community.dbtypes import utcnow
from community.demo import DEMO_PASSWORD
from community.extensions import db as _db
from community.forum.models import (
    Board,
    BoardKind,
    Post,
    PostMention,
    Thread,
    Visibility,
)
from community.members.models import Member, Role
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
    assert output.strip() == (f"Loaded demo content: {len(boards)} boards, {len(members)} members, "
                              f"{len(threads)} threads, {len(posts)} posts.")
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

    assert demo_output.strip() == "Loaded demo content: 8 boards, 14 members, 48 threads, 213 posts."
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
    assert seed_demo(app).strip() == "Loaded demo content: 0 boards, 0 members, 0 threads, 0 posts."
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
    assert min(dates) > now - timedelta(days=61)
    assert min(dates) < now - timedelta(days=50) and max(dates) > now - timedelta(days=3)  # spread out


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
