"""The shared web helpers (community/web.py, community/forms.py): one page type, one way of paging, loading and saving."""
from __future__ import annotations

import pytest

from community import web
from community.errors import ValidationFailed
from community.forms import RegisterForm, submit
from community.forum import services as forum
from community.forum.models import Board, BoardKind
from community.ideas import services as ideas
from community.members.models import Role
from community.moderation import log as moderation
from community.notifications import services as notifications
from community.reputation import services as reputation
from community.rewards import services as rewards
from community.search.query import Results
from crm_bridge.models import WebhookEndpoint

NO_SUCH_PAGE = "There is no such page."
BAD_PAGE = "The page number must be a whole number from 1 up."

# Every HTML list that pages, as an admin sees it.
LISTS = ["/latest", "/b/{board}", "/b/{ideas}", "/tag/pager", "/t/{thread}", "/notifications", "/mod/log",
         "/rewards/mine", "/rewards/manage/redemptions", "/u/{admin}/reputation", "/crm/members",
         "/crm/members/{admin}", "/crm/audit", "/crm/contacts", "/crm/feedback", "/crm/response-queue",
         "/crm/webhooks/{endpoint}"]


@pytest.fixture
def world(make, db):
    admin = make.member("pageadmin", role=Role.admin)
    board = make.board()
    idea_board = make.board(kind=BoardKind.idea)
    thread = forum.start_thread(admin, board, "A thread with a tag on it", "The opening post of this thread.",
                                tags=["pager"])
    make.thread(board=idea_board, author=admin)
    endpoint = WebhookEndpoint(url="https://hooks.example.com/in", event_types=["*"], secret="s" * 32, active=True)
    db.session.add(endpoint)
    db.session.commit()
    return {"admin": admin.username, "board": board.slug, "ideas": idea_board.slug, "thread": thread.id,
            "endpoint": endpoint.id, "members": {"admin": admin, "board": board, "ideas": idea_board,
                                                 "thread": thread}}


def _with_page(url: str, page: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}page={page}"


@pytest.mark.parametrize("path", LISTS)
def test_every_list_answers_past_its_end_and_bad_page_numbers_alike(client, auth, world, path):
    url = path.format(**world)
    auth.login(world["members"]["admin"])
    first = client.get(url)
    assert first.status_code == 200, url
    assert client.get(_with_page(url, "1")).status_code == 200
    past = client.get(_with_page(url, "2"))  # every list here is shorter than one page
    assert past.status_code == 404 and NO_SUCH_PAGE in past.get_data(as_text=True)
    for bad in ("0", "x", "-1", "1234567"):
        answer = client.get(_with_page(url, bad))
        assert answer.status_code == 400 and BAD_PAGE in answer.get_data(as_text=True), (url, bad)


def test_every_list_service_answers_with_the_one_page_type(world):
    admin, board, idea_board, thread = (world["members"][k] for k in ("admin", "board", "ideas", "thread"))
    pages = [forum.board_threads(admin, board), forum.latest_threads(admin), forum.thread_posts(thread, 1, admin),
             forum.tagged_threads(admin, thread.tags[0]), ideas.idea_board_threads(admin, idea_board),
             notifications.member_notifications(admin), moderation.moderation_log(), rewards.points_history(admin),
             rewards.redemptions(), reputation.history(admin, admin)]
    for page in pages:
        assert isinstance(page, web.Page), type(page)
        assert (page.page, page.pages, page.has_prev, page.has_next) == (1, 1, False, False)
    assert [t.id for t in pages[0].items] == [thread.id] and pages[0].total == 1
    with pytest.raises(web.PageOutOfRange):
        forum.board_threads(admin, board, page=2)
    with pytest.raises(web.PageOutOfRange):
        reputation.history(admin, admin, page=2)
    # search keeps its hits, and pages through the same interface
    results = Results(query="x", sort="relevance", page=2, pages=3, total=61)
    assert isinstance(results, web.Paging) and results.has_prev and results.has_next
    assert results.items is results.hits


def test_paginate_cuts_pages_and_counts_once(app, make, db, count_queries):
    board = make.board()
    author = make.member()
    for n in range(5):
        make.thread(board=board, author=author, title=f"Paged thread number {n}")
    with app.test_request_context():
        app.config["THREADS_PER_PAGE"], per_page = 2, app.config["THREADS_PER_PAGE"]
        try:
            forum.board_threads(author, board, page=1)  # loads the board and the member
            with count_queries() as on_first:
                forum.board_threads(author, board, page=1)
            with count_queries() as on_third:
                third = forum.board_threads(author, board, page=3)
            assert len(on_first) == len(on_third) == 3  # the rows, their tags and the count
            assert (len(third.items), third.page, third.pages, third.total) == (1, 3, 3, 5)
            assert third.has_prev and not third.has_next
            with pytest.raises(web.PageOutOfRange):
                forum.board_threads(author, board, page=4)
        finally:
            app.config["THREADS_PER_PAGE"] = per_page


@pytest.mark.parametrize("method,path", [
    ("GET", "/admin/mail/999999"), ("GET", "/admin/mail/999999/html"),
    ("POST", "/crm/contacts/999999/resolve"), ("POST", "/crm/feedback/999999"),
    ("POST", "/crm/webhooks/deliveries/999999/redeliver"), ("GET", "/crm/webhooks/999999"),
    ("POST", "/rewards/999999/redeem"), ("GET", "/rewards/manage/999999"),
    ("POST", "/rewards/manage/redemptions/999999/fulfil"), ("GET", "/p/999999"),
])
def test_a_missing_row_is_a_404(client, auth, make, method, path):
    auth.login(make.member(role=Role.admin))
    assert client.open(path, method=method).status_code == 404


def test_submit_commits_or_rolls_back_and_puts_the_problem_on_the_form(app, db):
    def fails():
        db.session.add(Board(slug="half-saved", name="Half saved"))
        db.session.flush()
        raise ValidationFailed("Please correct the marked fields.", {"username": "That name is taken."})

    def works():
        board = Board(slug="saved", name="Saved")
        db.session.add(board)
        return board

    with app.test_request_context(method="POST"):
        form = RegisterForm(formdata=None)
        failed = submit(form, fails)
        assert not failed and failed.error.fields == {"username": "That name is taken."}
        assert form.username.errors == ["That name is taken."]
        done = submit(RegisterForm(formdata=None), works)
        assert done and done.value.slug == "saved"
    db.session.rollback()  # only what was committed is left
    assert sorted(b.slug for b in db.session.query(Board)) == ["saved"]
