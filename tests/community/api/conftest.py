"""API test helpers: bearer tokens made by the real token service, and a client that sends them."""
from __future__ import annotations

import pytest

from community import search
from community.api import services as tokens
from community.extensions import db


class Api:
    """A test client speaking to /api/v1 with an optional bearer token."""

    def __init__(self, client, token: str | None = None):
        self.client, self.token = client, token

    def _headers(self, extra=None):
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def call(self, method: str, path: str, json=None, data=None, headers=None, **kwargs):
        url = path if path.startswith("/") else f"/api/v1/{path}"
        return self.client.open(url, method=method, json=json, data=data, headers=self._headers(headers), **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.call("POST", path, json=json, **kwargs)

    def put(self, path, json=None, **kwargs):
        return self.call("PUT", path, json=json, **kwargs)

    def patch(self, path, json=None, **kwargs):
        return self.call("PATCH", path, json=json, **kwargs)

    def delete(self, path, **kwargs):
        return self.call("DELETE", path, **kwargs)


def token_for(member, scopes=None) -> str:
    _token, secret = tokens.issue_login_token(member, scopes)
    db.session.commit()
    return secret


@pytest.fixture
def api(app):
    """api() is a guest; api(member) calls with a fresh sign-in token of `member` (optionally scoped)."""

    def make(member=None, scopes=None):
        return Api(app.test_client(), token_for(member, scopes) if member is not None else None)

    return make


def error_of(response) -> dict:
    body = response.get_json()
    assert body is not None and set(body) == {"error"}, response.get_data(as_text=True)[:300]
    assert {"code", "message"} <= set(body["error"])
    return body["error"]


@pytest.fixture(autouse=True)
def _search_writer_idle(db):
    """Let the search index writer finish reading this test's rows before the tables are emptied
    (on PostgreSQL its open read would deadlock with the TRUNCATE)."""
    yield
    search.wait()
