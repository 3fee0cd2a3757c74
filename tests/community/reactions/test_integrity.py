"""Counts stay exact when members react at once (PostgreSQL): 50 members, and one member in many tabs."""
from __future__ import annotations

import pytest

from community.extensions import db as _db
from community.forum.models import Post
from community.members.models import Member
from community.reactions import services as reactions
from community.reputation.services import ledger_total
from tests.community.reactions.conftest import fresh, reaction_rows, stored_counts
from tests.concurrency import require_postgres, run_at_once

KINDS = ("like", "thanks", "laugh", "wow", "sad")


@pytest.mark.postgres
def test_fifty_members_reacting_at_once_leave_exact_counts(app, make, db):
    require_postgres(db)
    author = make.member()
    post_id = make.post(make.thread(), author=author).id
    member_ids = [make.member().id for _ in range(50)]
    chosen = {member_id: KINDS[n % 5] for n, member_id in enumerate(member_ids)}

    def react(member_id):
        reactions.react(_db.session.get(Member, member_id), _db.session.get(Post, post_id), chosen[member_id])
        _db.session.commit()

    run_at_once(app, db, [(react, (member_id,)) for member_id in member_ids])
    assert reaction_rows(db, post_id) == chosen
    assert stored_counts(db, post_id) == dict.fromkeys(KINDS, 10)
    assert fresh(db, Member, author.id).reputation == ledger_total(author.id) == 10 * 1 + 10 * 2


@pytest.mark.postgres
def test_fifty_members_changing_and_taking_back_reactions_at_once_lose_nothing(app, make, db):
    require_postgres(db)
    post_id = make.post(make.thread()).id
    member_ids = [make.member().id for _ in range(50)]
    for member_id in member_ids:
        reactions.react(_db.session.get(Member, member_id), _db.session.get(Post, post_id), "like")
    _db.session.commit()
    sequences = {member_id: [("thanks",), ("like",), ("wow", "sad"), ("sad", "sad"), ("laugh", "like", "thanks")][n % 5]
                 for n, member_id in enumerate(member_ids)}

    def change(member_id):
        for kind in sequences[member_id]:
            reactions.react(_db.session.get(Member, member_id), _db.session.get(Post, post_id), kind)
            _db.session.commit()

    run_at_once(app, db, [(change, (member_id,)) for member_id in member_ids])
    expected = {member_ids[n]: kind for n, kind in
                enumerate([("thanks"), None, "sad", None, "thanks"][n % 5] for n in range(50)) if kind}
    assert reaction_rows(db, post_id) == expected
    assert stored_counts(db, post_id) == {"thanks": 20, "sad": 10}


@pytest.mark.postgres
def test_one_member_reacting_in_many_tabs_at_once_keeps_one_reaction(app, make, db):
    require_postgres(db)
    post_id, member_id = make.post(make.thread()).id, make.member().id

    def react(kind):
        reactions.react(_db.session.get(Member, member_id), _db.session.get(Post, post_id), kind)
        _db.session.commit()

    run_at_once(app, db, [(react, (kind,)) for kind in KINDS * 2])
    rows = reaction_rows(db, post_id)
    counts = stored_counts(db, post_id)
    assert len(rows) <= 1 and sum(counts.values()) == len(rows)
    if rows:
        assert counts == {rows[member_id]: 1}
