"""Atom feeds are well-formed XML with everything escaped (issue 13, item 3)."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE = [
    "AT&T router keeps dropping",
    'Broken </title><link href="https://evil.example/phish"/><title>',
    "Quotes \"double\" and 'single' and <angle> & more",
    "Control \x01\x08 characters in a title",
]


def _parse(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.get_data())  # raises ParseError when the feed is not well-formed XML


@pytest.mark.parametrize("path", ["/latest.atom", "/b/{slug}.atom"])
def test_feeds_escape_titles_and_stay_well_formed(make, client, path):
    board = make.board(name="Routers & <modems>")
    for title in HOSTILE:
        make.thread(board=board, title=title)
    feed = _parse(client, path.format(slug=board.slug))
    titles = [entry.findtext(f"{ATOM}title") for entry in feed.iter(f"{ATOM}entry")]
    expected = {" ".join(t.split()).replace("\x01", "").replace("\x08", "") for t in HOSTILE}
    assert set(titles) == expected
    links = [link.get("href") for link in feed.iter(f"{ATOM}link")]
    assert links and not any("evil.example" in href for href in links)
    if path.startswith("/b/"):
        assert feed.findtext(f"{ATOM}title") == "Routers & <modems>"
