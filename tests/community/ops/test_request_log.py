"""One log line per request with a request id, echoed in the response."""
from __future__ import annotations

import logging
import re

import pytest

LINE = re.compile(r'request_id=(?P<id>\S+) method=(?P<method>\S+) path=(?P<path>"(?:[^"\\]|\\.)*"|\S+) '
                  r"status=(?P<status>\d+) "
                  r"duration_ms=(?P<ms>\d+\.\d) client=(?P<client>\S+)$")


@pytest.fixture
def request_log(app, caplog):
    app.config["REQUEST_LOG"] = True
    caplog.set_level(logging.INFO, logger="community.requests")
    yield lambda: [LINE.match(r.getMessage()) for r in caplog.records if r.name == "community.requests"]
    app.config["REQUEST_LOG"] = False


def test_each_request_writes_one_line_with_a_generated_id(client, request_log):
    response = client.get("/latest", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    lines = request_log()
    assert len(lines) == 1 and lines[0], lines
    line = lines[0]
    assert response.headers["X-Request-ID"] == line["id"]
    assert re.fullmatch(r"[0-9a-f]{32}", line["id"])
    assert (line["method"], line["path"], line["status"], line["client"]) == ("GET", "/latest", "200", "203.0.113.9")
    assert float(line["ms"]) >= 0


def test_a_sane_incoming_request_id_is_kept(client, request_log):
    response = client.get("/t/999999", headers={"X-Request-ID": "edge-7f3a.42:9"})
    assert response.headers["X-Request-ID"] == "edge-7f3a.42:9"
    (line,) = request_log()
    assert line["id"] == "edge-7f3a.42:9" and line["status"] == "404"


@pytest.mark.parametrize("bad", ["x" * 129, "a b", "id\"=forged status=200", "é"])
def test_an_insane_request_id_is_replaced(client, request_log, bad):
    response = client.get("/latest", headers={"X-Request-ID": bad})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
    (line,) = request_log()
    assert line is not None and line["id"] == response.headers["X-Request-ID"]


def test_two_requests_get_two_ids(client):
    first = client.get("/latest").headers["X-Request-ID"]
    second = client.get("/latest").headers["X-Request-ID"]
    assert first != second


def test_a_path_with_spaces_stays_on_one_parseable_line(client, request_log):
    client.post("/no such page", data={})
    (line,) = request_log()
    assert line is not None and line["path"] == '"/no such page"' and line["method"] == "POST"


def test_behind_a_trusted_proxy_the_line_names_the_visitor(app, client, request_log, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)
    client.get("/latest", environ_base={"REMOTE_ADDR": "10.0.0.2"}, headers={"X-Forwarded-For": "198.51.100.7"})
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 0)
    client.get("/latest", environ_base={"REMOTE_ADDR": "10.0.0.2"}, headers={"X-Forwarded-For": "198.51.100.7"})
    assert [line["client"] for line in request_log()] == ["198.51.100.7", "10.0.0.2"]
