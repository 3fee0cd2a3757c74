"""The session list in /settings names each session's device, address and last use; a second factor does
not change that a session is only ever opened after it (issue 20, sessions)."""
from __future__ import annotations

import re

from tests.community.twofactor.conftest import code
from tests.factories import PASSWORD


def _browser(app, agent, address):
    client = app.test_client()
    client.environ_base.update(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    return client


def test_the_session_list_shows_device_address_and_last_seen(app, make):
    member = make.member()
    here = _browser(app, "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0", "192.0.2.10")
    phone = _browser(app, "Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile Safari/537.36", "198.51.100.7")
    for client in (here, phone):
        assert client.post("/login", data={"login": member.username, "password": PASSWORD}).status_code == 302
    page = here.get("/settings").get_data(as_text=True)
    rows = re.findall(r"<tr data-session=.*?</tr>", page, re.S)
    assert len(rows) == 2
    phone_row = next(row for row in rows if "Android" in row)
    assert "Chrome / Android" in phone_row and "198.51.100.7" in phone_row and "<time" in phone_row
    assert "this browser" in next(row for row in rows if "Firefox" in row)


def test_an_enrolled_members_session_opens_only_after_the_code(app, make, enrol, clock):
    member = make.member()
    first = _browser(app, "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0", "192.0.2.10")
    first.post("/login", data={"login": member.username, "password": PASSWORD})
    secret, _codes = enrol(first)
    second = _browser(app, "Mozilla/5.0 (iPad; CPU OS 17_0) Safari/604.1", "203.0.113.5")
    second.post("/login", data={"login": member.username, "password": PASSWORD})
    assert "203.0.113.5" not in first.get("/settings").get_data(as_text=True)  # the password alone opens none
    second.post("/login/two-factor", data={"code": code(secret, clock)})
    assert "203.0.113.5" in first.get("/settings").get_data(as_text=True)
