"""Offline reading, as the server takes part in it: the service worker is served from the root and always
revalidated, the pages it may keep are marked (public ones only), the offline page is the same for everyone,
and signing out tells the browser to forget what it kept. (The browser's side: tests/e2e/test_offline.py.)"""
from __future__ import annotations

from community.extensions import db
from community.forum import services as forum


def test_the_service_worker_is_served_from_the_root_and_revalidated(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"
    script = response.get_data(as_text=True)
    assert "X-Offline-Cache" in script and '"/logout"' in script
    page = client.get("/").get_data(as_text=True)
    assert '<script src="/static/js/offline.js" defer></script>' in page


def test_only_pages_a_guest_could_see_are_marked_for_keeping(client, make, auth):
    reader = make.member("off_max")
    public = make.board("open-talk")
    lounge = make.board("lounge", visibility="members")
    open_thread = forum.start_thread(reader, public, "Public lantern", "Everyone reads this.")
    private = forum.start_thread(reader, lounge, "Lounge lantern", "Members only.")
    db.session.commit()
    assert client.get(f"/t/{open_thread.id}").headers["X-Offline-Cache"] == "public"
    auth.login(reader)
    assert client.get(f"/t/{open_thread.id}").headers["X-Offline-Cache"] == "public"
    assert client.get("/b/open-talk").headers["X-Offline-Cache"] == "public"
    for path in (f"/t/{private.id}", "/b/lounge", "/settings", "/messages", "/notifications", "/search?q=lantern"):
        assert "X-Offline-Cache" not in client.get(path).headers, path


def test_the_offline_page_is_the_same_for_everyone_and_not_indexed(client, make, auth):
    guest_page = client.get("/offline").get_data(as_text=True)
    assert "You are offline" in guest_page and 'content="noindex"' in guest_page
    auth.login(make.member("off_ann", display_name="Ann Lantern"))
    member_page = client.get("/offline").get_data(as_text=True)
    assert member_page == guest_page and "Ann Lantern" not in member_page and "csrf" not in member_page


def test_signing_out_tells_the_browser_to_forget_kept_pages(client, make, auth):
    auth.login(make.member("off_sue"))
    response = auth.logout()
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache"'



def test_every_page_names_its_reader_without_saying_who(client, make, auth):
    assert client.get("/").headers["X-Offline-Reader"] == "guest"
    ann, bob = make.member("off_ann2"), make.member("off_bob2")
    auth.login(ann)
    ann_key = client.get("/").headers["X-Offline-Reader"]
    assert ann_key != "guest" and "off_ann2" not in ann_key
    assert client.get("/latest").headers["X-Offline-Reader"] == ann_key  # the same reader on every page
    auth.logout()
    auth.login(bob)
    assert client.get("/").headers["X-Offline-Reader"] not in ("guest", ann_key)


def test_a_reply_and_ending_other_sessions_name_the_reader_as_pages_do(client, make, auth, count_queries):
    ann = make.member("off_ann3")
    thread = forum.start_thread(ann, make.board("open-talk3"), "Lantern talk", "Where are the lanterns?")
    db.session.commit()
    auth.login(ann)
    key = client.get("/").headers["X-Offline-Reader"]
    # a reply's redirect, after its commit expired the member: the same key, and no reload of the member
    with count_queries() as statements:
        answer = client.post(f"/t/{thread.id}/reply", data={"body": "By the door, as always."})
    assert answer.status_code == 302 and answer.headers["X-Offline-Reader"] == key
    assert not [s for s in statements if s.lstrip().upper().startswith("SELECT") and "FROM members" in s
                and "JOIN" not in s and "session_version" in s]
    # ending the other sessions moves the member's session version: this very answer names the new reader
    ended = client.post("/settings/sessions/end-others", data={"session-submit": "y"})
    assert ended.status_code == 302 and ended.headers["X-Offline-Reader"] not in (key, "guest")
    assert client.get("/").headers["X-Offline-Reader"] == ended.headers["X-Offline-Reader"]
