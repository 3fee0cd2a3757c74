"""The HTTP side of live updates: post fragments and notification lines, with the page's permissions."""
from __future__ import annotations

from community.extensions import db
from community.forum import services as forum
from community.forum.models import Visibility
from community.members.models import Role
from community.notifications.models import Notification


def test_post_fragment_renders_the_post_as_on_the_thread_page(client, make):
    thread = make.thread()
    post = make.post(thread, body="Try channel **6**.")
    response = client.get(f"/live/posts/{post.id}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert f'data-post-id="{post.id}"' in html and "<strong>6</strong>" in html


def test_guest_cannot_fetch_a_post_of_a_staff_board(client, make):
    thread = make.thread(board=make.board(visibility=Visibility.staff))
    post = make.post(thread, author=make.member(role=Role.staff), body="Internal roadmap")
    response = client.get(f"/live/posts/{post.id}")
    assert response.status_code == 404 and "Internal roadmap" not in response.get_data(as_text=True)


def test_deleted_post_fragment_shows_the_marker_not_the_text(client, make, db):
    thread = make.thread()
    post = make.post(thread, body="Regrettable words")
    forum.delete_post(post.author, post)
    db.session.commit()
    html = client.get(f"/live/posts/{post.id}").get_data(as_text=True)
    assert "This post was deleted." in html and "Regrettable words" not in html


def test_post_fragment_query_count_is_bounded(client, auth, make, count_queries):
    thread = make.thread()
    post = make.post(thread, reply_to=make.post(thread))
    auth.login(make.member())
    with count_queries() as statements:
        assert client.get(f"/live/posts/{post.id}").status_code == 200
    # four of them: the site settings, the group badges, the post's reactions and the reader's bookmark on it
    assert len(statements) <= 16, "\n".join(statements)


def test_notification_line_is_only_for_its_member(client, auth, make):
    owner = make.member("olga")
    thread = make.thread(author=owner, title="Wifi drops every hour")
    make.post(thread, author=make.member("rex"))
    note = db.session.scalars(db.select(Notification).where(Notification.member_id == owner.id,
                                                            Notification.kind == "reply")).one()
    auth.login(make.member("eve"))
    assert client.get(f"/live/notifications/{note.id}").status_code == 404
    auth.logout()
    auth.login(owner)
    html = client.get(f"/live/notifications/{note.id}").get_data(as_text=True)
    assert "rex replied in Wifi drops every hour" in html


def test_thread_page_carries_the_live_hooks_for_the_reader(client, make):
    thread = make.thread()
    post = make.post(thread)
    html = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert f'data-thread-id="{thread.id}"' in html and f'data-last-post-id="{post.id}"' in html
    assert "socket.io.min.js" in html and "js/realtime.js" in html
