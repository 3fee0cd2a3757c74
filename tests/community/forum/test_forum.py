"""Threads and posts as members, moderators and guests see them; bad input never half-saves."""
import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from community.bookmarks import services as bookmarks
from community.dbtypes import utcnow
from community.extensions import db
from community.forum import services
from community.forum.models import Board, Post, PostMention, Thread
from community.members.models import Role
from community.reactions import services as reactions
from community.uploads import services as uploads
from community.uploads import storage


def count(db, model):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_reply_appears_in_thread_and_counts_move(client, auth, make, db):
    board = make.board(slug="help")
    thread = make.thread(board=board, title="Router keeps dropping wifi")
    auth.login(make.member("ann"))
    response = client.post(f"/t/{thread.id}/reply", data={"body": "Try channel **6**."})
    assert response.status_code == 302 and response.headers["Location"].endswith("#post-2")
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Try channel <strong>6</strong>." in page
    assert "1 reply" in client.get("/b/help").get_data(as_text=True)
    db.session.rollback()
    board = db.session.get(Board, board.id)
    assert (board.thread_count, board.post_count) == (1, 2)


def test_reply_to_a_specific_post_links_back_to_it(client, auth, make):
    thread = make.thread()
    first = make.post(thread, author=make.member("bob"), body="Have you tried turning it off?")
    auth.login(make.member("cat"))
    client.post(f"/t/{thread.id}/reply", data={"body": "Yes, twice.", "reply_to": str(first.id)})
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert re.search(r'In reply to <a href="[^"]*#post-2">bob #2</a>', page)


def test_quote_prefills_the_reply_with_an_attributed_blockquote(client, auth, make):
    thread = make.thread()
    first = make.post(thread, author=make.member("dan"), body="Firmware 2.1 fixed it.")
    auth.login(make.member("eve"))
    page = client.get(f"/t/{thread.id}/reply?reply_to={first.id}&quote={first.id}").get_data(as_text=True)
    assert "&gt; [@dan](" in page and "&gt; Firmware 2.1 fixed it." in page


def test_mentions_are_linked_and_recorded(client, auth, make, db):
    make.member("frank")
    thread = make.thread()
    auth.login(make.member("gail"))
    client.post(f"/t/{thread.id}/reply", data={"body": "@Frank what do you think? @ghost?"})
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert 'href="/u/frank" class="mention"' in page and "@ghost" in page and "/u/ghost" not in page
    assert count(db, PostMention) == 1


def test_staff_posts_carry_the_official_marker(client, auth, make):
    thread = make.thread()
    make.post(thread, author=make.member("brand_rep", role=Role.staff), body="We are on it.")
    make.post(thread, author=make.member("regular"), body="Thanks!")
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert page.count('class="badge badge-official"') == 1


def test_announcement_boards_take_threads_from_staff_only(client, auth, make):
    board = make.board(slug="news", kind="announcement")
    auth.login(make.member("member1"))
    response = client.post("/b/news/new", data={"title": "My own announcement", "body": "Hello all"})
    assert response.status_code == 403 and "Only staff" in response.get_data(as_text=True)
    thread = make.thread(board=board)
    assert client.post(f"/t/{thread.id}/reply", data={"body": "Great news"}).status_code == 302


def test_edit_keeps_history_with_earlier_versions(client, auth, make):
    author = make.member("hal")
    thread = make.thread(author=author, title="Original title here", body="First version")
    auth.login(author)
    post_id = thread.id  # opening post id equals thread id in a fresh database
    response = client.post(f"/p/{post_id}/edit", data={"title": "Better title here", "body": "Second version",
                                                        "reason": "typo"})
    assert response.status_code == 302
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Better title here" in page and "Second version" in page and "edited" in page
    history = client.get(f"/p/{post_id}/history").get_data(as_text=True)
    assert "First version" in history and "Original title here" in history and "typo" in history


