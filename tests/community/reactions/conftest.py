"""Reaction tests' shared helpers: fresh rows, the reactions stored, the counts a page shows, races."""
from __future__ import annotations

import re

from sqlalchemy import select

from community.reactions.models import Reaction, ReactionCount

JSON = {"Accept": "application/json"}


def fresh(db, model, ident):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(model, ident)


def reaction_rows(db, post_id) -> dict:
    """{member id: kind} of the reactions stored on a post."""
    db.session.rollback()
    return dict(db.session.execute(select(Reaction.member_id, Reaction.kind).where(Reaction.post_id == post_id)).all())


def stored_counts(db, post_id) -> dict:
    """{kind: n} of the counts kept for a post (zeros left out)."""
    db.session.rollback()
    rows = db.session.execute(select(ReactionCount.kind, ReactionCount.n).where(ReactionCount.post_id == post_id))
    return {kind: n for kind, n in rows if n}


def post_box(page: str, number: int) -> str:
    """The markup of post `number` on a thread page."""
    start = page.index(f'id="post-{number}"')
    end = page.find("<article", start + 1)
    return page[start:end if end != -1 else len(page)]


def count_shown(box: str, kind: str) -> str:
    """The count shown beside reaction `kind` in a post's markup ("" when none)."""
    match = re.search(r'data-kind="' + kind + r'"[^>]*>.*?<span class="reaction-count">([^<]*)</span>', box, re.S)
    assert match, f"no {kind} reaction shown"
    return match.group(1)


