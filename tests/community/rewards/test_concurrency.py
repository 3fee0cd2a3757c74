"""Redemptions at once on PostgreSQL: never oversold, no points spent twice, the member limit and each
coupon code handed out once."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from community.extensions import db as _db
from community.rewards.models import PointsEntry, PointsReason, Redemption, Reward, RewardCode
from tests.community.rewards.conftest import JSON, assert_points_match_ledger, count, give, points, reward, stock

# ---- concurrency (PostgreSQL) ---------------------------------------------------------------

def race(app, members, reward_id, tries_each):
    """Let every member try to redeem `tries_each` times at once, each try its own client, session and
    connection; return the HTTP statuses."""
    clients = []
    for member in members:
        for _ in range(tries_each):
            client = app.test_client()
            response = client.post("/login", data={"login": member.username, "password": "correct-horse-battery-9"})
            assert response.status_code == 302
            clients.append(client)
    barrier = threading.Barrier(len(clients))
    statuses, errors = [], []

    def run(client):
        try:
            barrier.wait(timeout=60)
            statuses.append(client.post(f"/rewards/{reward_id}/redeem", headers=JSON).status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(client,)) for client in clients]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert not errors, errors[:3]
    assert len(statuses) == len(clients)
    return statuses


def needs_postgres(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers (set TEST_DATABASE_URL)")


@pytest.mark.postgres
def test_concurrent_redemptions_never_oversell_nor_spend_points_twice(app, db, staff, make):
    needs_postgres(db)
    gift = reward(staff, "Limited edition", cost=100, stock=5, limit=None)
    members = [make.member(f"racer{n}") for n in range(12)]
    for member in members:
        give(member, 250, staff)  # enough for two each: 24 affordable, 5 in stock
    statuses = race(app, members, gift.id, tries_each=3)  # 36 at once
    assert sorted(statuses) == [201] * 5 + [409] * 31
    _db.session.expire_all()
    final = _db.session.get(Reward, gift.id)
    assert final.stock == 0 and final.redeemed_count == 5 and count(Redemption) == 5
    spent = -_db.session.scalar(select(func.sum(PointsEntry.delta)).where(PointsEntry.reason == PointsReason.redeemed))
    assert spent == 500
    assert sum(points(m) for m in members) == 12 * 250 - 500
    assert_points_match_ledger(*members)


@pytest.mark.postgres
def test_concurrent_redemptions_by_one_member_spend_only_what_they_have(app, db, staff, make):
    needs_postgres(db)
    gift = reward(staff, "Sticker", cost=100, stock=50, limit=None)
    ann = make.member("ann")
    give(ann, 350, staff)
    statuses = race(app, [ann], gift.id, tries_each=12)
    assert sorted(statuses) == [201] * 3 + [409] * 9
    assert points(ann) == 50 and stock(gift.id) == 47 and count(Redemption) == 3
    assert_points_match_ledger(ann)


@pytest.mark.postgres
def test_concurrent_redemptions_respect_the_member_limit(app, db, staff, make):
    needs_postgres(db)
    gift = reward(staff, "Cap", cost=10, stock=100, limit=2)
    members = [make.member(f"capper{n}") for n in range(6)]
    for member in members:
        give(member, 1000, staff)
    statuses = race(app, members, gift.id, tries_each=5)
    assert sorted(statuses) == [201] * 12 + [409] * 18
    held = dict(_db.session.execute(select(Redemption.member_id, func.count()).group_by(Redemption.member_id)).all())
    assert held == {m.id: 2 for m in members}
    assert stock(gift.id) == 88
    assert_points_match_ledger(*members)


@pytest.mark.postgres
def test_concurrent_coupon_redemptions_hand_out_each_code_once(app, db, staff, make):
    needs_postgres(db)
    codes = [f"SAVE-{n:02d}" for n in range(8)]
    coupon = reward(staff, "Voucher", kind="coupon", cost=10, codes="\n".join(codes), limit=1)
    members = [make.member(f"saver{n}") for n in range(20)]
    for member in members:
        give(member, 10, staff)
    statuses = race(app, members, coupon.id, tries_each=1)
    assert sorted(statuses) == [201] * 8 + [409] * 12
    handed = list(_db.session.scalars(select(Redemption.code)))
    assert sorted(handed) == codes  # every code once, none twice
    assert stock(coupon.id) == 0 and count(RewardCode, RewardCode.redemption_id.is_(None)) == 0
    assert_points_match_ledger(*members)
