"""Redeeming in Chromium: the Redeem button leads to a confirmation with the cost and balances and, for a
posted reward, the address; the member then takes the redemption back and gets the points again."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.test_admin import PASSWORD, flask
from tests.e2e.test_member_journey import sign_in
from tests.e2e.test_votes import register

pytestmark = pytest.mark.e2e


def test_a_member_confirms_a_posted_reward_with_an_address_and_cancels_it(live_server, new_context):
    suffix = uuid.uuid4().hex[:6]
    admin, member = f"boss_{suffix}", f"fan_{suffix}"
    flask(live_server, "create-admin", "--username", admin, "--email", f"{admin}@example.com", "--password", PASSWORD)
    fan = new_context().new_page()
    register(fan, member)

    staff = new_context().new_page()
    sign_in(staff, admin, PASSWORD)
    staff.goto("/rewards/manage")
    staff.get_by_label("Name", exact=True).fill(f"Acme hoodie {suffix}")
    staff.get_by_label("Cost in points").fill("200")
    staff.get_by_label("Stock", exact=True).fill("3")
    staff.get_by_label("Needs a shipping address").check()
    staff.get_by_role("button", name="Create reward").click()
    staff.goto("/rewards/manage")
    staff.get_by_label("Member's username").fill(member)
    staff.get_by_label("Points (negative to take away)").fill("500")
    staff.get_by_label("Reason (the member sees it)").fill("Welcome")
    staff.get_by_role("button", name="Give points").click()

    fan.goto("/rewards")
    fan.locator(".reward-card", has_text=f"Acme hoodie {suffix}").get_by_role("link", name="Redeem").click()
    expect(fan.locator("[data-cost]")).to_have_text("200 points")
    expect(fan.locator("[data-balance]")).to_have_text("500 points")
    expect(fan.locator("[data-after]")).to_have_text("300 points")
    fan.get_by_label("Name of the recipient").fill("Fan Person")
    fan.get_by_label("Postal address").fill("12 Harbour Road\nWan Chai, Hong Kong")
    fan.get_by_label("Phone number").fill("+852 5555 0000")
    fan.get_by_role("button", name="Confirm: spend 200 points").click()
    expect(fan.get_by_text("You have 300 points.")).to_be_visible()
    expect(fan.get_by_text("12 Harbour Road")).to_be_visible()

    fan.get_by_role("button", name="Cancel and get 200 points back").click()
    expect(fan.get_by_text("200 points are back in your balance")).to_be_visible()
    expect(fan.get_by_text("You have 500 points.")).to_be_visible()
    expect(fan.get_by_role("button", name="Cancel and get 200 points back")).to_have_count(0)
