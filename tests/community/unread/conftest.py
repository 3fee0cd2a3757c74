"""Helpers for unread tests: the unread mark of a thread in a list page."""
from __future__ import annotations

import re

import pytest


def mark_of(page: str, thread) -> str | None:
    """The unread mark shown in the list row of `thread` ("New", "2 new replies"), or None."""
    row = re.search(r'<li class="thread-row[^"]*">\s*<div class="thread-main">\s*<a class="thread-title" '
                    rf'href="/t/{thread.id}">(.*?)</li>', page, re.S)
    if row is None:
        return None
    found = re.search(r'class="badge badge-(?:new|unread)"[^>]*>([^<]+)<', row.group(1))
    return found.group(1) if found else None


def jump_of(page: str, thread) -> str | None:
    found = re.search(rf'<a class="badge badge-unread" href="(/t/{thread.id}[^"]*)"', page)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture
def small_pages(app):
    """Two posts per thread page, so that "jump to first unread" has a page to go to."""
    before = app.config["POSTS_PER_PAGE"]
    app.config["POSTS_PER_PAGE"] = 2
    yield
    app.config["POSTS_PER_PAGE"] = before
