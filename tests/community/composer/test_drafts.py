"""Drafts: kept as a member types, restored, discarded when sent, listed on /drafts, exported, erased."""
from __future__ import annotations

import re

from sqlalchemy import select

from community.composer.models import Draft
from community.extensions import db
from community.forum.models import Post, Visibility
from community.members.models import Member
from crm_bridge.mydata import my_data
from tests.factories import PASSWORD


def put(client, key, body):
    return client.put(f"/api/v1/drafts/{key}", json={"body": body})


def test_a_draft_is_kept_and_restored_for_its_member_only(client, auth, make):
    thread = make.thread()
    alice, bob = make.member("alice"), make.member("bob")
    auth.login(alice)
    assert put(client, f"thread:{thread.id}", "half a thought").status_code == 200
    assert put(client, f"thread:{thread.id}", "half a thought, and more").status_code == 200
    got = client.get(f"/api/v1/drafts/thread:{thread.id}").get_json()
    assert got["body"] == "half a thought, and more" and got["updated_at"]
    auth.logout()
    auth.login(bob)
    assert client.get(f"/api/v1/drafts/thread:{thread.id}").get_json()["body"] == ""


def test_guests_and_bad_keys_get_json_errors(client, auth, make):
    assert put(client, "thread:1", "x").status_code == 401
    auth.login(make.member())
    for key in ("thread:abc", "board:new", "nothing:1", "thread:0", "x" * 50):
        response = put(client, key, "x")
        assert response.status_code == 422, key
        assert response.get_json()["error"]["code"] == "validation_failed"
    assert client.put("/api/v1/drafts/thread:1", data="not json").status_code == 400
    assert put(client, "thread:1", "x" * 100_001).status_code == 422


def test_an_empty_draft_is_discarded(client, auth, make):
    member = make.member()
    auth.login(member)
    put(client, "board:1", "something")
    put(client, "board:1", "   ")
    assert db.session.scalars(select(Draft)).all() == []


def test_replying_starting_a_thread_and_editing_discard_the_draft(client, auth, make):
    board = make.board()
    thread = make.thread(board=board)
    member = make.member()
    auth.login(member)
    put(client, f"thread:{thread.id}", "my reply draft")
    put(client, f"board:{board.id}", "my thread draft")
    put(client, "thread:999", "another place")
    client.post(f"/t/{thread.id}/reply", data={"body": "my reply, sent at last"})
    client.post(f"/b/{board.slug}/new", data={"title": "A brand new thread", "body": "my thread, sent at last"})
    assert [d.key for d in db.session.scalars(select(Draft))] == ["thread:999"]
    post = db.session.scalars(select(Post).where(Post.author_id == member.id, Post.thread_id == thread.id)).one()
    put(client, f"post:{post.id}", "edited words")
    assert client.post(f"/p/{post.id}/edit", data={"body": "my reply, edited"}).status_code == 302
    assert [d.key for d in db.session.scalars(select(Draft))] == ["thread:999"]


def test_drafts_page_lists_places_without_revealing_hidden_threads(client, auth, make):
    staff_board = make.board(visibility=Visibility.staff)
    secret = make.thread(board=staff_board, title="Secret launch plans")
    public = make.thread(title="How do I reset my router")
    member = make.member()
    auth.login(member)
    put(client, f"thread:{public.id}", "try the pin hole")
    put(client, f"thread:{secret.id}", "guessing the id")
    html = client.get("/drafts").get_data(as_text=True)
    assert "How do I reset my router" in html and "try the pin hole" in html
    assert "Secret launch plans" not in html
    assert "A place you can no longer see" in html
    links = re.findall(r'<p class="draft-place"><a href="([^"]+)"', html)
    assert len(links) == 1  # the public thread's; the secret one has no link
    for link in links:
        page = client.get(link.replace("&amp;", "&"))
        assert page.status_code == 200 and 'data-draft-key="thread:' in page.get_data(as_text=True)
    response = client.post("/drafts/delete", data={"key": f"thread:{public.id}"})
    assert response.status_code == 302
    assert "try the pin hole" not in client.get("/drafts").get_data(as_text=True)


def test_settings_link_to_the_drafts_page(client, auth, make):
    auth.login(make.member())
    assert "/drafts" in client.get("/settings").get_data(as_text=True)


def test_drafts_are_in_the_data_export_and_go_with_the_account(client, auth, make, app):
    member = make.member("leaver")
    auth.login(member)
    put(client, "board:1", "unsent words")
    assert [d["body"] for d in my_data(db.session.get(Member, member.id))["drafts"]] == ["unsent words"]
    assert client.post("/settings/delete-account", data={"password": PASSWORD}).status_code == 302
    assert db.session.scalars(select(Draft)).all() == []


def test_the_drafts_page_costs_the_same_queries_for_2_or_7_drafts(client, auth, make, count_queries):
    board = make.board()
    threads = [make.thread(board=board) for _ in range(6)]
    member = make.member()
    auth.login(member)
    client.get("/drafts")  # the first page of a visit also records when the member was last seen

    def queries_for(n):
        for thread in threads[:n]:
            put(client, f"thread:{thread.id}", "a reply")
            put(client, f"board:{board.id}", "a thread")
        with count_queries() as statements:
            assert client.get("/drafts").status_code == 200
        return len(statements)

    assert queries_for(1) == queries_for(6)
