"""Bookmarking threads and posts as a member notices it: the buttons, the /bookmarks page, reminders that
come once and only while the member may still see what they bookmarked."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from community.bookmarks import services as bookmarks
from community.dbtypes import utcnow
from community.forum import services as forum
from community.forum.models import Visibility
from community.members.models import Role
from community.moderation.thread_tools import move_thread
from tests.community.bookmarks.conftest import JSON, bookmarks_of, reminders_of


def test_bookmark_a_post_without_javascript_and_find_it_on_the_bookmarks_page(client, auth, make, db):
    thread = make.thread(title="Router keeps dropping wifi")
    reply = make.post(thread, author=make.member("ann"))
    reader = make.member()
    auth.login(reader)
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert page.count('class="link bookmark-toggle"') == 3  # the thread head and each post
    response = client.post("/bookmarks/toggle", data={"post_id": reply.id})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/t/{thread.id}#post-2")
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert page.count('bookmark-toggle bookmarked" aria-pressed="true">Bookmarked') == 1
    listing = client.get("/bookmarks").get_data(as_text=True)
    assert "Router keeps dropping wifi #2" in listing and "a post by ann" in listing


def test_the_toggle_answers_json_and_a_second_press_removes_the_bookmark(client, auth, make, db):
    thread = make.thread()
    reader = make.member()
    auth.login(reader)
    answer = client.post("/bookmarks/toggle", data={"thread_id": thread.id}, headers=JSON).get_json()
    assert answer["bookmarked"] is True and answer["id"]
    assert [b.target for b in bookmarks_of(db, reader.id)] == [f"thread:{thread.id}"]
    answer = client.post("/bookmarks/toggle", data={"thread_id": thread.id}, headers=JSON).get_json()
    assert answer == {"bookmarked": False, "id": None, "remind_at": None}
    assert bookmarks_of(db, reader.id) == []


def test_remind_me_tomorrow_is_nine_in_the_morning_utc_and_shows_on_the_page(client, auth, make, db):
    thread = make.thread()
    reader = make.member()
    auth.login(reader)
    response = client.post("/bookmarks", data={"thread_id": thread.id, "remind": "tomorrow"})
    assert response.status_code == 302
    (bookmark,) = bookmarks_of(db, reader.id)
    first_id, first_time = bookmark.id, bookmark.remind_at
    tomorrow = (utcnow() + timedelta(days=1)).date()
    assert first_time == datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, tzinfo=UTC)
    assert "Reminder:" in client.get("/bookmarks").get_data(as_text=True)
    # the same target again keeps one bookmark and changes its reminder
    client.post("/bookmarks", data={"thread_id": thread.id, "remind": "hour"})
    (again,) = bookmarks_of(db, reader.id)
    assert again.id == first_id and again.remind_at < first_time


def test_reminder_choices_and_bad_input(make, client, auth, db):
    now = datetime(2030, 5, 6, 22, 30, tzinfo=UTC)
    assert bookmarks.remind_time("hour", now=now) == now + timedelta(hours=1)
    assert bookmarks.remind_time("week", now=now) == datetime(2030, 5, 13, 9, tzinfo=UTC)
    assert bookmarks.remind_time("custom", "2030-06-01T08:15", now=now) == datetime(2030, 6, 1, 8, 15, tzinfo=UTC)
    assert bookmarks.remind_time("none", now=now) is None
    thread = make.thread()
    auth.login(make.member())
    for data in ({"remind": "custom", "remind_at": "yesterday"}, {"remind": "custom", "remind_at": "2001-01-01T00:00"},
                 {"remind": "someday"}):
        response = client.post("/bookmarks", data=dict(data, thread_id=thread.id), headers=JSON)
        assert response.status_code == 422, data
    assert client.post("/bookmarks", data={"thread_id": "x"}).status_code == 404
    assert client.post("/bookmarks", data={}).status_code == 400


def test_due_reminders_notify_once(make, db, client, auth):
    thread = make.thread(title="Firmware update")
    reader = make.member()
    bookmark = bookmarks.add_bookmark(reader, thread=thread, note="check the changelog",
                                      remind_at=utcnow() + timedelta(hours=1))
    db.session.commit()
    assert bookmarks.send_due_reminders() == 0  # not yet
    assert bookmarks.send_due_reminders(now=utcnow() + timedelta(hours=2)) == 1
    db.session.commit()
    assert bookmarks.send_due_reminders(now=utcnow() + timedelta(hours=3)) == 0
    db.session.commit()
    (note,) = reminders_of(db, reader.id)
    assert note.thread_id == thread.id and note.data["bookmark_id"] == bookmark.id
    auth.login(reader)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Reminder: your bookmarked thread Firmware update (check the changelog)" in page


def test_no_reminder_about_what_the_member_may_no_longer_see(make, db):
    author = make.member()
    thread = make.thread(title="Moved away")
    reply = make.post(thread, author=author)
    reader = make.member()
    bookmarks.add_bookmark(reader, thread=thread, remind_at=utcnow() + timedelta(minutes=1))
    bookmarks.add_bookmark(reader, post=reply, remind_at=utcnow() + timedelta(minutes=1))
    db.session.commit()
    move_thread(make.member(role=Role.admin), thread, make.board(visibility=Visibility.staff))
    db.session.commit()
    assert bookmarks.send_due_reminders(now=utcnow() + timedelta(hours=1)) == 0
    db.session.commit()
    assert reminders_of(db, reader.id) == []


def test_the_page_shows_a_bookmark_on_a_deleted_or_moved_post_as_unavailable_without_its_text(client, auth, make, db):
    author = make.member()
    kept = make.thread(title="Still here")
    gone = make.thread(title="Secret roadmap")
    reply = make.post(gone, author=author, body="the launch date is in May")
    reader = make.member()
    for target in ({"thread": kept}, {"thread": gone}, {"post": reply}):
        bookmarks.add_bookmark(reader, **target)
    db.session.commit()
    forum.delete_post(author, reply)
    move_thread(make.member(role=Role.admin), gone, make.board(visibility=Visibility.staff))
    db.session.commit()
    auth.login(reader)
    page = client.get("/bookmarks").get_data(as_text=True)
    assert "Still here" in page
    assert "Secret roadmap" not in page and "launch date" not in page
    assert page.count("no longer available") == 2


def test_remove_and_change_the_reminder_on_the_page(client, auth, make, db):
    reader = make.member()
    bookmark = bookmarks.add_bookmark(reader, thread=make.thread())
    db.session.commit()
    auth.login(reader)
    response = client.post(f"/bookmarks/{bookmark.id}/reminder", data={"remind": "custom", "remind_at": "2099-01-01T10:00"})
    assert response.status_code == 422 or response.status_code == 302  # more than a year ahead: refused
    assert bookmarks_of(db, reader.id)[0].remind_at is None
    assert client.post(f"/bookmarks/{bookmark.id}/reminder", data={"remind": "week"}).status_code == 302
    assert bookmarks_of(db, reader.id)[0].remind_at is not None
    assert client.post(f"/bookmarks/{bookmark.id}/delete").status_code == 302
    assert bookmarks_of(db, reader.id) == []


def test_nobody_touches_another_members_bookmarks_nor_bookmarks_what_they_cannot_see(client, auth, make, db):
    owner = make.member()
    bookmark = bookmarks.add_bookmark(owner, thread=make.thread())
    staff = make.member(role=Role.staff)
    hidden = make.thread(board=make.board(visibility=Visibility.staff), author=staff)
    db.session.commit()
    auth.login(make.member())
    assert client.post(f"/bookmarks/{bookmark.id}/delete").status_code == 404
    assert client.post(f"/bookmarks/{bookmark.id}/reminder", data={"remind": "hour"}).status_code == 404
    assert client.post("/bookmarks/toggle", data={"thread_id": hidden.id}).status_code == 404
    assert "Bookmarks" in client.get("/bookmarks").get_data(as_text=True)
    auth.logout()
    assert client.get("/bookmarks").status_code == 302  # guests sign in first
    assert len(bookmarks_of(db, owner.id)) == 1


def test_deleting_an_account_deletes_its_bookmarks(client, auth, make, db):
    from tests.factories import PASSWORD  # noqa: PLC0415  (only here)
    leaver = make.member()
    bookmarks.add_bookmark(leaver, thread=make.thread())
    db.session.commit()
    auth.login(leaver)
    assert client.post("/settings/delete-account", data={"password": PASSWORD}).status_code == 302
    assert bookmarks_of(db, leaver.id) == []


def test_ids_beyond_the_database_integer_are_not_found(client, auth, make):
    auth.login(make.member())
    huge = "99999999999"
    assert client.post("/bookmarks", data={"post_id": huge}).status_code == 404
    assert client.post("/bookmarks/toggle", data={"thread_id": "2147483648"}).status_code == 404
    assert client.post(f"/bookmarks/{huge}/delete").status_code == 404
    assert client.post(f"/bookmarks/{huge}/reminder", data={"remind": "hour"}).status_code == 404
    assert client.post(f"/p/{huge}/react", data={"kind": "like"}).status_code == 404
    assert client.get(f"/posts/{huge}/reactions").status_code == 404
    assert client.get(f"/t/{huge}").status_code == 404


def test_the_note_is_kept_and_shown_with_the_bookmark(client, auth, make, db):
    reader = make.member()
    bookmark = bookmarks.add_bookmark(reader, thread=make.thread(title="Antenna placement"))
    db.session.commit()
    auth.login(reader)
    response = client.post(f"/bookmarks/{bookmark.id}/reminder", data={"remind": "none", "note": "  try   the hallway "})
    assert response.status_code == 302
    page = client.get("/bookmarks").get_data(as_text=True)
    assert '<p class="bookmark-note">try the hallway</p>' in page


def test_remind_me_at_a_chosen_time_from_the_thread_page(client, auth, make, db):
    thread = make.thread()
    reader = make.member()
    auth.login(reader)
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert 'name="remind" value="custom"' in page and 'type="datetime-local" name="remind_at"' in page
    when = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    response = client.post("/bookmarks", data={"thread_id": thread.id, "remind": "custom",
                                               "remind_at": when.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    assert bookmarks_of(db, reader.id)[0].remind_at == when
