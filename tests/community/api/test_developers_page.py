"""/developers/api reads in the reader's language: every operation's summary is a message."""
from __future__ import annotations

from community.api.openapi import document
from community.api.summaries import SUMMARIES


def test_every_operation_summary_is_listed_for_translation(app):
    with app.test_request_context():
        summaries = {op["summary"] for methods in document()["paths"].values() for op in methods.values()}
    listed = {str(message._args[0]) if hasattr(message, "_args") else str(message) for message in SUMMARIES}
    missing = sorted(summaries - listed)
    assert not missing, f"add these to community/api/summaries.py (and their Chinese): {missing}"


def test_the_page_shows_each_operations_scope_in_words(client):
    page = client.get("/developers/api").get_data(as_text=True)
    assert "Needs a member; a token needs the write scope." in page
    assert "This document" in page