def test_author_cannot_edit_after_the_window_but_a_moderator_can(app, client, auth, make, db):
    author = make.member("ida")
    thread = make.thread(author=author)
    post = make.post(thread, author=author)
    db.session.get(Post, post.id).created_at = utcnow() - timedelta(minutes=app.config["EDIT_WINDOW_MINUTES"] + 5)
    db.session.commit()
    auth.login(author)
    assert client.post(f"/p/{post.id}/edit", data={"body": "sneaky change"}).status_code == 403
    auth.logout()
    auth.login(make.member("mod", role=Role.moderator))
    assert client.post(f"/p/{post.id}/edit", data={"body": "moderated text", "reason": "rules"}).status_code == 302
    assert "moderated text" in client.get(f"/t/{thread.id}").get_data(as_text=True)


def test_others_cannot_edit_or_delete_a_post(client, auth, make):
    thread = make.thread()
    post = make.post(thread)
    auth.login(make.member("intruder"))
    assert client.post(f"/p/{post.id}/edit", data={"body": "defaced"}).status_code == 403
    assert client.post(f"/p/{post.id}/delete").status_code == 403
    assert "defaced" not in client.get(f"/t/{thread.id}").get_data(as_text=True)


def test_deleted_reply_leaves_a_marker_and_moderators_still_see_it(client, auth, make):
    thread = make.thread()
    author = make.member("jon")
    post = make.post(thread, author=author, body="Regrettable words")
    auth.login(author)
    assert client.post(f"/p/{post.id}/delete").status_code == 302
    auth.logout()
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Regrettable words" not in page and "This post was deleted." in page
    auth.login(make.member("mod2", role=Role.moderator))
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Regrettable words" in page and "only moderators see this" in page


def test_deleting_the_opening_post_deletes_the_thread(client, auth, make):
    board = make.board(slug="gen")
    author = make.member("kay")
    thread = make.thread(board=board, author=author, title="Delete me soon please")
    auth.login(author)
    assert client.post(f"/p/{thread.id}/delete").status_code == 302
    auth.logout()
    gone = client.get(f"/t/{thread.id}")
    assert gone.status_code == 410 and "deleted" in gone.get_data(as_text=True)
    assert "Delete me soon please" not in client.get("/b/gen").get_data(as_text=True)
    assert "Delete me soon please" not in client.get("/latest").get_data(as_text=True)


def test_thread_pages_paginate_and_lists_sort(app, client, make, db):
    board = make.board(slug="busy")
    old = make.thread(board=board, title="Older thread title")
    new = make.thread(board=board, title="Newer thread title")
    make.post(old, body="bump the old one")
    latest = client.get("/b/busy?sort=latest").get_data(as_text=True)
    newest = client.get("/b/busy?sort=new").get_data(as_text=True)
    assert latest.index("Older thread title") < latest.index("Newer thread title")
    assert newest.index("Newer thread title") < newest.index("Older thread title")
    per_page = app.config["POSTS_PER_PAGE"]
    for i in range(per_page):
        make.post(new, body=f"reply number {i}")
    assert "reply number 0" in client.get(f"/t/{new.id}").get_data(as_text=True)
    second = client.get(f"/t/{new.id}?page=2").get_data(as_text=True)
    assert f"reply number {per_page - 1}" in second and "reply number 0" not in second
    assert client.get(f"/t/{new.id}?page=3").status_code == 404


@pytest.mark.parametrize("path", ["/t/{id}?page=abc", "/t/{id}?page=0", "/t/{id}?page=-1", "/b/{slug}?page=x",
                                  "/latest?page=1.5"])
def test_bad_page_numbers_get_a_clear_400(client, make, path):
    thread = make.thread()
    response = client.get(path.format(id=thread.id, slug=thread.board.slug))
    assert response.status_code == 400 and "page number" in response.get_data(as_text=True)


