"""Single sign-on against a real OpenID Connect provider (oidc-provider under node, tests/community/sso)."""
from __future__ import annotations

import re
import time
from urllib.parse import urlencode, urlsplit

import pyotp
from sqlalchemy import select

from community import settings
from community.dbtypes import utcnow
from community.extensions import db
from community.members.models import Member, Role
from community.sso.models import SsoIdentity, SsoProvider
from tests import factories
from tests.community.sso.conftest import CLIENT_ID, CLIENT_SECRET, callback_path, query, start


def _sign_in(client, provider, login: str, slug: str = "oidc", next_url: str | None = None):
    back = provider.sign_in(start(client, slug, next_url), login)
    return client.get(callback_path(back))


def _who(client) -> str | None:
    """The username the site greets this browser with (None: a guest)."""
    response = client.get("/settings")
    if response.status_code != 200:
        return None
    return db.session.scalar(select(Member.username).where(Member.id == _member_id(client)))


def _member_id(client):
    with client.session_transaction() as session:
        ident = session.get("_user_id") or ""
    return int(ident.split(":")[0]) if ident else None


def _verified(member):
    member.email_verified_at = utcnow()
    db.session.commit()
    return member


def test_the_sign_in_page_offers_the_provider(client, sso):
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with Brand ID" in page


def test_first_sign_in_creates_the_member_with_the_provider_verified_address(client, sso):
    response = _sign_in(client, sso, "carol", next_url="/search")
    assert response.status_code == 302 and response.headers["Location"] == "/search"
    carol = db.session.scalar(select(Member).where(Member.email_key == "carol@example.com"))
    assert carol is not None and carol.username == "carol" and carol.display_name == "Carol Chen"
    assert carol.email_verified  # the provider verified it: it counts here (and for CRM matching)
    identity = db.session.scalar(select(SsoIdentity).where(SsoIdentity.member_id == carol.id))
    assert (identity.provider, identity.subject) == ("oidc", "carol")
    assert _who(client) == "carol"
    settings_page = client.get("/settings").get_data(as_text=True)
    assert "Linked identities" in settings_page and "Brand ID" in settings_page


def test_signing_in_again_signs_the_same_member_in(client, app, sso):
    _sign_in(client, sso, "carol")
    client.post("/logout")
    assert _who(client) is None
    response = _sign_in(client, sso, "carol")
    assert response.status_code == 302
    assert _who(client) == "carol"
    assert db.session.scalar(select(db.func.count()).select_from(Member)) == 1


def test_a_verified_address_links_to_the_account_with_that_verified_address(client, sso):
    alice = _verified(factories.member("alice", email="alice@example.com"))
    response = _sign_in(client, sso, "alice")
    assert response.status_code == 302
    assert _member_id(client) == alice.id
    assert db.session.scalar(select(SsoIdentity.member_id).where(SsoIdentity.subject == "alice")) == alice.id


def test_an_unverified_provider_address_is_never_linked_silently(client, sso):
    bob = _verified(factories.member("bob", email="bob@example.com"))
    response = _sign_in(client, sso, "bob")
    assert response.status_code == 302 and response.headers["Location"].endswith("/sso/link")
    assert _who(client) is None
    assert db.session.scalar(select(SsoIdentity)) is None
    page = client.get("/sso/link")
    assert "bob@example.com" in page.get_data(as_text=True) and "password" in page.get_data(as_text=True)
    wrong = client.post("/sso/link", data={"login": "bob@example.com", "password": "not-his-password-1"})
    assert wrong.status_code == 422 and _who(client) is None
    done = client.post("/sso/link", data={"login": "bob@example.com", "password": factories.PASSWORD})
    assert done.status_code == 302
    assert _member_id(client) == bob.id
    assert db.session.scalar(select(SsoIdentity.member_id).where(SsoIdentity.subject == "bob")) == bob.id


def test_a_verified_provider_address_matching_an_unverified_account_asks_for_the_password(client, sso):
    factories.member("alice", email="alice@example.com")  # never verified here
    response = _sign_in(client, sso, "alice")
    assert response.headers["Location"].endswith("/sso/link")
    assert _who(client) is None and db.session.scalar(select(SsoIdentity)) is None


def test_a_tampered_state_is_refused_with_a_clear_page(client, sso):
    back = sso.sign_in(start(client), "carol")
    params = query(back)
    params["state"] = params["state"][:-2] + "xx"
    response = client.get(f"{urlsplit(back).path}?{urlencode(params)}")
    assert response.status_code == 400
    assert "did not match the request this browser made" in response.get_data(as_text=True)
    assert _who(client) is None
    assert db.session.scalar(select(Member)) is None


def test_a_replayed_code_is_refused(client, app, sso):
    back = sso.sign_in(start(client), "carol")
    assert client.get(callback_path(back)).status_code == 302
    other = app.test_client()
    fresh = query(start(other))  # a new sign-in in another browser, whose state the replay carries
    replay = {**query(back), "state": fresh["state"]}
    response = other.get(f"{urlsplit(back).path}?{urlencode(replay)}")
    assert response.status_code == 400
    assert "did not match" in response.get_data(as_text=True)
    assert _who(other) is None


