"""Hostile input on every route family: deep JSON, NUL bytes, invalid UTF-8, oversized bodies.

Each answers a clean 400 (or 413) with `{"error": {...}}` on the API and the error page in a browser;
never a 500, and never a NUL in the database (PostgreSQL refuses NUL in text: run these there too).
"""
from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.forum.models import Post, Thread
from community.members.models import Member, Role
from tests.community.api.conftest import error_of

DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 100_000  # unterminated, as in the report: the parser recurses before it finds the end
DEEP_BUT_VALID = '{"a":' * 5000 + "1" + "}" * 5000


@pytest.fixture
def world(make, api):
    staff = make.member("stan", role=Role.staff)
    member = make.member("mia")
    board = make.board("open")
    thread = make.thread(board=board, author=member, title="A thread to reply to")
    post = make.post(thread, author=member)
    return {"staff": staff, "member": member, "board": board, "thread": thread, "post": post,
            "as_staff": api(staff), "as_member": api(member), "guest": api()}


def counts():
    return (db.session.scalar(select(func.count(Thread.id))), db.session.scalar(select(func.count(Post.id))),
            db.session.scalar(select(func.count(Member.id))))


def _routes(app, methods):
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        for method in sorted(rule.methods & methods):
            found.append((method, rule.rule))
    return sorted(found)


def _concrete(rule: str, world) -> str:
    path = re.sub(r"<int:thread_id>", str(world["thread"].id), rule)
    path = re.sub(r"<int:post_id>", str(world["post"].id), path)
    path = re.sub(r"<int:[a-z_]+>", "1", path)
    path = path.replace("<slug>", world["board"].slug).replace("<username>", "mia")
    return path


WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def test_every_api_write_route_answers_deep_json_with_a_400(app, world):
    routes = _routes(app, WRITE_METHODS)
    assert len(routes) >= 14  # every write operation of the API, found from the URL map
    before = counts()
    for method, rule in routes:
        path = _concrete(rule, world)
        for body in (DEEP_ARRAY, DEEP_OBJECT, DEEP_BUT_VALID):
            response = world["as_staff"].call(method, path, data=body, headers={"Content-Type": "application/json"})
            assert response.status_code == 400, (method, path, response.status_code, response.get_data()[:200])
            assert error_of(response)["code"] == "too_deep"
    assert counts() == before


