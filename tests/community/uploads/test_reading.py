"""Who may fetch /uploads/<id>: the rights of the posts that use it, its owner before that, and the cache headers."""
from __future__ import annotations

import io

from community import settings
from community.errors import ValidationFailed
from community.extensions import db
from community.forum import services as forum
from community.forum.models import Post
from community.moderation.posts import hide_post
from community.uploads import register_upload_reader, storage
from community.uploads.models import PostUpload
from community.uploads.services import _READERS_KEY

from .conftest import png


def _attach(upload, data=b"secret plans", name="plans.txt"):
    response = upload(data, name)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def test_owner_sees_own_unused_upload_and_another_member_does_not(upload, member_in, auth, client):
    member_in()
    mine = _attach(upload)
    assert client.get(mine["url"]).data == b"secret plans"
    auth.logout()
    assert client.get(mine["url"]).status_code == 404
    member_in()
    assert client.get(mine["url"]).status_code == 404


def test_staff_board_attachment_is_404_for_guest_and_member_and_200_for_staff(upload, member_in, auth, client, make):
    staff_board = make.board(visibility="staff")
    author = member_in(role="staff")
    body = _attach(upload)
    thread = forum.start_thread(author, staff_board, "Plans for the launch", f"See [plans.txt]({body['url']})")
    db.session.commit()
    assert db.session.query(PostUpload).filter_by(upload_id=body["id"]).count() == 1
    auth.logout()
    assert client.get(body["url"]).status_code == 404
    member_in()
    assert client.get(body["url"]).status_code == 404
    auth.logout()
    member_in(role="staff")
    response = client.get(body["url"])
    assert response.status_code == 200 and response.data == b"secret plans"
    assert "private" in response.headers["Cache-Control"] and "public" not in response.headers["Cache-Control"]
    assert thread.id


def test_public_post_picture_is_shown_to_guests_and_cacheable(upload, member_in, auth, client, make):
    board = make.board()
    author = member_in()
    picture = _attach(upload, png(), "cat.png")
    forum.start_thread(author, board, "A picture of my cat", f"![cat]({picture['url']})")
    db.session.commit()
    auth.logout()
    client.get("/")  # the first answer after signing out clears the remember cookie: a Set-Cookie, never public
    response = client.get(picture["url"])
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "public" in response.headers["Cache-Control"] and "Set-Cookie" not in response.headers
    assert response.headers["Content-Disposition"] == "inline"


def test_hidden_or_deleted_post_takes_its_attachment_with_it(upload, member_in, auth, client, make):
    board = make.board()
    author = member_in()
    first, second = _attach(upload, b"one", "one.txt"), _attach(upload, b"two", "two.txt")
    thread = forum.start_thread(author, board, "Server logs from today", "The logs are attached below.")
    hidden = forum.reply(author, thread, f"The first log: [one]({first['url']})")
    deleted = forum.reply(author, thread, f"The second log: [two]({second['url']})")
    db.session.commit()
    hide_post(make.member(role="moderator"), hidden, "spam")
    forum.delete_post(author, deleted)
    db.session.commit()
    assert client.get(first["url"]).status_code == 200  # its author still sees a hidden post
    assert client.get(second["url"]).status_code == 404  # nobody but moderators sees a deleted post's words
    auth.logout()
    assert client.get(first["url"]).status_code == 404
    assert client.get(second["url"]).status_code == 404
    member_in(role="moderator")
    assert client.get(first["url"]).status_code == 200 and client.get(second["url"]).status_code == 200


def test_someone_elses_upload_in_my_public_post_stays_private(upload, member_in, auth, client, make):
    board = make.board()
    member_in()
    secret = _attach(upload)
    auth.logout()
    thief = member_in()
    forum.start_thread(thief, board, "Look what I found here", f"[found it]({secret['url']})")
    db.session.commit()
    auth.logout()
    assert client.get(secret["url"]).status_code == 404


def test_editing_the_upload_out_of_a_post_unlinks_it(upload, member_in, client, make, auth):
    board = make.board()
    author = member_in()
    body = _attach(upload)
    thread = forum.start_thread(author, board, "Server logs from today", f"[plans]({body['url']})")
    db.session.commit()
    forum.edit_post(author, thread_post(thread), "No attachment any more.")
    db.session.commit()
    auth.logout()
    assert client.get(body["url"]).status_code == 404


def thread_post(thread):
    return db.session.query(Post).filter_by(thread_id=thread.id, number=1).one()


def test_a_reader_hook_lets_another_area_share_an_upload(app, upload, member_in, auth, client):
    member_in()
    body = _attach(upload)
    auth.logout()
    friend = member_in()

    def conversation_reader(member, row):
        return getattr(member, "id", None) == friend.id and row.id == body["id"]

    register_upload_reader(app, conversation_reader)
    try:
        assert client.get(body["url"]).status_code == 200
    finally:
        app.extensions[_READERS_KEY].remove(conversation_reader)
    assert client.get(body["url"]).status_code == 404


def test_a_file_in_a_board_that_takes_only_pictures_is_refused_when_the_post_is_saved(upload, member_in, make):
    board = make.board()
    author = member_in()
    body = _attach(upload)
    settings.save({"uploads.board_policies": {str(board.id): "images"}})
    db.session.commit()
    try:
        forum.start_thread(author, board, "Server logs from today", f"[plans]({body['url']})")
    except ValidationFailed as exc:
        assert "only pictures" in str(exc.fields["body"])
    else:
        raise AssertionError("the board took a file")
    db.session.rollback()


def test_site_logo_without_an_upload_row_stays_public(client, app):
    with app.test_request_context():
        stored = storage.save_image(io.BytesIO(png()), "logo", 10**6, 512)
    response = client.get(stored.url)
    assert response.status_code == 200 and response.cache_control.immutable


def test_thread_page_query_count_does_not_grow_with_attachments(app, upload, member_in, client, make,
                                                                   count_queries):
    board = make.board()
    author = member_in(role="staff")  # no per-post content limits

    def page_queries(pictures: int) -> int:
        urls = [upload(png(), f"p{n}.png").get_json()["url"] for n in range(pictures)]
        thread = forum.start_thread(author, board, f"Pictures, {pictures} of them",
                                    "Pictures: " + " ".join(f"![p]({url})" for url in urls))
        for url in urls:
            forum.reply(author, thread, f"One more look at this one: ![p]({url})")
        db.session.commit()
        client.get(f"/t/{thread.id}")  # warm up: last-seen bookkeeping
        with count_queries() as statements:
            response = client.get(f"/t/{thread.id}")
        assert response.get_data(as_text=True).count("/uploads/") >= 2 * pictures
        return len(statements)

    assert page_queries(1) == page_queries(6)


def test_a_stored_file_without_its_row_is_not_served(client, app):
    with app.test_request_context():
        stored = storage.store(storage.prepare_file(io.BytesIO(b"left behind"), "txt", 1000))
    assert client.get(stored.url).status_code == 404
