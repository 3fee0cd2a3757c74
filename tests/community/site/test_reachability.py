"""Every main page is at most two clicks from the home page, for each role (a walk over the rendered links)."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from community.settings import save as save_settings

LINK = re.compile(r'<a\b[^>]*\bhref="(/[^"#]*)"|<form\b[^>]*\bmethod="get"[^>]*\baction="(/[^"#]*)"')


def _links(html: str) -> set[str]:
    found = set()
    for anchor, form in LINK.findall(html):
        href = anchor or form
        path = urlsplit(href.replace("&amp;", "&")).path
        if not path.startswith(("/static/", "/uploads/")) and not path.endswith(".atom"):
            found.add(path)
    return found


def _within_two_clicks(client) -> set[str]:
    first = _links(client.get("/").get_data(as_text=True))
    reached = set(first)
    for path in first:
        response = client.get(path)
        if response.status_code == 200 and response.mimetype == "text/html":
            reached |= _links(response.get_data(as_text=True))
    return reached


COMMON = {"/latest", "/b/lounge", "/roadmap", "/leaderboard", "/rewards", "/badges", "/search", "/transparency",
          "/terms", "/privacy", "/developers/api"}
MEMBER = COMMON | {"/notifications", "/messages", "/bookmarks", "/drafts", "/settings", "/u/{me}"}
EXPECTED = {
    None: COMMON | {"/login", "/register"},
    "member": MEMBER,
    "staff": MEMBER | {"/crm/dashboard"},
    "moderator": MEMBER | {"/review", "/mod/log"},
    "admin": MEMBER | {"/crm/dashboard", "/review", "/mod/log", "/admin"},
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_every_main_page_is_within_two_clicks_of_the_home_page(client, auth, make, db, role):
    make.thread(board=make.board("lounge", name="Lounge"), title="A first thread")
    save_settings({"site.terms": "Be kind.", "site.privacy": "We keep little."})
    db.session.commit()
    me = None
    if role:
        me = make.member(f"the{role}", role=role)
        auth.login(me)
    reached = _within_two_clicks(client)
    expected = {path.format(me=me.username if me else "") for path in EXPECTED[role]}
    assert expected <= reached, sorted(expected - reached)
