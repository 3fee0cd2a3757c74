"""Fixtures of the two-factor tests: a fixed clock, and enrolling a member through the real pages."""
from __future__ import annotations

import re

import pyotp
import pytest

from community.twofactor import totp

T0 = 1_800_000_000  # a fixed time (2027-01-15): every code below is pyotp's code for a step near it


class Clock:
    def __init__(self):
        self.now = float(T0)

    def __call__(self):
        return self.now

    def tick(self, seconds: int = 30):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    """The time the TOTP check sees, moved by the test (30 seconds: the next code)."""
    fixed = Clock()
    monkeypatch.setattr(totp, "clock", fixed)
    return fixed


def code(secret: str, clock: Clock) -> str:
    return pyotp.TOTP(secret).at(clock.now)


@pytest.fixture
def enrol(clock):
    """Turn two-factor on for the member signed in on `client`; return (secret, recovery codes)."""

    def run(client):
        page = client.get("/settings/two-factor")
        assert page.status_code == 200
        secret = re.search(r'class="totp-secret">([A-Z2-7]+)<', page.get_data(as_text=True)).group(1)
        done = client.post("/settings/two-factor", data={"enrol-code": code(secret, clock)})
        assert done.status_code == 200, done.get_data(as_text=True)[:2000]
        codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", done.get_data(as_text=True))
        clock.tick()
        return secret, codes

    return run
