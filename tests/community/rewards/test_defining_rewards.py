"""Staff define rewards (coupon codes or gifts, stock, cost, a per-member limit) that members then see;
bad input is refused with a message and saves nothing; only staff manage them."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from community.errors import ValidationFailed
from community.extensions import db as _db
from community.rewards import services
from community.rewards.models import Redemption, Reward, RewardCode, RewardKind
from tests.community.rewards.conftest import JSON, count, form, reward, stock

# ---- staff define rewards ------------------------------------------------------------------

def test_staff_create_a_reward_that_members_then_see(client, auth, staff, make):
    auth.login(staff)
    response = client.post("/rewards/manage", data=form())
    assert response.status_code == 302
    created = _db.session.scalars(select(Reward)).one()
    assert (created.name, created.kind, created.cost, created.stock, created.per_member_limit) == \
        ("Coffee mug", RewardKind.gift, 250, 10, 1)
    auth.logout()
    page = client.get("/rewards").get_data(as_text=True)
    assert "Coffee mug" in page and "250 points" in page and "10 left" in page and "at most 1 per member" in page


@pytest.mark.parametrize("values,field", [
    ({"cost": "-5"}, "cost"), ({"cost": "0"}, "cost"), ({"cost": "ten"}, "cost"), ({"cost": "99999999"}, "cost"),
    ({"stock": "-1"}, "stock"), ({"stock": "lots"}, "stock"), ({"name": "x"}, "name"), ({"kind": "car"}, "kind"),
    ({"codes": "ABC-1"}, "codes"), ({"kind": "coupon", "codes": ""}, "codes"),
    ({"per_member_limit": "0"}, "per_member_limit"),
    ({"per_member_limit": "-2"}, "per_member_limit")])
def test_bad_reward_input_is_refused_with_a_message_and_saves_nothing(client, auth, staff, values, field):
    auth.login(staff)
    response = client.post("/rewards/manage", data=form(**values))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="reward-{field}-error" class="error" role="alert"' in html
    assert count(Reward) == 0 and count(RewardCode) == 0


def test_service_reports_the_field_at_fault(staff):
    with pytest.raises(ValidationFailed) as caught:
        services.create_reward(staff, services.RewardInput(name="Mug", cost=-1, stock=-3))
    assert set(caught.value.fields) == {"cost", "stock"}


@pytest.mark.parametrize("role,status", [("member", 404), ("moderator", 404), ("admin", 200), ("staff", 200)])
def test_only_staff_manage_rewards(client, auth, make, role, status):
    auth.login(make.member("someone", role=role))
    assert client.get("/rewards/manage").status_code == status
    assert client.get("/rewards/manage/redemptions").status_code == status
    response = client.post("/rewards/manage", data=form())
    assert response.status_code == (302 if status == 200 else 404)
    assert count(Reward) == (1 if status == 200 else 0)


def test_guests_are_sent_to_sign_in(client, staff):
    gift = reward(staff)
    assert client.get("/rewards/manage").status_code == 302
    response = client.post(f"/rewards/{gift.id}/redeem")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert count(Redemption) == 0 and stock(gift.id) == 5


def test_coupon_codes_set_the_stock_and_duplicates_are_dropped(client, auth, staff):
    auth.login(staff)
    response = client.post("/rewards/manage", data=form(kind="coupon", stock="", codes="AB-1\nAB-2, AB-2;AB-3"))
    assert response.status_code == 302
    coupon = _db.session.scalars(select(Reward)).one()
    assert coupon.uses_codes and coupon.stock == 3 and count(RewardCode) == 3
    response = client.post(f"/rewards/manage/{coupon.id}", data=form(kind="coupon", stock="", codes="AB-3\nAB-4"))
    assert response.status_code == 302
    assert stock(coupon.id) == 4 and count(RewardCode) == 4


def test_staff_edit_cost_stock_and_limit(client, auth, staff):
    gift = reward(staff)
    auth.login(staff)
    page = client.get(f"/rewards/manage/{gift.id}").get_data(as_text=True)
    assert 'value="Sticker pack"' in page
    response = client.post(f"/rewards/manage/{gift.id}", data=form(name="Sticker pack", cost="80", stock="2",
                                                                     per_member_limit=""))
    assert response.status_code == 302
    _db.session.expire_all()
    edited = _db.session.get(Reward, gift.id)
    assert (edited.cost, edited.stock, edited.per_member_limit) == (80, 2, None)
    bad = client.post(f"/rewards/manage/{gift.id}", data=form(name="Sticker pack", cost="-80", stock="2"))
    assert bad.status_code == 422
    _db.session.expire_all()
    assert _db.session.get(Reward, gift.id).cost == 80


def test_unknown_reward_and_redemption_ids_are_404(client, auth, staff, make):
    auth.login(staff)
    assert client.get("/rewards/manage/999").status_code == 404
    assert client.post("/rewards/manage/999", data=form()).status_code == 404
    assert client.post("/rewards/manage/redemptions/999/fulfil").status_code == 404
    assert client.post("/rewards/manage/redemptions/999/cancel").status_code == 404
    auth.logout()
    auth.login(make.member("ann"))
    assert client.post("/rewards/999/redeem", headers=JSON).status_code == 404
    assert client.post("/rewards/abc/redeem", headers=JSON).status_code == 404
