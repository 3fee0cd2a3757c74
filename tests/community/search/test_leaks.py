"""Results, counts, snippets, suggestions and "similar threads" only show what the reader may see."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from community import search
from community.dbtypes import utcnow
from community.extensions import db
from community.forum import services as forum
from community.forum.models import Post, Thread, Visibility
from community.members.models import Role

ROLES = ["guest", "member", "moderator", "staff"]
# Which boards each role may read (permissions.readable_visibilities; the `groups` board has no group, so
# only staff read it: tests/community/groups/test_group_boards.py covers group members).
READS = {"guest": {"public"}, "member": {"public", "members"}, "moderator": {"public", "members"},
         "staff": {"public", "members", "staff", "groups"}}
ALL = {v.value for v in Visibility}


@pytest.fixture
def forum_of_secrets(make):
    """One thread about "zephyr" on a public, a members' and a staff board; a deleted one; a deleted reply."""
    boards = {v.value: make.board(slug=f"b-{v.value}", visibility=v) for v in Visibility}
    staff = make.member("staffer", role=Role.staff)
    threads = {}
    for name, board in boards.items():
        threads[name] = make.thread(board=board, author=staff, title=f"Zephyr plans {name}",
                                    body=f"The zephyr roadmap for {name} readers, codename {name}word.")
    gone = make.thread(board=boards["public"], author=staff, title="Zephyr deleted thread", body="zephyr gonethread")
    forum.delete_post(staff, db.session.get(Post, _opening(gone)))
    reply = make.post(threads["public"], body="zephyr deletedreply text")
    forum.delete_post(reply.author, reply)
    db.session.commit()
    return threads


def _opening(thread) -> int:
    return db.session.scalar(select(Post.id).where(Post.thread_id == thread.id, Post.number == 1))


def _reader(make, auth, role):
    if role != "guest":
        auth.login(make.member(f"reader-{role}", role=Role.member if role == "member" else Role(role)))


@pytest.mark.parametrize("role", ROLES)
def test_each_role_finds_exactly_the_boards_it_may_read(role, make, auth, find, forum_of_secrets):
    _reader(make, auth, role)
    body = find("zephyr")
    found = {item["board"]["slug"].removeprefix("b-") for item in body["items"]}
    assert found == READS[role]
    assert body["total"] == len(READS[role])
    for hidden in ALL - READS[role]:
        assert find(f"{hidden}word")["total"] == 0
        assert find(f"board:b-{hidden}")["total"] == 0


@pytest.mark.parametrize("role", ROLES)
def test_nobody_finds_deleted_threads_or_posts(role, make, auth, find, forum_of_secrets):
    _reader(make, auth, role)
    assert find("gonethread")["total"] == 0
    assert find("deletedreply")["total"] == 0


@pytest.mark.parametrize("role", ROLES)
def test_the_html_page_shows_no_title_snippet_or_count_of_unreadable_boards(role, make, auth, client, forum_of_secrets):
    _reader(make, auth, role)
    assert search.wait()
    page = client.get("/search", query_string={"q": "zephyr"}).get_data(as_text=True)
    for name in sorted(ALL):
        assert (f"Zephyr plans {name}" in page or f"plans {name}" in page) is (name in READS[role])
        assert (f"{name}word" in page) is (name in READS[role])
    assert f"{len(READS[role])} result" in page


@pytest.mark.parametrize("role", ROLES)
def test_similar_threads_respect_the_reader(role, make, auth, client, forum_of_secrets):
    _reader(make, auth, role)
    assert search.wait()
    items = client.get("/search/similar", query_string={"title": "zephyr plans"}).get_json()["items"]
    assert {item["title"].split()[-1] for item in items} == READS[role]


def test_spelling_suggestion_never_reveals_a_word_only_staff_may_read(make, find, auth):
    board = make.board(visibility=Visibility.staff)
    make.thread(board=board, author=make.member(role=Role.staff), title="Confidential layoffs memo")
    make.thread(title="Public launch party")
    assert find("layofs")["suggestion"] is None  # a guest: the only "layoffs" is on the staff board
    auth.login(make.member(role=Role.staff))
    assert find("layofs")["suggestion"] == "layoffs"


def _hide(monkeypatch, post_id: int, attribute: str) -> None:
    """Hide (or whisper) a post: through moderation's column when it exists, else as the model would say."""
    column = {"is_hidden": "hidden_at", "is_whisper": "is_whisper"}[attribute]
    if hasattr(Post, column) and column in Post.__table__.c:
        db.session.execute(update(Post).where(Post.id == post_id)
                           .values({column: utcnow() if column == "hidden_at" else True}))
        db.session.commit()
    else:
        original = getattr(Post, attribute, None)
        monkeypatch.setattr(Post, attribute, property(lambda p: p.id == post_id or bool(original and original.__get__(p))),
                            raising=False)
    search.note_posts([post_id])  # as a service would have: the next commit rewrites its document
    db.session.commit()


@pytest.mark.parametrize("role", ROLES)
def test_hidden_posts_are_not_found(role, make, auth, find, monkeypatch):
    thread = make.thread(title="Visible thread about quokkas")
    hidden = make.post(thread, body="quokkas hiddenreply with an insult")
    _hide(monkeypatch, hidden.id, "is_hidden")
    _reader(make, auth, role)
    assert find("hiddenreply")["total"] == 0
    assert find("quokkas")["total"] == 1


@pytest.mark.parametrize("role", ROLES)
def test_whispers_are_found_by_staff_and_moderators_only(role, make, auth, find, monkeypatch):
    thread = make.thread(title="Customer asks about wombats")
    whisper = make.post(thread, author=make.member(role=Role.staff), body="wombats whisperword: refund approved internally")
    _hide(monkeypatch, whisper.id, "is_whisper")
    _reader(make, auth, role)
    assert find("whisperword")["total"] == (1 if role in ("moderator", "staff") else 0)


def test_a_board_made_private_stops_showing_at_once(make, find):
    board = make.board()
    make.thread(board=board, title="Numbat sightings")
    assert find("numbat")["total"] == 1
    db.session.execute(update(type(board)).where(type(board).id == board.id).values(visibility=Visibility.staff))
    db.session.commit()  # no signal: the reader's filter reads the boards' visibility from the database
    assert find("numbat")["total"] == 0


def test_a_thread_deleted_a_moment_ago_is_not_shown_even_before_the_index_catches_up(make, find, client):
    thread = make.thread(title="Platypus facts")
    assert find("platypus")["total"] == 1
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(deleted_at=utcnow()))
    db.session.commit()  # behind the services' back: the index still has it
    assert search.wait()
    assert client.get("/api/v1/search", query_string={"q": "platypus"}).get_json()["items"] == []
