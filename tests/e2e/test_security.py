"""The Content-Security-Policy in a real Chromium: what the site loads passes, an outside image does not,
and the suite notices a violation (every other e2e test fails on one)."""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def _wait_for(page, condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        page.wait_for_timeout(100)  # (not time.sleep: Playwright delivers the page's events while it waits)
    return condition()


def test_an_outside_image_and_websocket_are_blocked_and_reported(live_server, page, csp_watch):
    page.goto(f"/t/{live_server.seeded['thread_id']}")
    expect(page.get_by_role("heading", name=live_server.seeded["title"])).to_be_visible()
    assert csp_watch.violations() == []  # the site's own page, scripts, styles and socket pass
    page.evaluate("""() => {
        const img = new Image(); img.src = "https://tracker.example/pixel.gif"; document.body.append(img);
        try { new WebSocket("wss://evil.example/socket"); } catch (e) {}
    }""")
    assert _wait_for(page, lambda: any("img-src blocked https://tracker.example/pixel.gif" in v for v in csp_watch.seen))
    assert any("connect-src" in v and "evil.example" in v for v in csp_watch.seen), csp_watch.seen
    # the browser's report reached the server, which logged it
    assert _wait_for(page, lambda: any("tracker.example" in line for line in csp_watch.reported_to_server()), 10), \
        live_server.log_tail()
    csp_watch.clear()  # expected here; any other violation fails the test at teardown
