"""The CRM's links on forum pages: crm_bridge registers its partials into the forum's template slots and
answers who may follow them (`crm_bridge.permissions`); the forum's templates name neither."""
from __future__ import annotations

import pytest

from community.members.models import Role


@pytest.mark.parametrize("role,sees", [(Role.member, False), (Role.moderator, False), (Role.staff, True),
                                       (Role.admin, True)])
def test_only_staff_see_the_crm_profile_link_on_a_public_profile(client, auth, make, role, sees):
    make.member("ivy")
    auth.login(make.member("viewer", role=role))
    html = client.get("/u/ivy").get_data(as_text=True)
    assert ('href="/crm/members/ivy"' in html) is sees
    assert "What the brand records about me" not in html  # that line is for ivy herself


def test_a_member_sees_the_link_to_their_own_data_on_their_profile_only(client, auth, make):
    ivy = make.member("ivy")
    make.member("bob")
    auth.login(ivy)
    assert 'href="/me/data"' in client.get("/u/ivy").get_data(as_text=True)
    html = client.get("/u/bob").get_data(as_text=True)
    assert 'href="/me/data"' not in html and "/crm/" not in html


@pytest.mark.parametrize("path", ["/settings", "/settings/delete-account"])
def test_settings_and_account_deletion_link_to_what_the_brand_records(client, auth, make, path):
    auth.login(make.member("ivy"))
    html = client.get(path).get_data(as_text=True)
    assert 'href="/me/data"' in html
    assert "See what the brand records about you, and download it" in html


def test_guests_see_no_crm_links_on_a_profile(client, make):
    make.member("ivy")
    html = client.get("/u/ivy").get_data(as_text=True)
    assert "/crm/" not in html and "/me/data" not in html
