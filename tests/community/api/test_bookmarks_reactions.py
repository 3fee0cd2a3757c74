"""/api/v1/bookmarks and PUT /api/v1/posts/{id}/reaction, as an API client notices them."""
from __future__ import annotations

from datetime import timedelta

from community.dbtypes import utcnow
from community.extensions import db
from community.forum.models import Visibility
from community.members.models import Role
from community.moderation.thread_tools import move_thread
from tests.community.api.conftest import error_of


def test_bookmark_a_post_list_it_change_its_reminder_and_remove_it(api, make):
    thread = make.thread(title="Mesh setup")
    reply = make.post(thread)
    caller = api(make.member())
    created = caller.post("bookmarks", json={"post_id": reply.id, "remind": "tomorrow", "note": "try this"})
    assert created.status_code == 201
    body = created.get_json()
    assert body["target"] == "post" and body["title"] == "Mesh setup #2" and body["remind_at"].endswith("09:00:00+00:00")
    listed = caller.get("bookmarks").get_json()
    assert [b["id"] for b in listed["items"]] == [body["id"]] and listed["next"] is None
    when = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    changed = caller.patch(f"bookmarks/{body['id']}", json={"remind_at": when.isoformat()})
    assert changed.status_code == 200 and changed.get_json()["remind_at"] == when.isoformat()
    cleared = caller.patch(f"bookmarks/{body['id']}", json={"remind": "none"}).get_json()
    assert cleared["remind_at"] is None and cleared["note"] == "try this"
    assert caller.delete(f"bookmarks/{body['id']}").status_code == 204
    assert caller.get("bookmarks").get_json()["items"] == []


def test_bookmark_errors_are_json(api, make):
    staff = make.member(role=Role.staff)
    hidden = make.thread(board=make.board(visibility=Visibility.staff), author=staff)
    caller = api(make.member())
    assert error_of(caller.post("bookmarks", json={"thread_id": hidden.id}))["code"] == "not_found"
    assert caller.post("bookmarks", json={}).status_code == 422
    bad_time = caller.post("bookmarks", json={"thread_id": make.thread().id, "remind": "custom", "remind_at": "soon"})
    assert bad_time.status_code == 422 and "remind_at" in error_of(bad_time)["fields"]
    assert error_of(api().get("bookmarks"))["code"] == "unauthorized"
    other = api(make.member()).post("bookmarks", json={"thread_id": make.thread().id}).get_json()
    assert caller.delete(f"bookmarks/{other['id']}").status_code == 404


def test_a_bookmark_on_a_thread_moved_away_lists_as_unavailable_without_its_title(api, make):
    thread = make.thread(title="Pricing zqsecret")
    caller = api(make.member())
    caller.post("bookmarks", json={"thread_id": thread.id})
    move_thread(make.member(role=Role.admin), thread, make.board(visibility=Visibility.staff))
    db.session.commit()
    (item,) = caller.get("bookmarks").get_json()["items"]
    assert item["available"] is False and item["title"] is None and item["url"] is None
    assert "zqsecret" not in caller.get("bookmarks").get_data(as_text=True)


def test_react_through_the_api(api, make):
    author = make.member()
    reply = make.post(make.thread(), author=author)
    caller = api(make.member())
    answer = caller.put(f"posts/{reply.id}/reaction", json={"kind": "thanks"})
    assert answer.status_code == 200 and answer.get_json() == {"post_id": reply.id, "counts": {"thanks": 1},
                                                                "mine": "thanks"}
    assert caller.put(f"posts/{reply.id}/reaction", json={"kind": "thanks"}).get_json()["mine"] is None
    assert caller.put(f"posts/{reply.id}/reaction", json={"kind": "meh"}).status_code == 422
    own = api(author).put(f"posts/{reply.id}/reaction", json={"kind": "like"})
    assert own.status_code == 403 and "own posts" in error_of(own)["message"]
