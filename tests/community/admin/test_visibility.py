"""A board's change of visibility takes effect at once for a guest: board and thread pages (also when
cached for guests), the Atom feed, search (page and API) and the REST API; and the other way round when a
board is opened to everyone."""
from __future__ import annotations

from community import search
from tests.community.search.conftest import empty_index, search_backend  # noqa: F401  (autouse: each test starts with an empty index, once per backend)


def guest_sees(client, board_slug: str, thread_id: int) -> dict:
    assert search.wait()
    api_search = client.get("/api/v1/search", query_string={"q": "zeppelin"}).get_json()
    return {
        "board page": client.get(f"/b/{board_slug}").status_code == 200,
        "thread page": client.get(f"/t/{thread_id}").status_code == 200,
        "feed": client.get(f"/b/{board_slug}.atom").status_code == 200,
        "latest feed": "Zeppelin" in client.get("/latest.atom").get_data(as_text=True),
        "search page": "Zeppelin" in client.get("/search?q=zeppelin").get_data(as_text=True),
        "search api": any(item["thread"]["id"] == thread_id for item in api_search.get("items", [])),
        "api board": client.get(f"/api/v1/boards/{board_slug}/threads").status_code == 200,
        "api boards": any(b["slug"] == board_slug for b in client.get("/api/v1/boards").get_json()["items"]),
        "api thread": client.get(f"/api/v1/threads/{thread_id}").status_code == 200,
    }


def test_a_board_made_members_only_disappears_for_guests_at_once(make, people, as_role, client):
    board = make.board("airships", name="Airships")
    thread = make.thread(board, title="Zeppelin maintenance", body="How to patch a zeppelin envelope.")
    before = guest_sees(client, "airships", thread.id)
    assert all(before.values()), before  # (and the guest's pages are now in the page cache)
    response = as_role("admin").post("/admin/boards/airships/edit", data={
        "slug": "airships", "name": "Airships", "kind": "discussion", "visibility": "members",
        "default_sort": "latest", "start_policy": "members", "start_min_trust": "0"})
    assert response.status_code == 302
    after = guest_sees(client, "airships", thread.id)
    assert not any(after.values()), after
    member = as_role("member")
    assert member.get("/b/airships").status_code == 200 and member.get(f"/t/{thread.id}").status_code == 200


def test_a_board_made_staff_only_through_the_api_disappears_for_members_at_once(make, people, as_role, api_as):
    board = make.board("plans", name="Plans")
    thread = make.thread(board, title="Zeppelin roadmap", body="The zeppelin fleet grows.")
    member = as_role("member")
    assert member.get(f"/t/{thread.id}").status_code == 200
    response = api_as("admin").patch("/api/v1/admin/boards/plans", json={"visibility": "staff"})
    assert response.status_code == 200 and response.get_json()["visibility"] == "staff"
    assert member.get(f"/t/{thread.id}").status_code == 404
    assert api_as("member").get(f"/api/v1/threads/{thread.id}").status_code == 404
    assert search.wait()
    assert "Zeppelin" not in member.get("/search?q=zeppelin").get_data(as_text=True)
    assert as_role("staff").get(f"/t/{thread.id}").status_code == 200


def test_a_board_opened_to_everyone_is_found_by_guests_in_search(make, people, as_role, client):
    board = make.board("secret", name="Secret", visibility="members")
    thread = make.thread(board, title="Zeppelin secrets", body="The zeppelin hangar location.")
    assert not any(guest_sees(client, "secret", thread.id).values())
    response = as_role("admin").post("/admin/boards/secret/edit", data={
        "slug": "secret", "name": "Secret", "kind": "discussion", "visibility": "public",
        "default_sort": "latest", "start_policy": "members", "start_min_trust": "0"})
    assert response.status_code == 302
    after = guest_sees(client, "secret", thread.id)
    assert all(after.values()), after
