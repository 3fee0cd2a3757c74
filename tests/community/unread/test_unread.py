"""Threads new or updated since the member last read them are marked in lists and listed on /new and /unread."""
from __future__ import annotations

import re

from sqlalchemy import update

from community.extensions import db
from community.forum.models import Board, Visibility
from tests.community.unread.conftest import jump_of, mark_of


def test_replies_by_another_member_are_counted_and_the_link_lands_on_the_first_unread(client, auth, make,
                                                                                       small_pages):
    reader, other = make.member("reader"), make.member("other")
    thread = make.thread(author=other, title="Bluetooth drops every hour")
    make.post(thread, author=other, body="Same here since Tuesday.")
    auth.login(reader)
    client.get(f"/t/{thread.id}")  # page 1: posts 1 and 2 read
    assert mark_of(client.get("/latest").get_data(as_text=True), thread) is None
    for body in ("Unread reply number three.", "Reply four.", "Reply five."):
        make.post(thread, author=other, body=body)
    page = client.get("/latest").get_data(as_text=True)
    assert mark_of(page, thread) == "3 new replies"
    jump = jump_of(page, thread)
    assert jump == f"/t/{thread.id}?page=2#post-3"
    landed = client.get(jump.split("#")[0]).get_data(as_text=True)
    post_three = landed[landed.index('id="post-3"'):]
    assert "Unread reply number three." in post_three[:3000]


def test_reading_clears_the_mark_and_the_unread_list(client, auth, make):
    reader, other = make.member("reader"), make.member("other")
    thread = make.thread(author=other, title="Battery at 80 percent")
    auth.login(reader)
    client.get(f"/t/{thread.id}")
    make.post(thread, author=other, body="Try calibrating it.")
    assert "Battery at 80 percent" in client.get("/unread").get_data(as_text=True)
    client.get(f"/t/{thread.id}")
    assert mark_of(client.get("/latest").get_data(as_text=True), thread) is None
    assert "Battery at 80 percent" not in client.get("/unread").get_data(as_text=True)


def test_my_own_replies_are_not_unread_for_me(client, auth, make):
    reader = make.member("reader")
    thread = make.thread(title="Case colours")
    auth.login(reader)
    client.get(f"/t/{thread.id}")
    make.post(thread, author=reader, body="I like the blue one.")
    assert mark_of(client.get("/latest").get_data(as_text=True), thread) is None


def test_re_reading_a_thread_writes_nothing(client, auth, make, count_queries):
    reader, other = make.member("reader"), make.member("other")
    thread = make.thread(author=other)
    make.post(thread, author=other)
    auth.login(reader)
    client.get(f"/t/{thread.id}")
    with count_queries() as statements:
        assert client.get(f"/t/{thread.id}").status_code == 200
    writes = [s for s in statements if re.match(r"\s*(INSERT|UPDATE|DELETE)", s, re.I)]
    assert writes == []
    make.post(thread, author=other, body="Something new to read.")
    with count_queries() as statements:
        client.get(f"/t/{thread.id}")
    assert any(re.match(r"\s*INSERT INTO thread_reads", s, re.I) for s in statements)  # new posts: recorded


def test_threads_started_since_i_joined_are_new_until_opened(client, auth, make):
    reader, other = make.member("reader"), make.member("other")
    thread = make.thread(author=other, title="Hello from Chengdu")
    mine = make.thread(author=reader, title="My own question")
    auth.login(reader)
    page = client.get("/latest").get_data(as_text=True)
    assert mark_of(page, thread) == "New" and mark_of(page, mine) is None
    listed = client.get("/new").get_data(as_text=True)
    assert "Hello from Chengdu" in listed and "My own question" not in listed
    client.get(f"/t/{thread.id}")
    assert "Hello from Chengdu" not in client.get("/new").get_data(as_text=True)
    assert mark_of(client.get("/latest").get_data(as_text=True), thread) is None


def test_threads_from_before_i_registered_are_not_new(client, auth, make):
    thread = make.thread(title="Ancient history")
    reader = make.member("reader")
    auth.login(reader)
    assert mark_of(client.get("/latest").get_data(as_text=True), thread) is None
    assert "Ancient history" not in client.get("/new").get_data(as_text=True)


def test_new_and_unread_show_only_threads_the_member_may_see(client, auth, make):
    reader, other = make.member("reader"), make.member("other")
    staff_board = make.board(slug="team", visibility=Visibility.staff)
    make.thread(board=staff_board, title="Roadmap for Q3 (staff)")
    moved = make.thread(author=other, title="Thread that will move")
    auth.login(reader)
    client.get(f"/t/{moved.id}")
    db.session.execute(update(Board).where(Board.id == moved.board_id).values(visibility=Visibility.staff))
    db.session.commit()
    make.post(moved, author=make.member(role="staff"), body="A reply after the move.")
    for path in ("/new", "/unread"):
        page = client.get(path).get_data(as_text=True)
        assert "Roadmap for Q3" not in page and "Thread that will move" not in page


def test_guests_are_sent_to_sign_in(client):
    for path in ("/new", "/unread"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_mark_all_as_read_empties_both_lists(app, client, auth, make):
    reader, other = make.member("reader"), make.member("other")
    opened = make.thread(author=other, title="Opened before")
    auth.login(reader)
    client.get(f"/t/{opened.id}")
    make.post(opened, author=other)
    fresh = make.thread(author=other, title="Never opened")
    assert "Never opened" in client.get("/new").get_data(as_text=True)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/unread/mark-all-read").status_code == 400  # no token
        page = client.get("/unread").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post("/unread/mark-all-read", data={"csrf_token": token})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 302
    assert "You are all caught up." in client.get("/unread").get_data(as_text=True)
    assert "Nothing new since your last visit." in client.get("/new").get_data(as_text=True)
    page = client.get("/latest").get_data(as_text=True)
    assert mark_of(page, opened) is None and mark_of(page, fresh) is None
    make.post(opened, author=other, body="After marking.")
    assert mark_of(client.get("/latest").get_data(as_text=True), opened) == "1 new reply"


def test_the_latest_page_links_new_and_unread_for_members_only(client, auth, make):
    assert 'href="/unread"' not in client.get("/latest").get_data(as_text=True)
    auth.login(make.member())
    page = client.get("/latest").get_data(as_text=True)
    assert 'href="/new"' in page and 'href="/unread"' in page


def test_a_list_page_costs_the_same_queries_with_3_or_15_threads(client, auth, make, count_queries):
    reader, other = make.member("reader"), make.member("other")
    board = make.board(slug="talk")
    threads = [make.thread(board=board, author=other) for _ in range(3)]
    auth.login(reader)
    client.get(f"/t/{threads[0].id}")
    make.post(threads[0], author=other)

    def measure(path):
        client.get(path)
        with count_queries() as statements:
            client.get(path)
        return len(statements)

    few = {path: measure(path) for path in ("/latest", "/b/talk", "/new", "/unread")}
    for _ in range(12):
        thread = make.thread(board=board, author=other)
        client.get(f"/t/{thread.id}")
        make.post(thread, author=other)
    assert {path: measure(path) for path in few} == few
