"""Sign-in sessions live on the server: ending one works even against a copied cookie (issue 13, item 6)."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from sqlalchemy import func, select

from community.api import services as api_services
from community.api.models import ApiToken
from community.mail import tokens
from community.members.models import MemberSession
from community.members.sessions import end_sessions
from community.moderation.restrictions import lift_suspension, suspend_member
from tests.conftest import csrf_token_from
from tests.factories import PASSWORD

NEW_PASSWORD = "a-brand-new-passphrase-42"


def _sign_in(app, member, remember=False, agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = agent
    response = client.post("/login", data={"login": member.username, "password": PASSWORD,
                                           "remember": "y" if remember else ""})
    assert response.status_code == 302
    return client


def _copy(app, source, *names):
    """A second browser holding a stolen copy of `source`'s cookies."""
    thief = app.test_client()
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value)
    return thief


def _signed_in(client) -> bool:
    return client.get("/settings").status_code == 200


def test_a_copied_session_cookie_stops_working_after_sign_out(app, make):
    member = make.member("copied")
    browser = _sign_in(app, member)
    thief = _copy(app, browser, "session")
    assert _signed_in(thief)
    browser.post("/logout")
    assert not _signed_in(browser)
    assert not _signed_in(thief)


def test_a_copied_remember_cookie_stops_working_after_sign_out(app, make):
    member = make.member("remembered")
    browser = _sign_in(app, member, remember=True)
    thief = _copy(app, browser, "remember_token")  # no session cookie: only the remember cookie signs in
    assert _signed_in(thief)
    browser.post("/logout")
    assert not _signed_in(_copy(app, thief, "remember_token"))


def test_signing_out_keeps_the_members_other_devices_signed_in(app, make):
    member = make.member("twodevices")
    laptop, phone = _sign_in(app, member), _sign_in(app, member)
    laptop.post("/logout")
    assert not _signed_in(laptop)
    assert _signed_in(phone)


def test_the_remember_cookie_lasts_thirty_days_not_a_year(app, make):
    member = make.member("thirty")
    client = app.test_client()
    response = client.post("/login", data={"login": member.username, "password": PASSWORD, "remember": "y"})
    header = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("remember_token="))
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", header).group(1))
    days = (expires - datetime.now(UTC)).total_seconds() / 86400
    assert 29 < days <= 30


def test_a_session_unused_past_its_lifetime_is_over(app, make, db):
    member = make.member("idle")
    browser = _sign_in(app, member)
    db.session.execute(MemberSession.__table__.update().values(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    db.session.commit()
    assert not _signed_in(browser)


def test_a_password_change_ends_every_other_session_and_keeps_this_one(app, make):
    member = make.member("changer")
    here, other = _sign_in(app, member, remember=True), _sign_in(app, member, remember=True)
    stolen = _copy(app, other, "remember_token")
    page = here.get("/settings").get_data(as_text=True)
    response = here.post("/settings", data={"form": "password", "csrf_token": csrf_token_from(page),
                                             "password-old_password": PASSWORD, "password-new_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert _signed_in(here)
    assert not _signed_in(other)
    assert not _signed_in(stolen)


def test_settings_list_my_sessions_and_sign_out_one_or_every_other(app, make, db):
    member = make.member("lister")
    here = _sign_in(app, member, agent="Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15")
    phone = _sign_in(app, member, agent="Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile Safari/537.36")
    tablet = _sign_in(app, member, agent="Mozilla/5.0 (iPad; CPU OS 17_0) Safari/604.1")
    page = here.get("/settings").get_data(as_text=True)
    assert "Safari / macOS" in page and "Chrome / Android" in page and "Safari / iPadOS" in page
    assert "this browser" in page
    phone_key = db.session.scalar(select(MemberSession.id).where(MemberSession.user_agent.contains("Android")))
    assert f'action="/settings/sessions/{phone_key}/end"' in page
    assert here.post(f"/settings/sessions/{phone_key}/end").status_code == 302
    assert not _signed_in(phone)
    assert _signed_in(tablet) and _signed_in(here)
    assert here.post("/settings/sessions/end-others").status_code == 302
    assert not _signed_in(tablet)
    assert _signed_in(here)


def test_a_member_cannot_end_someone_elses_session(app, make, db):
    victim, other = make.member("victim"), make.member("meddler")
    victim_browser = _sign_in(app, victim)
    key = db.session.scalar(select(MemberSession.id).where(MemberSession.member_id == victim.id))
    meddler = _sign_in(app, other)
    assert key not in meddler.get("/settings").get_data(as_text=True)
    assert meddler.post(f"/settings/sessions/{key}/end").status_code == 404
    assert _signed_in(victim_browser)


def test_end_sessions_for_a_removed_second_factor_signs_out_everywhere_but_kept(app, make, db):
    member = make.member("twofactor")
    kept_browser, other = _sign_in(app, member), _sign_in(app, member)
    keys = db.session.scalars(select(MemberSession.id).where(MemberSession.member_id == member.id)
                              .order_by(MemberSession.created_at)).all()
    end_sessions(member, "second_factor_removed", keep=keys[0])
    db.session.commit()
    assert _signed_in(kept_browser)
    assert not _signed_in(other)


def test_a_suspension_ends_every_session_for_good(app, make, db):
    member = make.member("suspended")
    mod = make.member("modder", role="moderator")
    browser = _sign_in(app, member, remember=True)
    stolen = _copy(app, browser, "remember_token")

    suspend_member(mod, member, 3, "spam")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(MemberSession)) == 0
    lift_suspension(mod, member, "sorry")
    db.session.commit()
    assert not _signed_in(browser) and not _signed_in(stolen)


def _reset_form(app, member):
    token = tokens.make(tokens.RESET, {"m": member.id, "p": tokens.password_fingerprint(member.password_hash)})
    client = app.test_client()
    page = client.get(f"/password/reset/{token}").get_data(as_text=True)
    return client, f"/password/reset/{token}", page


def test_the_reset_form_offers_to_revoke_personal_tokens_checked_by_default(app, make, db):
    member = make.member("resetter", email="resetter@example.net")
    _token, secret = api_services.create_personal_token(member, "laptop script", "read")
    db.session.commit()
    browser = _sign_in(app, member)
    client, path, page = _reset_form(app, member)
    assert re.search(r'<input[^>]*checked[^>]*name="revoke_tokens"|<input[^>]*name="revoke_tokens"[^>]*checked', page)
    assert client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "revoke_tokens": "y"}).status_code == 302
    assert not _signed_in(browser)
    assert _signed_in(client)
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_a_reset_keeps_personal_tokens_when_the_box_is_unchecked(app, make, db):
    member = make.member("keeper", email="keeper@example.net")
    _token, secret = api_services.create_personal_token(member, "ci job", "read")
    db.session.commit()
    client, path, _page = _reset_form(app, member)
    assert client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_(None))) == 1



def test_ending_sessions_from_another_site_is_refused(app, make):
    member = make.member("csrfed")
    other = _sign_in(app, member)
    app.config["WTF_CSRF_ENABLED"] = True  # the fixture `db` turns it off again
    here = app.test_client()
    token = csrf_token_from(here.get("/login").get_data(as_text=True))
    assert here.post("/login", data={"login": "csrfed", "password": PASSWORD, "csrf_token": token}).status_code == 302
    assert here.post("/settings/sessions/end-others").status_code == 400  # a forged form carries no token
    assert _signed_in(other)
    page = here.get("/settings").get_data(as_text=True)
    token = re.search(r'name="session-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert here.post("/settings/sessions/end-others", data={"session-csrf_token": token}).status_code == 302
    assert not _signed_in(other)
