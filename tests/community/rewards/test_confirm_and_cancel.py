"""Redeeming as a member meets it: a confirmation step with the cost and balances, an address when the
reward is posted, and taking a redemption back until staff hand it over (points and stock return)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from community.extensions import db as _db
from community.rewards import services
from community.rewards.models import PointsReason, Redemption, RedemptionStatus, Reward
from crm_bridge.models import CrmProfile
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

ADDRESS = {"shipping_name": "Lin Xiaoyu", "shipping_address": "Room 1203, 88 Century Avenue\nPudong, Shanghai 200120",
           "shipping_phone": "+86 138 0013 8000"}


def test_redeem_button_leads_to_a_confirmation_with_cost_balance_and_balance_after(client, auth, make, staff):
    member = make.member("mei")
    give(member, 300, staff)
    gift = reward(staff, "Acme mug", cost=120)
    auth.login(member)
    catalogue = client.get("/rewards").get_data(as_text=True)
    assert f'href="/rewards/{gift.id}/redeem"' in catalogue  # a link to the confirmation, not a one-click form

    page = client.get(f"/rewards/{gift.id}/redeem")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "120 points" in html and "300 points" in html and "180 points" in html
    assert "Confirm: spend 120 points" in html
    assert points(member) == 300 and count(Redemption) == 0  # looking spends nothing

    response = client.post(f"/rewards/{gift.id}/redeem")
    assert response.status_code == 302
    assert points(member) == 180 and count(Redemption) == 1


def test_confirmation_says_when_points_are_short_and_offers_no_button(client, auth, make, staff):
    member = make.member("mei")
    give(member, 50, staff)
    gift = reward(staff, "Acme mug", cost=120)
    auth.login(member)
    html = client.get(f"/rewards/{gift.id}/redeem").get_data(as_text=True)
    assert "You need 70 more points." in html and "Confirm: spend" not in html


def test_a_withdrawn_reward_has_no_confirmation_page(client, auth, make, staff):
    gift = reward(staff, "Old mug", active=False)
    auth.login(make.member("mei"))
    assert client.get(f"/rewards/{gift.id}/redeem").status_code == 404
    assert client.get("/rewards/99999/redeem").status_code == 404


def test_a_posted_reward_asks_for_an_address_checks_it_and_keeps_it_on_the_crm_profile(client, auth, make, staff):
    member = make.member("lin")
    give(member, 500, staff)
    hoodie = reward(staff, "Acme hoodie", cost=200, shipping=True)
    auth.login(member)
    html = client.get(f"/rewards/{hoodie.id}/redeem").get_data(as_text=True)
    assert "Where should we send it?" in html and 'name="shipping_address"' in html

    bad = client.post(f"/rewards/{hoodie.id}/redeem", data={"shipping_name": "L", "shipping_address": "here",
                                                            "shipping_phone": "call me"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "The full postal address" in text and "A phone number for the courier" in text
    assert points(member) == 500 and count(Redemption) == 0 and stock(hoodie.id) == 5  # nothing moved

    assert client.post(f"/rewards/{hoodie.id}/redeem", data=ADDRESS).status_code == 302
    redemption = _db.session.scalar(select(Redemption))
    assert redemption.shipping_name == "Lin Xiaoyu" and "Pudong" in redemption.shipping_address
    profile = _db.session.scalar(select(CrmProfile).where(CrmProfile.member_id == member.id))
    assert profile.shipping_address == ADDRESS["shipping_address"] and profile.shipping_phone == "+86 138 0013 8000"

    # staff see where to send it, on the redemptions list and on the CRM profile
    auth.logout()
    auth.login(staff)
    assert "Century Avenue" in client.get("/rewards/manage/redemptions").get_data(as_text=True)
    assert "Century Avenue" in client.get(f"/crm/members/{member.username}").get_data(as_text=True)
    # and the next redemption's form starts from the same address
    auth.logout()
    auth.login(member)
    assert "Century Avenue" in client.get(f"/rewards/{hoodie.id}/redeem").get_data(as_text=True)


def test_staff_mark_a_reward_as_needing_shipping_in_the_catalogue_admin(client, auth, staff):
    auth.login(staff)
    response = client.post("/rewards/manage", data=form(name="Acme hoodie", needs_shipping="y"))
    assert response.status_code == 302
    edit = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Needs a shipping address" in edit
    assert _db.session.scalar(select(Reward.needs_shipping).where(Reward.name == "Acme hoodie")) is True


def test_member_cancels_a_pending_redemption_and_gets_points_and_stock_back(client, auth, make, staff):
    member = make.member("mei")
    give(member, 300, staff)
    gift = reward(staff, "Acme mug", cost=120, stock=3)
    auth.login(member)
    client.post(f"/rewards/{gift.id}/redeem")
    redemption = _db.session.scalar(select(Redemption))
    mine = client.get("/rewards/mine").get_data(as_text=True)
    assert f"/rewards/mine/{redemption.id}/cancel" in mine and "Cancel and get 120 points back" in mine

    response = client.post(f"/rewards/mine/{redemption.id}/cancel", follow_redirects=True)
    assert "120 points are back in your balance" in response.get_data(as_text=True)
    assert points(member) == 300 and stock(gift.id) == 3
    assert (120, PointsReason.refund) in ledger(member)
    assert _db.session.get(Redemption, redemption.id).status is RedemptionStatus.cancelled
    assert_points_match_ledger(member)

    again = client.post(f"/rewards/mine/{redemption.id}/cancel", headers=JSON)  # a second click
    assert again.status_code == 409 and "cancelled already" in again.get_json()["error"]["message"]
    assert points(member) == 300 and stock(gift.id) == 3


def test_once_staff_hand_it_over_the_member_can_no_longer_cancel(client, auth, make, staff):
    member = make.member("mei")
    give(member, 300, staff)
    gift = reward(staff, "Acme mug", cost=120)
    auth.login(member)
    client.post(f"/rewards/{gift.id}/redeem")
    redemption = _db.session.scalar(select(Redemption))
    services.fulfil_redemption(staff, redemption)
    _db.session.commit()
    assert "Cancel and get" not in client.get("/rewards/mine").get_data(as_text=True)
    response = client.post(f"/rewards/mine/{redemption.id}/cancel", follow_redirects=True)
    assert "Staff have handed this over already" in response.get_data(as_text=True)
    assert points(member) == 180


def test_nobody_cancels_someone_elses_redemption(client, auth, make, staff):
    owner, other = make.member("mei"), make.member("tom")
    give(owner, 300, staff)
    gift = reward(staff, "Acme mug", cost=120)
    auth.login(owner)
    client.post(f"/rewards/{gift.id}/redeem")
    redemption = _db.session.scalar(select(Redemption))
    auth.logout()
    auth.login(other)
    assert client.post(f"/rewards/mine/{redemption.id}/cancel").status_code == 404
    assert points(owner) == 180


@pytest.mark.postgres
def test_cancelling_twice_at_once_refunds_once(app, db, make, staff):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers (set TEST_DATABASE_URL)")
    member = make.member("racer")
    give(member, 300, staff)
    gift = reward(staff, "Acme mug", cost=120, stock=3)
    redemption_id = services.redeem(member, gift.id).id
    _db.session.commit()
    clients = []
    for _ in range(6):
        client = app.test_client()
        assert client.post("/login", data={"login": member.username,
                                           "password": "correct-horse-battery-9"}).status_code == 302
        clients.append(client)
    barrier, statuses = threading.Barrier(len(clients)), []

    def run(client):
        barrier.wait(timeout=60)
        statuses.append(client.post(f"/rewards/mine/{redemption_id}/cancel", headers=JSON).status_code)

    workers = [threading.Thread(target=run, args=(c,)) for c in clients]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert sorted(statuses) == [200] + [409] * 5
    assert points(member) == 300 and stock(gift.id) == 3
    assert_points_match_ledger(member)
