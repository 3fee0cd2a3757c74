"""The OpenAPI document matches the code: every /api/v1 route is in it and everything in it is a route;
schemathesis then calls every operation with generated data and finds no 500s and no schema mismatches."""
from __future__ import annotations

import contextvars
import json
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from community.forum.models import BoardKind
from community.members.models import Role
from tests.community.api.conftest import token_for

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def _routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            found |= {(method, path) for method in rule.methods & METHODS}
    return found


def test_every_api_route_is_documented_and_every_documented_operation_exists(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    documented = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    assert documented == _routes(app)
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            named = set(re.findall(r"{([^}]+)}", path))
            assert named == {p["name"] for p in op["parameters"] if p["in"] == "path"}, (method, path)
            assert any(code.startswith("2") for code in op["responses"]), (method, path)


def test_the_developers_page_lists_every_operation(app, client):
    html = client.get("/developers/api").get_data(as_text=True)
    assert "/api/v1/openapi.json" in html
    for _method, path in _routes(app):
        assert f"<code>{path}</code>" in html, path
    assert "Authorization: Bearer" in html


# ---- schemathesis ---------------------------------------------------------------------------------------------

@pytest.fixture
def world(make):
    """Content for generated calls to find: boards of each kind, threads, replies, and a moderator's token."""
    boards = [make.board("open"), make.board("help", kind=BoardKind.question),
              make.board("ideas", kind=BoardKind.idea)]
    for board in boards:
        thread = make.thread(board, author=make.member())
        make.post(thread, author=make.member())
    return {"token": token_for(make.member("moder", role=Role.admin))}


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


def test_generated_calls_find_no_server_errors_and_match_the_document(app, world):
    # (schemathesis' pytest plugin does not run under pytest 9 yet: each operation gets its own
    # hypothesis run here, with the same checks.)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    # (it leaves out the document it was loaded from)
    assert {(op.method.upper(), op.path) for op in operations} == _routes(app) - {("GET", "/api/v1/openapi.json")}
    modes = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)  # also wrong types...
    for operation, mode in ((operation, mode) for operation in operations for mode in modes):
        @given(case=operation.as_strategy(mode))
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def run(case):
            # Each call in its own context, as a real request: no Flask-Login user left in `g` from the last one.
            for headers in ({"Authorization": f"Bearer {world['token']}"}, {}):
                contextvars.Context().run(case.call_and_validate, headers=headers, checks=CHECKS)
            if mode is schemathesis.GenerationMode.POSITIVE:  # noqa: B023  (run() is called in this same iteration)
                _hostile_variants(app, case, {"Authorization": f"Bearer {world['token']}"})

        try:
            run()
        except Unsatisfiable:  # nothing to get wrong (no parameters, no body): no negative case exists
            assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label


def _nested(value, depth: int):
    for _ in range(depth):
        value = [value]
    return value


def _hostile_variants(app, case, headers) -> None:
    """Send a valid generated case again with a NUL or a lone surrogate in each string, and inside deep
    nesting: a clean 400 each time (community/hostile.py), never a 500."""
    variants = []
    for poison in ("\x00", "\ud800"):
        if isinstance(case.body, dict):
            for key, value in case.body.items():
                if isinstance(value, str):
                    variants.append((case.query, {**case.body, key: value + poison}))
        for key, value in (case.query or {}).items():
            if isinstance(value, str) and poison == "\x00":  # a lone surrogate cannot be put in a URL
                variants.append(({**case.query, key: value + poison}, case.body))
    if isinstance(case.body, dict):
        variants.append((case.query, {key: _nested(value, 40) for key, value in case.body.items()} or _nested(1, 40)))
    client = app.test_client()
    for query, body in variants:
        response = contextvars.Context().run(
            client.open, case.formatted_path, method=case.method, query_string=query, headers=headers,
            **({} if not isinstance(body, (dict, list)) else {"data": json.dumps(body), "content_type": "application/json"}))
        assert response.status_code == 400, (case.operation.label, query, body, response.status_code)
        assert response.get_json()["error"]["code"] in {"nul_byte", "bad_encoding", "too_deep"}
