"""Reward tests' shared helpers, imported by the test modules (points, ledger, stock, a reward made by
staff, form data), and the `staff` fixture."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from community.extensions import db as _db
from community.members.models import Member
from community.rewards import services
from community.rewards.models import PointsEntry, PointsReason, Reward

JSON = {"Accept": "application/json"}


# ---- helpers -------------------------------------------------------------------------------

@pytest.fixture
def staff(make):
    return make.member("staffer", role="staff")


def give(member, amount, staff):
    services.grant_points(staff, member, amount, "Welcome gift")
    _db.session.commit()


def reward(staff, name="Sticker pack", kind="gift", cost=100, stock=5, codes="", limit=None, active=True,
           shipping=False):
    created = services.create_reward(staff, services.RewardInput(name=name, kind=kind, cost=cost, stock=stock,
                                                                  codes=codes, per_member_limit=limit, active=active,
                                                                  needs_shipping=shipping))
    _db.session.commit()
    return created


def points(member) -> int:
    _db.session.expire_all()
    return _db.session.scalar(select(Member.points).where(Member.id == member.id))


def ledger(member) -> list[tuple[int, PointsReason]]:
    return [(e.delta, e.reason) for e in _db.session.scalars(
        select(PointsEntry).where(PointsEntry.member_id == member.id).order_by(PointsEntry.id))]


def count(model, *where) -> int:
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


def stock(reward_id) -> int:
    _db.session.expire_all()
    return _db.session.get(Reward, reward_id).stock


def assert_points_match_ledger(*members):
    for member in members:
        assert points(member) == services.points_ledger_total(member.id) >= 0, member.username


def form(**values):
    data = {"name": "Coffee mug", "kind": "gift", "cost": "250", "stock": "10", "codes": "", "per_member_limit": "1",
            "active": "y"}
    data.update(values)
    return {f"reward-{key}": value for key, value in data.items() if value is not None}