def test_a_guest_gets_the_same_400_for_deep_json_on_sign_in(world):
    response = world["guest"].post("tokens", data=DEEP_ARRAY, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and error_of(response)["code"] == "too_deep"
    # no Content-Type at all: the API still reads the body as JSON
    response = world["guest"].call("POST", "tokens", data=DEEP_OBJECT)
    assert response.status_code == 400 and error_of(response)["code"] == "too_deep"


def test_every_api_read_route_refuses_nul_and_invalid_utf8_in_the_query(app, world):
    routes = _routes(app, {"GET"})
    assert len(routes) >= 14
    for _method, rule in routes:
        path = _concrete(rule, world)
        for query in ("q=a%00b", "q=%ff%fe", "page=1&q=%ed%a0%80"):  # NUL, invalid UTF-8, an encoded surrogate
            response = world["as_staff"].get(f"{path}?{query}")
            assert response.status_code == 400, (path, query, response.status_code)
            assert error_of(response)["code"] in {"nul_byte", "bad_encoding"}


@pytest.mark.parametrize("field, value", [("body", "before\u0000after"), ("body", "lone \ud800 surrogate")])
def test_a_reply_with_a_nul_or_a_lone_surrogate_is_refused_and_not_stored(world, field, value):
    before = counts()
    response = world["as_member"].post(f"threads/{world['thread'].id}/posts",
                                       data=json.dumps({field: value}), headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and error_of(response)["code"] in {"nul_byte", "bad_encoding"}
    assert counts() == before


def test_a_new_thread_with_a_nul_in_its_title_is_refused(world):
    before = counts()
    response = world["as_member"].post(f"boards/{world['board'].slug}/threads",
                                       json={"title": "Routers\u0000 and more", "body": "Some body text here."})
    assert response.status_code == 400 and error_of(response)["code"] == "nul_byte"
    assert counts() == before


def test_an_edit_with_invalid_utf8_is_refused(world):
    response = world["as_member"].patch(f"posts/{world['post'].id}", data=b'{"body": "caf\xe9 au lait"}',
                                        headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and error_of(response)["code"] == "bad_encoding"


def test_registration_with_a_nul_in_the_username_is_refused(world):
    before = counts()
    response = world["guest"].post("members", json={"username": "eve\u0000", "email": "eve@example.com",
                                                    "password": "a long enough password"})
    assert response.status_code == 400 and error_of(response)["code"] == "nul_byte"
    assert counts() == before


def test_a_nul_in_the_path_is_refused(world):
    response = world["as_staff"].get("/api/v1/members/mia%00x")
    assert response.status_code == 400 and error_of(response)["code"] == "nul_byte"
    response = world["as_staff"].get("/api/v1/boards/open%00/threads")
    assert response.status_code == 400


def test_invalid_utf8_in_the_path_is_refused(world):
    response = world["as_staff"].get("/api/v1/members/x", environ_overrides={"PATH_INFO": "/api/v1/members/\xff\xfe"})
    assert response.status_code == 400 and error_of(response)["code"] == "bad_encoding"


def test_a_nul_in_the_bearer_token_is_refused(world):
    response = world["guest"].get("me", headers={"Authorization": "Bearer abc\u0000def"})
    assert response.status_code == 400 and error_of(response)["code"] == "nul_byte"


def test_an_oversized_body_answers_413_as_json(app, world):
    body = json.dumps({"body": "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)})
    response = world["as_member"].post(f"threads/{world['thread'].id}/posts", data=body,
                                       headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and error_of(response)["code"] == "payload_too_large"


def test_an_oversized_multipart_upload_answers_413_as_json(app, world):
    data = {"body": "hello", "file": (io.BytesIO(b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10)), "big.bin")}
    response = world["as_member"].client.post(f"/api/v1/threads/{world['thread'].id}/posts", data=data,
                                              content_type="multipart/form-data",
                                              headers={"Authorization": f"Bearer {world['as_member'].token}"})
    assert response.status_code == 413 and error_of(response)["code"] == "payload_too_large"


# ---- the HTML side: the same refusals as an error page ---------------------------------------------------

def test_a_reply_form_with_a_nul_is_refused_with_a_page(client, auth, world):
    auth.login(world["member"])
    before = counts()
    response = client.post(f"/t/{world['thread'].id}/reply", data={"body": "hello\u0000world"})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "NUL" in response.get_data(as_text=True)
    assert counts() == before


def test_a_form_with_invalid_utf8_is_refused_with_a_page(client, auth, world):
    auth.login(world["member"])
    before = counts()
    response = client.post(f"/t/{world['thread'].id}/reply", data=b"body=caf%E9+au+lait",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and "UTF-8" in response.get_data(as_text=True)
    assert counts() == before


def test_a_multipart_form_with_a_nul_is_refused(client, auth, world):
    auth.login(world["member"])
    before = counts()
    response = client.post(f"/t/{world['thread'].id}/reply", data={"body": "multi\u0000part"},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert counts() == before


def test_an_oversized_multipart_form_answers_413_with_a_page(app, client, auth, world):
    auth.login(world["member"])
    data = {"body": "hello", "file": (io.BytesIO(b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10)), "big.bin")}
    response = client.post(f"/t/{world['thread'].id}/reply", data=data, content_type="multipart/form-data")
    assert response.status_code == 413 and response.mimetype == "text/html"
    assert "too large" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/search?q=%00", "/search?q=%ff", "/u/mia%00", "/latest?page=%00",
                                 "/search/similar?title=a%00b"])
def test_pages_refuse_nul_and_invalid_utf8_in_the_url(client, world, url):
    response = client.get(url)
    assert response.status_code == 400, (url, response.status_code)
    assert response.mimetype == "text/html"