def test_unknown_board_and_thread_are_404_pages(client):
    for path in ("/b/no-such-board", "/t/999999", "/p/999999", "/b/nothing/new"):
        response = client.get(path)
        assert response.status_code in (404, 302), path
    assert client.get("/b/no-such-board").status_code == 404
    assert "Not found" in client.get("/t/999999").get_data(as_text=True)


@pytest.mark.parametrize("title,body,field_message", [
    ("", "A fine body", "This field is required"),
    ("Hey", "A fine body", "at least 5 characters"),
    ("x" * 201, "A fine body", "at most 200 characters"),
    ("A perfectly fine title", "", "This field is required"),
    ("A perfectly fine title", "x" * 32_001, "at most 32000 characters"),
    ("A perfectly fine title", "A fine body", None),
])
def test_new_thread_validation_keeps_nothing_half_saved(client, auth, make, db, title, body, field_message):
    make.board(slug="val")
    auth.login(make.member("val"))
    response = client.post("/b/val/new", data={"title": title, "body": body, "tags": "wifi, 路由器"})
    if field_message is None:
        assert response.status_code == 302
        assert count(db, Thread) == 1
        assert "#路由器" in client.get(response.headers["Location"]).get_data(as_text=True)
        return
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_message in page
    assert 'value="wifi, 路由器"' in page or not title  # what was typed is kept
    assert (count(db, Thread), count(db, Post)) == (0, 0)


def test_a_one_megabyte_body_is_refused_cleanly(client, auth, make, db):
    thread = make.thread()
    auth.login(make.member("big"))
    response = client.post(f"/t/{thread.id}/reply", data={"body": "x" * (1024 * 1024)})
    assert response.status_code == 422 and "at most 32000 characters" in response.get_data(as_text=True)
    assert count(db, Post) == 1


