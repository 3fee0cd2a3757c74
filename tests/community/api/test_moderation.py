"""Moderation through the API: thread and post actions per role, and the review queue."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from community.forum.models import Post, Thread
from community.members.models import Role
from community.moderation.models import ReviewItem, ReviewStatus
from tests.community.api.conftest import error_of


@pytest.fixture
def people(make):
    return {"member": make.member("mia"), "moderator": make.member("mod", role=Role.moderator),
            "staff": make.member("stan", role=Role.staff)}


def caller(api, people, role):
    return api(people[role]) if role != "guest" else api()


@pytest.mark.parametrize("role, status", [("guest", 401), ("member", 403), ("moderator", 200), ("staff", 403)])
@pytest.mark.parametrize("action", ["pin", "lock"])
def test_pinning_and_locking_per_role(api, make, people, role, status, action, db):
    thread = make.thread()
    response = caller(api, people, role).post(f"threads/{thread.id}/moderation", json={"action": action,
                                                                                       "reason": "tidy"})
    assert response.status_code == status
    db.session.rollback()
    fresh = db.session.get(Thread, thread.id)
    changed = fresh.pinned_at is not None if action == "pin" else fresh.locked_at is not None
    assert changed is (status == 200)
    if status == 200:
        assert response.get_json()["pinned" if action == "pin" else "locked"] is True


def test_a_moderator_moves_retags_hides_deletes_and_restores_a_thread(api, make, people, db):
    source, target = make.board("src"), make.board("dst")
    thread = make.thread(source)
    mod = api(people["moderator"])
    path = f"threads/{thread.id}/moderation"
    assert mod.post(path, json={"action": "move", "board": "dst"}).get_json()["board"]["slug"] == "dst"
    assert mod.post(path, json={"action": "move", "board": "nowhere"}).status_code == 422
    assert mod.post(path, json={"action": "retag", "tags": ["faq"]}).get_json()["tags"] == ["faq"]
    assert mod.post(path, json={"action": "hide", "reason": "checking"}).get_json()["hidden"] is True
    assert api().get(f"threads/{thread.id}").status_code == 404
    assert mod.post(path, json={"action": "unhide"}).get_json()["hidden"] is False
    assert mod.post(path, json={"action": "delete"}).get_json()["deleted"] is True
    assert api().get(f"threads/{thread.id}").status_code == 410
    assert mod.post(path, json={"action": "restore"}).get_json()["deleted"] is False
    assert api().get(f"threads/{thread.id}").status_code == 200
    assert target.slug == "dst"


def test_moderation_input_is_checked(api, make, people):
    thread = make.thread()
    mod = api(people["moderator"])
    path = f"threads/{thread.id}/moderation"
    response = mod.post(path, json={"action": "explode"})
    assert response.status_code == 422 and "action" in error_of(response)["fields"]
    assert mod.post(path, json={}).status_code == 422
    assert mod.post(path, json={"action": "pin", "days": "soon"}).status_code == 422
    assert mod.post(path, json={"action": "unpin"}).status_code == 409  # not pinned
    assert mod.post("threads/999999/moderation", json={"action": "pin"}).status_code == 404
    assert mod.post(path, data="{", headers={"Content-Type": "application/json"}).status_code == 400


def test_a_read_write_token_without_moderate_scope_cannot_moderate(api, make, people):
    thread = make.thread()
    response = api(people["moderator"], ["read", "write"]).post(f"threads/{thread.id}/moderation",
                                                                json={"action": "lock"})
    assert response.status_code == 403 and error_of(response)["code"] == "insufficient_scope"


@pytest.mark.parametrize("role, status", [("guest", 401), ("member", 403), ("moderator", 200), ("staff", 403)])
def test_hiding_a_post_per_role(api, make, people, role, status, db):
    post = make.post(make.thread(), author=make.member("ann"))
    response = caller(api, people, role).post(f"posts/{post.id}/moderation", json={"action": "hide"})
    assert response.status_code == status
    db.session.rollback()
    assert (db.session.get(Post, post.id).hidden_at is not None) is (status == 200)


def test_a_moderator_deletes_and_restores_a_post(api, make, people):
    post = make.post(make.thread(), author=make.member("ann"))
    mod = api(people["moderator"])
    assert mod.post(f"posts/{post.id}/moderation", json={"action": "delete"}).get_json()["deleted"] is True
    assert api().get(f"posts/{post.id}").status_code == 404
    assert mod.post(f"posts/{post.id}/moderation", json={"action": "restore"}).get_json()["deleted"] is False
    assert mod.post(f"posts/{post.id}/moderation", json={"action": "restore"}).status_code == 409


@pytest.mark.parametrize("role, status", [("guest", 401), ("member", 404), ("moderator", 200), ("staff", 404)])
def test_the_review_queue_is_for_moderators(api, make, people, role, status):
    assert caller(api, people, role).get("review").status_code == status


def test_a_moderator_upholds_a_flag_from_the_queue(api, make, people, db):
    post = make.post(make.thread(), author=make.member("ann"))
    assert api(people["staff"]).post(f"posts/{post.id}/flags", json={"reason": "abusive"}).status_code == 201
    mod = api(people["moderator"])
    items = mod.get("review").get_json()["items"]
    assert len(items) == 1 and items[0]["post"]["id"] == post.id and items[0]["flags"][0]["reason"] == "abusive"
    bad = mod.post(f"review/{items[0]['id']}", json={"outcome": "approved"})
    assert bad.status_code == 422  # not a decision for a flagged post
    response = mod.post(f"review/{items[0]['id']}", json={"outcome": "agreed", "note": "Rude."})
    assert response.status_code == 200 and response.get_json()["status"] == "agreed"
    assert mod.post(f"review/{items[0]['id']}", json={"outcome": "agreed"}).status_code == 409
    assert mod.get("review").get_json()["items"] == []
    assert mod.get("review?status=agreed").get_json()["items"][0]["id"] == items[0]["id"]
    assert mod.post("review/999999", json={"outcome": "agreed"}).status_code == 404
    db.session.rollback()
    assert db.session.scalar(select(ReviewItem.status)) is ReviewStatus.agreed