def test_an_id_token_with_another_nonce_is_refused(client, sso):
    authorize = start(client)
    params = query(authorize)
    params["nonce"] = "a-nonce-this-browser-never-made"
    tampered = authorize.split("?")[0] + "?" + urlencode(params)
    back = sso.sign_in(tampered, "carol")
    response = client.get(callback_path(back))
    assert response.status_code == 400
    assert _who(client) is None and db.session.scalar(select(Member)) is None


def test_a_provider_that_is_down_gets_a_clear_page_not_an_error(client, app, sso):
    app.config["OIDC_ISSUER"] = "http://127.0.0.1:9"  # nothing listens on the discard port
    response = client.post("/sso/oidc/start")
    assert response.status_code == 503
    assert "is not answering right now" in response.get_data(as_text=True)


def test_an_account_without_password_cannot_unlink_its_last_identity(client, sso):
    _sign_in(client, sso, "carol")
    identity = db.session.scalar(select(SsoIdentity))
    response = client.post(f"/settings/identities/{identity.id}/unlink", follow_redirects=True)
    assert "This is the last way you can sign in" in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(SsoIdentity)) == 1


def test_a_member_with_a_password_unlinks_an_identity(client, sso):
    _verified(factories.member("alice", email="alice@example.com"))
    _sign_in(client, sso, "alice")
    identity = db.session.scalar(select(SsoIdentity))
    response = client.post(f"/settings/identities/{identity.id}/unlink", follow_redirects=True)
    assert "no longer linked" in response.get_data(as_text=True)
    assert db.session.scalar(select(SsoIdentity)) is None


def test_nobody_unlinks_another_members_identity(client, auth, sso):
    _sign_in(client, sso, "carol")
    identity = db.session.scalar(select(SsoIdentity))
    client.post("/logout")
    auth.login(factories.member("mallory"))
    assert client.post(f"/settings/identities/{identity.id}/unlink").status_code == 404


def test_only_sso_turns_password_sign_in_off_for_members_but_not_admins(client, sso):
    member = factories.member("plain")
    admin = factories.member("boss", role=Role.admin)
    settings.save({"sso.only": True})
    db.session.commit()
    refused = client.post("/login", data={"login": "plain", "password": factories.PASSWORD})
    assert refused.status_code == 422 and "passwords are not used here" in refused.get_data(as_text=True)
    assert _who(client) is None
    assert client.post("/login", data={"login": admin.username, "password": factories.PASSWORD}).status_code == 302
    del member


def test_an_address_under_the_sso_domain_must_use_the_provider(client, sso):
    factories.member("dave", email="dave@brand.example")
    settings.save({"sso.domain": "brand.example"})
    db.session.commit()
    refused = client.post("/login", data={"login": "dave", "password": factories.PASSWORD})
    assert refused.status_code == 422 and "sign in through the sign-in provider" in refused.get_data(as_text=True)


