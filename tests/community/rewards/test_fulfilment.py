"""Staff handle redemptions: fulfil, or cancel with one refund and the stock back (freeing the member
limit); members cannot."""
from __future__ import annotations

from sqlalchemy import select

from community.extensions import db as _db
from community.rewards import services
from community.rewards.models import PointsReason, Redemption, RedemptionStatus
from tests.community.rewards.conftest import assert_points_match_ledger, count, give, ledger, points, reward, stock

# ---- staff handle redemptions --------------------------------------------------------------

def test_staff_fulfil_then_cancel_refunds_once_and_restocks(client, auth, staff, make):
    ann = make.member("ann")
    gift = reward(staff, "Hoodie", cost=100, stock=1)
    give(ann, 150, staff)
    services.redeem(ann, gift.id)
    _db.session.commit()
    redemption = _db.session.scalars(select(Redemption)).one()
    auth.login(staff)
    assert "Hoodie" in client.get("/rewards/manage/redemptions?status=pending").get_data(as_text=True)
    client.post(f"/rewards/manage/redemptions/{redemption.id}/fulfil")
    _db.session.expire_all()
    assert _db.session.get(Redemption, redemption.id).status is RedemptionStatus.fulfilled
    again = client.post(f"/rewards/manage/redemptions/{redemption.id}/fulfil", follow_redirects=True)
    assert "Only a pending redemption" in again.get_data(as_text=True)
    client.post(f"/rewards/manage/redemptions/{redemption.id}/cancel", data={"note": "Out of sizes"})
    twice = client.post(f"/rewards/manage/redemptions/{redemption.id}/cancel", data={"note": "again"},
                        follow_redirects=True)
    assert "cancelled already" in twice.get_data(as_text=True)
    _db.session.expire_all()
    assert _db.session.get(Redemption, redemption.id).status is RedemptionStatus.cancelled
    assert points(ann) == 150 and stock(gift.id) == 1
    assert ledger(ann) == [(150, PointsReason.staff_grant), (-100, PointsReason.redeemed), (100, PointsReason.refund)]
    assert client.get("/rewards/manage/redemptions?status=lost").status_code == 400
    assert_points_match_ledger(ann)


def test_a_cancelled_redemption_frees_the_member_limit(staff, make):
    ann = make.member("ann")
    gift = reward(staff, cost=10, limit=1)
    give(ann, 100, staff)
    first = services.redeem(ann, gift.id)
    _db.session.commit()
    services.cancel_redemption(staff, first, "wrong size")
    _db.session.commit()
    services.redeem(ann, gift.id)
    _db.session.commit()
    assert count(Redemption, Redemption.status != RedemptionStatus.cancelled) == 1 and points(ann) == 90


def test_members_cannot_handle_redemptions(client, auth, staff, make):
    ann = make.member("ann")
    gift = reward(staff, cost=10)
    give(ann, 10, staff)
    redemption = services.redeem(ann, gift.id)
    _db.session.commit()
    auth.login(ann)
    assert client.post(f"/rewards/manage/redemptions/{redemption.id}/cancel").status_code == 404
    assert client.post(f"/rewards/manage/redemptions/{redemption.id}/fulfil").status_code == 404
    assert points(ann) == 0 and _db.session.get(Redemption, redemption.id).status is RedemptionStatus.pending
