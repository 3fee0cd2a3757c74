"""Boards through the admin pages: create, edit, reorder, archive, delete (with a move); bad input; what a
board's settings do for readers (who may start threads, archived, Chinese names, default sort)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.forum.models import Board, StartPolicy, Thread, Visibility
from community.members.models import Role

FORM = {"slug": "launch", "name": "Launch", "name_zh": "发布", "description": "Plans", "description_zh": "计划",
        "kind": "question", "visibility": "members", "default_sort": "new", "start_policy": "trust",
        "start_min_trust": "2"}


def board_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Board))


def test_an_admin_creates_a_board_with_every_setting(people, as_role):
    response = as_role("admin").post("/admin/boards/new", data=FORM)
    assert response.status_code == 302
    board = db.session.scalar(select(Board).where(Board.slug == "launch"))
    assert (board.name, board.name_zh, board.description_zh, board.kind.value, board.visibility.value,
            board.default_sort, board.start_policy, board.start_min_trust) == (
        "Launch", "发布", "计划", "question", "members", "new", StartPolicy.trust, 2)
    assert "Launch" in as_role("admin").get("/admin/boards").get_data(as_text=True)


@pytest.mark.parametrize("field, value, message", [
    ("slug", "Bad Slug!", "lower-case letters"),
    ("slug", "", "Give the board a slug"),
    ("slug", "taken", "Another board has this slug already"),
    ("name", "   ", "Give the board a name"),
    ("kind", "forum", "discussion, question, idea or announcement"),
    ("visibility", "secret", "public, members, staff or groups"),
    ("start_min_trust", "9", "A trust level from 0 to 4"),
])
def test_bad_input_is_named_on_the_form_and_saves_nothing(make, people, as_role, field, value, message):
    make.board("taken")
    before = board_count()
    response = as_role("admin").post("/admin/boards/new", data={**FORM, field: value})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert board_count() == before


def test_editing_to_a_taken_slug_fails_and_changes_nothing(make, people, as_role):
    make.board("taken")
    board = make.board("mine", name="Mine")
    response = as_role("admin").post("/admin/boards/mine/edit", data={**FORM, "slug": "taken", "name": "Other"})
    assert response.status_code == 422 and "Another board has this slug already" in response.get_data(as_text=True)
    db.session.expire_all()
    assert (board.slug, board.name) == ("mine", "Mine")


def test_reordering_moves_a_board_up_on_the_home_page(make, people, as_role, client):
    make.board("first", name="Alpha board", position=1)
    make.board("second", name="Beta board", position=2)
    home = client.get("/").get_data(as_text=True)
    assert home.index("Alpha board") < home.index("Beta board")
    assert as_role("admin").post("/admin/boards/second/move", data={"direction": "up"}).status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert home.index("Beta board") < home.index("Alpha board")


def test_an_archived_board_is_readable_but_takes_no_threads_or_replies(make, people, as_role):
    board = make.board("old")
    thread = make.thread(board, title="Still readable")
    assert as_role("admin").post("/admin/boards/old/archive", data={"archived": "1"}).status_code == 302
    member = as_role("member")
    page = member.get("/b/old").get_data(as_text=True)
    assert "Still readable" in page and "board-archived" in page and "/b/old/new" not in page
    assert member.get(f"/t/{thread.id}").status_code == 200
    before = db.session.scalar(select(func.count()).select_from(Thread))
    assert member.post("/b/old/new", data={"title": "A new thread here", "body": "Some words."}).status_code == 403
    assert member.post(f"/t/{thread.id}/reply", data={"body": "A reply to an archived board."}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Thread)) == before
    db.session.expire_all()
    assert thread.reply_count == 0
    assert as_role("admin").post("/admin/boards/old/archive", data={"archived": "0"}).status_code == 302
    assert member.post(f"/t/{thread.id}/reply", data={"body": "A reply to an open board."}).status_code == 302


def test_deleting_an_empty_board_removes_it(make, people, as_role):
    make.board("empty")
    assert as_role("admin").post("/admin/boards/empty/delete", data={"move_to": ""}).status_code == 302
    assert db.session.scalar(select(Board).where(Board.slug == "empty")) is None


def test_a_board_with_threads_is_deleted_only_with_a_move(make, people, as_role, client):
    board = make.board("going", name="Going")
    target = make.board("staying")
    thread = make.thread(board, title="Moving house")
    make.post(thread)
    admin = as_role("admin")
    response = admin.post("/admin/boards/going/delete", data={"move_to": ""})
    assert response.status_code == 422 and "choose a board to move them to" in response.get_data(as_text=True)
    assert db.session.scalar(select(Board).where(Board.slug == "going")) is not None
    assert admin.post("/admin/boards/going/delete", data={"move_to": "staying"}).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Board).where(Board.slug == "going")) is None
    assert thread.board_id == target.id and (target.thread_count, target.post_count) == (1, 2)
    assert client.get("/b/going").status_code == 404
    assert "Moving house" in client.get("/b/staying").get_data(as_text=True)


@pytest.mark.parametrize("policy, level, allowed", [
    ("members", 0, {"member", "trusted", "moderator", "staff", "admin"}),
    ("trust", 2, {"trusted", "moderator", "staff", "admin"}),
    ("staff", 0, {"staff", "admin"}),
])
def test_who_may_start_threads_is_enforced(make, people, as_role, app, policy, level, allowed):
    make.board("policy", start_policy=StartPolicy(policy), start_min_trust=level)
    trusted = make.member("a_trusted")
    trusted.trust_level, trusted.trust_level_locked = 2, True
    db.session.commit()
    people = {**people, "trusted": trusted}
    for role in ("member", "trusted", "moderator", "staff", "admin"):
        client = app.test_client()
        client.post("/login", data={"login": people[role].username, "password": "correct-horse-battery-9"})
        page = client.get("/b/policy").get_data(as_text=True)
        response = client.post("/b/policy/new", data={"title": f"A thread by {role}", "body": "Words enough."})
        assert (response.status_code == 302) is (role in allowed), (role, response.status_code)
        assert ("/b/policy/new" in page) is (role in allowed), role


def test_names_and_descriptions_follow_the_readers_language(make, client):
    make.board("bilingual", name="Product news", name_zh="产品新闻", description="What ships", description_zh="新发布")
    make.board("english", name="English only")
    zh = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "产品新闻" in zh and "English only" in zh  # no Chinese name: the English one shows
    en = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Product news" in en and "产品新闻" not in en
    assert "新发布" in client.get("/b/bilingual", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)


def test_a_board_opens_with_its_default_sort(make, client):
    board = make.board("sorted", default_sort="new")
    make.thread(board)
    page = client.get("/b/sorted").get_data(as_text=True)
    assert 'aria-current="page">Newest' in page and 'aria-current="page">Latest activity' not in page
    assert 'aria-current="page">Latest activity' in client.get("/b/sorted?sort=latest").get_data(as_text=True)


def test_admins_see_boards_of_every_visibility_in_the_list(make, people, as_role):
    make.board("hidden-staff", name="Staff room", visibility=Visibility.staff)
    make.board("members-only", name="Members room", visibility=Visibility.members)
    page = as_role("admin").get("/admin/boards").get_data(as_text=True)
    assert "Staff room" in page and "Members room" in page


def test_a_staff_member_cannot_open_board_admin(make, people, as_role):
    make.board("x")
    assert as_role("staff").get("/admin/boards/x/edit").status_code == 404
    assert people["staff"].role is Role.staff