def test_a_member_cannot_see_the_sign_in_admin_and_an_admin_adds_a_provider(client, auth, app, oidc_provider):
    auth.login(factories.member("plain"))
    assert client.get("/admin/sign-in").status_code == 404
    client.post("/logout")
    auth.login(factories.member("boss", role=Role.admin))
    assert client.get("/admin/sign-in").status_code == 200
    response = client.post("/admin/sign-in/providers/new", data={
        "name": "Brand staff", "slug": "brand", "issuer": oidc_provider.issuer, "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET, "enabled": "y"})
    assert response.status_code == 302
    page = client.get("/admin/sign-in").get_data(as_text=True)
    assert "http://localhost/sso/brand/callback" in page
    assert db.session.scalar(select(SsoProvider.slug)) == "brand"
    bad = client.post("/admin/sign-in/providers/new", data={"name": "x", "slug": "Bad Slug!", "issuer": "nope",
                                                           "client_id": "c"})
    assert bad.status_code == 422
    client.post("/logout")
    guest = app.test_client()
    assert "Sign in with Brand staff" in guest.get("/login").get_data(as_text=True)
    assert _sign_in(guest, oidc_provider, "carol", slug="brand").status_code == 302
    assert db.session.scalar(select(SsoIdentity.provider).where(SsoIdentity.subject == "carol")) == "brand"


def test_a_signed_in_member_links_another_identity_from_settings(client, auth, sso):
    member = factories.member("writer")
    auth.login(member)
    assert "Link Brand ID" in client.get("/settings").get_data(as_text=True)
    response = _sign_in(client, sso, "bob")  # whatever address the provider has: the member proved both
    assert response.status_code == 302 and "/settings" in response.headers["Location"]
    assert db.session.scalar(select(SsoIdentity.member_id)) == member.id


def test_deleting_the_account_erases_its_linked_identities(client, auth, sso):
    _verified(factories.member("alice", email="alice@example.com"))
    _sign_in(client, sso, "alice")
    response = client.post("/settings/delete-account", data={"password": factories.PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    assert db.session.scalar(select(SsoIdentity)) is None


def test_only_sso_also_refuses_a_password_token_from_the_api(client, sso):
    factories.member("plain")
    settings.save({"sso.only": True})
    db.session.commit()
    response = client.post("/api/v1/tokens", json={"login": "plain", "password": factories.PASSWORD})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "sso_required"


def test_under_approval_a_first_sign_in_waits_for_the_staff(client, sso):
    settings.save({"registration.mode": "approval"})
    db.session.commit()
    response = _sign_in(client, sso, "carol")
    assert response.status_code == 200 and _who(client) is None
    assert db.session.scalar(select(Member.username)) == "carol"
    again = _sign_in(client, sso, "carol")  # still waiting: the same answer, no session
    assert again.status_code == 200 and _who(client) is None


def test_only_sso_turns_the_password_sign_up_form_into_a_pointer_to_the_provider(client, sso):
    settings.save({"sso.only": True})
    db.session.commit()
    response = client.get("/register")
    assert response.status_code == 403 and "Join by signing in" in response.get_data(as_text=True)
    assert client.post("/register", data={"username": "newbie", "email": "n@example.com",
                                          "password": "a-long-password-42"}).status_code == 403
    assert db.session.scalar(select(Member)) is None


def test_a_member_with_a_second_factor_still_types_the_code_after_the_provider(client, sso):
    _sign_in(client, sso, "carol")
    page = client.get("/settings/two-factor").get_data(as_text=True)
    secret = re.search(r'class="totp-secret">([A-Z2-7]+)<', page).group(1)
    enrolled = client.post("/settings/two-factor", data={"enrol-code": pyotp.TOTP(secret).now()})
    assert enrolled.status_code == 200
    client.post("/logout")
    response = _sign_in(client, sso, "carol")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/two-factor")
    assert _who(client) is None  # no session until the code is typed


def _confirm_at_provider(client, provider, login: str):
    """Press "Confirm with Brand ID" on the delete-account page and sign in at the provider as `login`."""
    pressed = client.post("/sso/oidc/start", data={"next": "/settings/delete-account", "confirm": "1"})
    assert pressed.status_code == 302
    return client.get(callback_path(provider.sign_in(pressed.headers["Location"], login)))


def test_a_member_without_a_password_deletes_the_account_after_confirming_with_the_provider(client, sso):
    _sign_in(client, sso, "carol")
    carol = db.session.scalar(select(Member).where(Member.username == "carol"))
    page = client.get("/settings/delete-account").get_data(as_text=True)
    assert "Confirm with Brand ID" in page and 'name="password"' not in page
    assert "Delete my account for good" not in page
    refused = client.post("/settings/delete-account", data={"password": ""})
    assert refused.status_code == 422 and "Confirm it is you first" in refused.get_data(as_text=True)
    db.session.refresh(carol)
    assert carol.deleted_at is None

    # another identity at the provider proves nothing, and is not linked on the way
    other = _confirm_at_provider(client, sso, "bob")
    assert other.status_code == 403 and "not the one linked to your account" in other.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(SsoIdentity)) == 1
    assert client.post("/settings/delete-account", data={}).status_code == 422

    confirmed = _confirm_at_provider(client, sso, "carol")
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/settings/delete-account"
    assert "Delete my account for good" in client.get("/settings/delete-account").get_data(as_text=True)
    with client.session_transaction() as session:  # the confirmation lasts ten minutes
        session["identity_confirmed"] = {**session["identity_confirmed"], "at": session["identity_confirmed"]["at"] - 601}
    assert client.post("/settings/delete-account", data={}).status_code == 422
    _confirm_at_provider(client, sso, "carol")
    deleted = client.post("/settings/delete-account", data={})
    assert deleted.status_code == 302
    db.session.refresh(carol)
    assert carol.deleted_at is not None and db.session.scalar(select(SsoIdentity)) is None


def test_a_confirmation_counts_for_its_member_only_and_a_password_stays_required_for_others(client, auth, sso):
    _sign_in(client, sso, "carol")
    _confirm_at_provider(client, sso, "carol")
    carol_id = _member_id(client)
    client.post("/logout")
    with client.session_transaction() as session:  # signing out forgets the confirmation
        assert "identity_confirmed" not in session
    writer = factories.member("writer")
    auth.login(writer)
    with client.session_transaction() as session:
        session["identity_confirmed"] = {"member": carol_id, "at": time.time()}
    page = client.get("/settings/delete-account").get_data(as_text=True)
    assert 'name="password"' in page and "Confirm with" not in page
    assert client.post("/settings/delete-account", data={"password": "wrong"}).status_code == 422
    db.session.refresh(writer)
    assert writer.deleted_at is None
