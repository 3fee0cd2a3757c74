"""/api/v1/conversations: list, start (members or the staff inbox), read a page of messages, reply."""
from __future__ import annotations

from tests.community.conversations.conftest import conversation, staff_conversation, writer


def test_start_list_read_and_reply_through_the_api(client, auth):
    alice, bob = writer(username="apialice"), writer(username="apibob")
    auth.login(alice)
    started = client.post("/api/v1/conversations", json={"to": ["apibob"], "subject": "Plans", "body": "Hi *bob*"})
    assert started.status_code == 201, started.get_json()
    data = started.get_json()
    assert data["subject"] == "Plans" and not data["with_staff"]
    assert {p["username"] for p in data["participants"]} == {"apialice", "apibob"}
    auth.logout()
    auth.login(bob)
    listing = client.get("/api/v1/conversations").get_json()
    assert [c["id"] for c in listing["items"]] == [data["id"]] and listing["items"][0]["unread"]
    page = client.get(f"/api/v1/conversations/{data['id']}").get_json()
    assert page["messages"][0]["html"] == "<p>Hi <em>bob</em></p>\n" and page["next"] is None
    assert not client.get("/api/v1/conversations").get_json()["items"][0]["unread"]  # read now
    answered = client.post(f"/api/v1/conversations/{data['id']}", json={"body": "Hello back"})
    assert answered.status_code == 201 and answered.get_json()["author"]["username"] == "apibob"


def test_api_errors_are_json(client, auth):
    alice, bob = writer(), writer()
    found = conversation(alice, bob)
    auth.login(writer())
    assert client.get(f"/api/v1/conversations/{found.id}").get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/conversations/99999999999").status_code == 404
    refused = client.post("/api/v1/conversations", json={"to": ["nobody-at-all"], "body": "Hi"})
    assert refused.status_code == 422 and "to" in refused.get_json()["error"]["fields"]
    assert client.post("/api/v1/conversations", json={"to": ["x"]}).status_code == 422  # no body
    assert client.post("/api/v1/conversations", data="[1]", content_type="application/json").status_code == 400
    assert client.post("/api/v1/conversations", json={"staff": True, "body": ""}).status_code == 422
    auth.logout()
    assert client.get("/api/v1/conversations").status_code == 401


def test_staff_inbox_through_the_api(client, auth):
    member, agent = writer(level=0), writer("staff")
    auth.login(member)
    started = client.post("/api/v1/conversations", json={"staff": True, "body": "Help me please"})
    assert started.status_code == 201 and started.get_json()["with_staff"]
    cid = started.get_json()["id"]
    auth.logout()
    auth.login(agent)
    answer = client.post(f"/api/v1/conversations/{cid}", json={"body": "On it"}).get_json()
    assert answer["from_staff"] and answer["team"].endswith("team")
    assert staff_conversation(member).is_staff


def test_openapi_documents_the_conversation_operations(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/conversations"]) == {"get", "post"}
    assert set(paths["/api/v1/conversations/{conversation_id}"]) == {"get", "post"}
