"""Members redeem points: a coupon hands out a code, a gift waits for staff; out of stock, too few
points, the member limit, inactive rewards and a missing CSRF token are clear refusals that spend nothing."""
from __future__ import annotations

from community.extensions import db as _db
from community.rewards.models import PointsReason, Redemption, Reward, RewardCode
from community.signals import reward_redeemed
from tests.community.rewards.conftest import (
    JSON,
    assert_points_match_ledger,
    count,
    form,
    give,
    ledger,
    points,
    reward,
    stock,
)
from tests.conftest import csrf_token_from

# ---- redeeming -----------------------------------------------------------------------------

def test_redeeming_a_coupon_hands_out_a_code_and_spends_the_points(client, auth, staff, make):
    ann, bob = make.member("ann"), make.member("bob")
    coupon = reward(staff, "10% off", kind="coupon", cost=100, codes="CODE-A\nCODE-B", limit=1)
    give(ann, 250, staff)
    give(bob, 100, staff)
    seen = []

    def listener(redemption, member=None, reward=None, **_):
        seen.append((member.username, reward.name, redemption.code))

    reward_redeemed.connect(listener)
    try:
        auth.login(ann)
        response = client.post(f"/rewards/{coupon.id}/redeem", headers=JSON)
        auth.logout()
        auth.login(bob)
        other = client.post(f"/rewards/{coupon.id}/redeem", headers=JSON)
    finally:
        reward_redeemed.disconnect(listener)
    assert response.status_code == 201 and other.status_code == 201
    mine, theirs = response.json["redemption"], other.json["redemption"]
    assert {mine["code"], theirs["code"]} == {"CODE-A", "CODE-B"}
    assert mine["status"] == "fulfilled" and response.json["points"] == 150
    assert seen == [("ann", "10% off", mine["code"]), ("bob", "10% off", theirs["code"])]
    assert ledger(ann) == [(250, PointsReason.staff_grant), (-100, PointsReason.redeemed)]
    assert stock(coupon.id) == 0 and count(RewardCode, RewardCode.claimed_at.is_(None)) == 0
    assert_points_match_ledger(ann, bob)
    page = client.get("/rewards/mine").get_data(as_text=True)  # bob's page
    assert theirs["code"] in page and "-100" in page and "You have 0 points." in page


def test_redeeming_through_the_form_redirects_to_my_page(client, auth, staff, make):
    ann = make.member("ann")
    gift = reward(staff, "Hoodie", cost=100)
    give(ann, 100, staff)
    auth.login(ann)
    response = client.post(f"/rewards/{gift.id}/redeem")
    assert response.status_code == 302 and "/rewards/mine" in response.headers["Location"]
    page = client.get("/rewards/mine").get_data(as_text=True)
    assert "Hoodie" in page and "Waiting for staff" in page


def test_out_of_stock_is_a_clear_error_and_spends_nothing(client, auth, staff, make):
    ann = make.member("ann")
    gift = reward(staff, "Rare pin", cost=50, stock=0)
    give(ann, 500, staff)
    auth.login(ann)
    response = client.post(f"/rewards/{gift.id}/redeem", headers=JSON)
    assert response.status_code == 409 and response.json["error"]["code"] == "out_of_stock"
    assert "out of stock" in response.json["error"]["message"]
    html = client.post(f"/rewards/{gift.id}/redeem")
    assert html.status_code == 409 and "out of stock" in html.get_data(as_text=True)
    assert points(ann) == 500 and count(Redemption) == 0 and ledger(ann) == [(500, PointsReason.staff_grant)]


def test_not_enough_points_is_a_clear_error_and_takes_no_stock(client, auth, staff, make):
    ann = make.member("ann")
    gift = reward(staff, "Hoodie", cost=300, stock=2)
    give(ann, 299, staff)
    auth.login(ann)
    response = client.post(f"/rewards/{gift.id}/redeem", headers=JSON)
    assert response.status_code == 409 and response.json["error"]["code"] == "insufficient_points"
    assert stock(gift.id) == 2 and points(ann) == 299 and count(Redemption) == 0
    assert _db.session.get(Reward, gift.id).redeemed_count == 0
    page = client.get("/rewards").get_data(as_text=True)
    assert "You need 1 more points." in page


def test_redeeming_twice_beyond_the_member_limit_is_refused(client, auth, staff, make):
    ann = make.member("ann")
    gift = reward(staff, "T-shirt", cost=100, stock=5, limit=1)
    give(ann, 500, staff)
    auth.login(ann)
    assert client.post(f"/rewards/{gift.id}/redeem", headers=JSON).status_code == 201
    again = client.post(f"/rewards/{gift.id}/redeem", headers=JSON)
    assert again.status_code == 409 and again.json["error"]["code"] == "limit_reached"
    assert points(ann) == 400 and stock(gift.id) == 4 and count(Redemption) == 1
    assert "You have redeemed this as often as one member may." in client.get("/rewards").get_data(as_text=True)


def test_without_a_limit_a_member_may_redeem_again(client, auth, staff, make):
    ann = make.member("ann")
    gift = reward(staff, "Sticker", cost=10, stock=5, limit=None)
    give(ann, 100, staff)
    auth.login(ann)
    for _ in range(3):
        assert client.post(f"/rewards/{gift.id}/redeem", headers=JSON).status_code == 201
    assert points(ann) == 70 and stock(gift.id) == 2


def test_an_inactive_reward_cannot_be_redeemed(client, auth, staff, make):
    ann = make.member("ann")
    gift = reward(staff, "Old mug", active=False)
    give(ann, 500, staff)
    auth.login(ann)
    assert "Old mug" not in client.get("/rewards").get_data(as_text=True)
    response = client.post(f"/rewards/{gift.id}/redeem", headers=JSON)
    assert response.status_code == 403 and response.json["error"]["message"] == "This reward is not on offer."
    assert points(ann) == 500 and stock(gift.id) == 5


def test_redeem_without_csrf_token_is_refused(app, client, auth, staff, make):
    ann = make.member("ann")
    gift = reward(staff, cost=100)
    give(ann, 100, staff)
    auth.login(ann)
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/rewards/{gift.id}/redeem", headers=JSON)
    assert response.status_code == 400 and response.json["error"]["code"] == "csrf_failed"
    assert points(ann) == 100 and count(Redemption) == 0
    token = csrf_token_from(client.get("/rewards").get_data(as_text=True))
    assert client.post(f"/rewards/{gift.id}/redeem", data={"csrf_token": token}).status_code == 302
    assert points(ann) == 0


def test_create_reward_without_csrf_token_is_refused(app, client, auth, staff):
    auth.login(staff)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/rewards/manage", data=form()).status_code == 400
    assert count(Reward) == 0