def test_a_request_over_the_size_limit_is_413(client, auth, make):
    thread = make.thread()
    auth.login(make.member("huge"))
    response = client.post(f"/t/{thread.id}/reply", data={"body": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413


def test_bad_tags_are_refused(client, auth, make, db):
    make.board(slug="tags")
    auth.login(make.member("tagger"))
    response = client.post("/b/tags/new", data={"title": "A perfectly fine title", "body": "body", "tags": "a,b,c,d,e,f"})
    assert response.status_code == 422 and "At most 5 tags" in response.get_data(as_text=True)
    response = client.post("/b/tags/new", data={"title": "A perfectly fine title", "body": "body", "tags": "<script>"})
    assert response.status_code == 422 and count(db, Thread) == 0


def test_guest_is_asked_to_sign_in_to_post(client, make):
    thread = make.thread()
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "to reply." in page and 'id="reply"' not in page
    response = client.post(f"/t/{thread.id}/reply", data={"body": "anonymous words"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_tag_page_lists_visible_threads_only(client, make):
    make.thread(board=make.board(), title="Public wifi thread")

    hidden = make.thread(board=make.board(visibility="staff"), title="Staff wifi thread")
    services.set_tags(hidden, ["wifi"])
    public = db.session.scalar(select(Thread).where(Thread.title == "Public wifi thread"))
    services.set_tags(public, ["wifi"])
    db.session.commit()
    page = client.get("/tag/wifi").get_data(as_text=True)
    assert "Public wifi thread" in page and "Staff wifi thread" not in page


def test_thread_page_shows_its_tags_in_order_loaded_with_the_thread(client, make, count_queries, db):
    thread = make.thread()
    services.set_tags(thread, ["wifi", "bridge", "router"])
    db.session.commit()
    thread_id = thread.id
    db.session.expunge_all()
    client.get(f"/t/{thread_id}")  # warm up
    with count_queries() as statements:
        page = client.get(f"/t/{thread_id}").get_data(as_text=True)
    assert re.findall(r'class="tag" href="/tag/(\w+)"', page) == ["bridge", "router", "wifi"]
    # the thread, its board and its tags in one statement (load_thread(with_tags=True)), not a second for the tags
    assert not [s for s in statements if "FROM thread_tags" in s.split("WHERE")[0] and "threads." not in s], statements


def _png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 60, 20)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("fragments", ["cached", "rendered"])
@pytest.mark.parametrize("posts", [5, 50, 200])
def test_thread_page_query_count_does_not_grow_with_posts(app, client, auth, make, count_queries, posts, db,
                                                          fragments):
    # "rendered": every post rendered afresh (no fragment store), so the templates read every author row as
    # loaded for the page (forum.services.PAGE_AUTHOR_COLUMNS) and a column more would be a query per author
    thread = make.thread()
    staff_author = make.member(role=Role.staff)  # may upload pictures and files
    # many different authors, every other one with an uploaded avatar (community/avatars): the avatar
    # beside each post reads the author row loaded with the post, never a query of its own
    authors = [make.member() for _ in range(min(posts, 25))]
    for n, author in enumerate(authors):
        author.avatar_upload_id = f"{n:032x}.webp" if n % 2 else None
    db.session.commit()
    # attachments (community/uploads): a real picture and a text file, each used by every fifth post
    with app.test_request_context():
        picture = uploads.upload(staff_author, FileStorage(io.BytesIO(_png_bytes()), "shot.png"))
        notes = uploads.upload(staff_author, FileStorage(io.BytesIO(b"router log: all fine"), "router.log"))
    db.session.commit()
    attached = f" ![shot](/uploads/{picture.id}) [router.log](/uploads/{notes.id})"
    previous = None
    for i in range(posts - 1):
        previous = make.post(thread, author=authors[i % len(authors)],
                             body=f"reply {i} @{authors[0].username}" + (attached if i % 5 == 0 else ""),
                             reply_to=previous if i % 3 else None)
    reader = make.member("reader")
    # reactions from many members (and the reader's own), bookmarks of the thread and of some posts
    reactors = [make.member() for _ in range(8)] + [reader]
    page_posts = db.session.scalars(select(Post).where(Post.thread_id == thread.id).order_by(Post.number)).all()
    for n, post in enumerate(page_posts):
        for reactor in reactors[n % 3::3]:
            if reactor.id != post.author_id:
                reactions.react(reactor, post, ("like", "thanks", "laugh", "wow", "sad")[(n + reactor.id) % 5])
        if n % 4 == 0:
            bookmarks.add_bookmark(reader, post=post)
    bookmarks.add_bookmark(reader, thread=thread)
    db.session.commit()
    app.config["POSTS_PER_PAGE"] = 200
    kept = app.config["FRAGMENT_CACHE_SECONDS"]
    if fragments == "rendered":
        app.config["FRAGMENT_CACHE_SECONDS"] = 0
    auth.login(reader)
    try:
        client.get(f"/t/{thread.id}")  # warm up: last-seen bookkeeping
        with count_queries() as statements:
            response = client.get(f"/t/{thread.id}")
    finally:
        app.config["POSTS_PER_PAGE"] = 20
        app.config["FRAGMENT_CACHE_SECONDS"] = kept
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count('class="post') >= posts
    assert page.count('<img class="avatar avatar-40" src="/uploads/') >= posts // 3
    assert 'class="reaction mine"' in page and 'bookmark-toggle bookmarked' in page
    assert page.count(f'src="/uploads/{picture.id}"') == page.count(f'href="/uploads/{notes.id}"') >= posts // 5
    # the same fixed budget for 5 posts, 50 and 200: 13 (the thread with its board and tags in one; two of them the site settings, community/settings.py,
    # and the group badges beside names; one the reactions' counts with the reader's own reactions,
    # community/reactions; one the reader's bookmarks on the thread and its posts, community/bookmarks; one the
    # header's counts, unread notifications and conversations together, community/web.header_count; one the boards
    # of the header's Boards menu, site.nav_boards). The activity commit at the end of the request keeps the loaded
    # rows (community/trust), so no hook after it loads the member again.
    assert len(statements) <= 13, "\n".join(statements)
    for stored in (picture.id, notes.id):
        storage.delete(stored)
