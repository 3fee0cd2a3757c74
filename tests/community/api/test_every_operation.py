"""Every operation with a body refuses bad JSON (400), wrong types (422) and huge bodies (413); every
operation with an id answers 404 for an id that does not exist - all as {"error": {...}}."""
from __future__ import annotations

import pytest

from community.api import moderation, views  # noqa: F401  (their operations register on import)
from community.api.core import OPERATIONS
from community.conversations import services as conversations
from community.extensions import db
from community.forum.models import BoardKind
from community.members.models import Role
from crm_bridge import cases, leads
from tests.community.api.conftest import error_of

WITH_BODY = sorted(key for key, op in OPERATIONS.items() if op["body"])
WITH_IDS = sorted(key for key, op in OPERATIONS.items() if "_id}" in op["path"])
GUEST_ONLY = {"POST /members", "POST /tokens"}


@pytest.fixture
def world(api, make):
    admin = make.member("root", role=Role.admin)
    board = make.board("open")
    thread = make.thread(board)
    reply = make.post(thread, author=make.member("ann"))
    question = make.thread(make.board("help", kind=BoardKind.question))
    idea = make.thread(make.board("ideas", kind=BoardKind.idea))
    caller = api(admin)
    caller.post(f"posts/{reply.id}/flags", json={"reason": "spam"})
    item_id = caller.get("review").get_json()["items"][0]["id"]
    token_id = caller.get("tokens").get_json()["items"][0]["id"]
    chat = conversations.message_staff(make.member("cat"), "", "Hello team")  # the admin reads the staff inbox
    case = cases.open_case(thread.author, "Router drops Wi-Fi", threads=[thread], by=admin)  # the CRM's records
    lead = leads.create_lead(reply.author, thread=thread, by=admin, title="Asks about the Pro plan")
    db.session.commit()
    return {"caller": caller, "guest": api(), "ids": {
        "slug": board.slug, "thread_id": thread.id, "post_id": reply.id, "item_id": item_id, "token_id": token_id,
        "conversation_id": chat.id, "case_id": case.id, "lead_id": lead.id},
        "special": {"POST /threads/{thread_id}/accepted-answer": question.id,
                    "PUT /threads/{thread_id}/idea-status": idea.id}}


def _path(world, key, unknown=False):
    path = OPERATIONS[key]["path"]
    for name, value in world["ids"].items():
        if name == "thread_id" and key in world["special"]:
            value = world["special"][key]
        path = path.replace("{" + name + "}", str(999_999 if unknown and name.endswith("_id") else value))
    return path.lstrip("/")


def _who(world, key):
    return world["guest"] if key in GUEST_ONLY else world["caller"]


@pytest.mark.parametrize("key", WITH_BODY)
def test_bad_json_is_400(world, key):
    method = OPERATIONS[key]["method"]
    response = _who(world, key).call(method, _path(world, key), data="{'not': json",
                                     headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and error_of(response)["code"] == "bad_json", response.get_json()


@pytest.mark.parametrize("key", WITH_BODY)
def test_wrong_types_and_missing_fields_are_422_with_fields(world, key):
    op = OPERATIONS[key]
    body = {name: {"a": "dict"} for name in op["body"]["properties"]}  # no field of any operation takes an object
    body.pop("poll", None)
    response = _who(world, key).call(op["method"], _path(world, key), json=body)
    assert response.status_code == 422, response.get_json()
    fields = error_of(response)["fields"]
    assert set(body) <= set(fields)
    if op["body"].get("required"):
        response = _who(world, key).call(op["method"], _path(world, key), json={})
        assert response.status_code == 422 and set(op["body"]["required"]) <= set(error_of(response)["fields"])


@pytest.mark.parametrize("key", WITH_BODY)
def test_huge_bodies_are_413(app, world, key):
    huge = '{"body": "' + "x" * app.config["MAX_CONTENT_LENGTH"] + '"}'
    response = _who(world, key).call(OPERATIONS[key]["method"], _path(world, key), data=huge,
                                     headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and error_of(response)["code"] == "payload_too_large"


@pytest.mark.parametrize("key", WITH_IDS)
def test_unknown_ids_are_404(world, key):
    op = OPERATIONS[key]
    response = world["caller"].call(op["method"], _path(world, key, unknown=True), json={})
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
