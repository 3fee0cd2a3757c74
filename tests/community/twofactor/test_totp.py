"""Two-factor authentication with a TOTP app: enrolment, sign-in, recovery codes, removal, mail, audit."""
from __future__ import annotations

import pyotp
from sqlalchemy import select

from community.mail.models import MailMessage
from community.members.models import MemberSession
from community.twofactor import services, totp
from community.twofactor.models import RecoveryCode, SecondFactor
from crm_bridge.models import AuditEntry
from tests.community.twofactor.conftest import T0, code
from tests.factories import PASSWORD


def _sign_in(client, member, password=PASSWORD):
    return client.post("/login", data={"login": member.username, "password": password})


def _mails(db, member):
    return [m.subject for m in db.session.scalars(select(MailMessage).where(MailMessage.member_id == member.id,
                                                                            MailMessage.kind == "security")
                                                  .order_by(MailMessage.id))]


def _audit(db, member):
    return [e.action for e in db.session.scalars(select(AuditEntry).where(AuditEntry.staff_id == member.id)
                                                 .order_by(AuditEntry.id))]


def test_pyotp_codes_at_fixed_times_are_accepted_within_one_step_and_refused_beyond():
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    now = pyotp.TOTP(secret).at(T0)
    assert totp.matching_step(secret, now, at=T0) == T0 // 30
    assert totp.matching_step(secret, now, at=T0 + 30) == T0 // 30  # a phone a little behind
    assert totp.matching_step(secret, now, at=T0 + 61) is None  # two steps later: too old
    assert totp.matching_step(secret, pyotp.TOTP(secret).at(T0 + 90), at=T0) is None
    assert totp.matching_step(secret, "12345a", at=T0) is None
    assert totp.matching_step(secret, f"{now[:3]} {now[3:]}", at=T0) == T0 // 30  # typed with a space


def test_the_settings_page_shows_a_qr_code_and_the_key(client, auth, make):
    member = make.member()
    auth.login(member)
    page = client.get("/settings/two-factor").get_data(as_text=True)
    assert '<svg' in page and 'class="qr-code"' in page and 'class="totp-secret"' in page
    assert "Two-factor authentication" in client.get("/settings").get_data(as_text=True)


def test_a_wrong_code_does_not_enrol(client, auth, make, clock):
    member = make.member()
    auth.login(member)
    client.get("/settings/two-factor")
    answer = client.post("/settings/two-factor", data={"enrol-code": "000000"})
    assert answer.status_code == 422 and "That code is not right" in answer.get_data(as_text=True)
    assert not services.is_enrolled(member)


def test_enrolment_shows_ten_codes_mails_the_member_and_is_audited(client, auth, make, enrol, db):
    member = make.member()
    auth.login(member)
    secret, codes = enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert services.is_enrolled(member)
    # only hashes are kept
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.member_id == member.id)).all()
    assert len(stored) == 10 and not any(code.replace("-", "") in h for h in stored for code in codes)
    assert db.session.scalar(select(SecondFactor.secret).where(SecondFactor.member_id == member.id)) == secret
    assert _mails(db, member) == ["[Acme Community] Two-factor authentication was turned on"]
    assert _audit(db, member) == ["2fa_enrolled"]
    # the codes are shown once: the page shows how many are left, never the codes again
    page = client.get("/settings/two-factor").get_data(as_text=True)
    assert "10 recovery codes left" in page and codes[0] not in page


def test_sign_in_asks_for_the_code_after_the_password(app, auth, make, enrol, clock):
    member = make.member()
    first = app.test_client()
    Auth = type(auth)
    Auth(first).login(member)
    secret, _codes = enrol(first)

    browser = app.test_client()
    answer = _sign_in(browser, member)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/login/two-factor")
    assert browser.get("/settings").status_code == 302  # not signed in yet: only the password was given
    wrong = browser.post("/login/two-factor", data={"code": "123456"})
    assert wrong.status_code == 422
    right = browser.post("/login/two-factor", data={"code": code(secret, clock)})
    assert right.status_code == 302
    assert browser.get("/settings").status_code == 200


def test_a_code_is_accepted_once(app, auth, make, enrol, clock):
    member = make.member()
    client = app.test_client()
    type(auth)(client).login(member)
    secret, _codes = enrol(client)
    used = code(secret, clock)
    one, two = app.test_client(), app.test_client()
    _sign_in(one, member)
    _sign_in(two, member)
    assert one.post("/login/two-factor", data={"code": used}).status_code == 302
    assert two.post("/login/two-factor", data={"code": used}).status_code == 422  # seen over a shoulder: spent


def test_a_recovery_code_signs_in_once_and_is_mailed_and_audited(app, auth, make, enrol, db, clock):
    member = make.member()
    client = app.test_client()
    type(auth)(client).login(member)
    _secret, codes = enrol(client)
    browser = app.test_client()
    _sign_in(browser, member)
    answer = browser.post("/login/two-factor", data={"code": codes[3].upper()}, follow_redirects=True)
    assert "9 are left" in answer.get_data(as_text=True)
    again = app.test_client()
    _sign_in(again, member)
    assert again.post("/login/two-factor", data={"code": codes[3]}).status_code == 422
    assert again.post("/login/two-factor", data={"code": codes[4]}).status_code == 302
    assert services.recovery_codes_left(member) == 8
    assert _mails(db, member).count("[Acme Community] A recovery code was used to sign in") == 2
    assert _audit(db, member) == ["2fa_enrolled", "2fa_recovery_code_used", "2fa_recovery_code_used"]


def test_new_recovery_codes_replace_the_old_ones(client, auth, make, enrol, clock, db):
    member = make.member()
    auth.login(member)
    secret, old = enrol(client)
    answer = client.post("/settings/two-factor/recovery-codes",
                         data={"confirm-password": PASSWORD, "confirm-code": code(secret, clock)})
    assert answer.status_code == 200
    assert services.recovery_codes_left(member) == 10
    assert not services.use_recovery_code(member, old[0])
    assert _audit(db, member)[-1] == "2fa_recovery_codes_renewed"


def test_turning_it_off_needs_password_and_code_and_ends_other_sessions(app, auth, make, enrol, clock, db):
    member = make.member()
    here, there = app.test_client(), app.test_client()
    type(auth)(here).login(member)
    secret, _codes = enrol(here)
    _sign_in(there, member)
    assert there.post("/login/two-factor", data={"code": code(secret, clock)}).status_code == 302
    clock.tick()
    assert there.get("/settings").status_code == 200
    wrong = here.post("/settings/two-factor/disable", data={"confirm-password": "nope", "confirm-code": "1"})
    assert wrong.status_code == 422 and services.is_enrolled(member)
    done = here.post("/settings/two-factor/disable",
                     data={"confirm-password": PASSWORD, "confirm-code": code(secret, clock)})
    assert done.status_code == 302
    assert not services.is_enrolled(member)
    assert here.get("/settings").status_code == 200  # this session goes on
    assert there.get("/settings").status_code == 302  # the other one ended
    assert db.session.scalar(select(RecoveryCode.id).where(RecoveryCode.member_id == member.id)) is None
    assert _mails(db, member)[-1] == "[Acme Community] Two-factor authentication was turned off"
    assert _audit(db, member)[-1] == "2fa_removed"
    assert len(db.session.scalars(select(MemberSession).where(MemberSession.member_id == member.id)).all()) == 1


def test_the_api_token_exchange_needs_the_code_when_two_factor_is_on(client, auth, make, enrol, clock):
    member = make.member()
    auth.login(member)
    secret, _codes = enrol(client)
    api = client.application.test_client()
    body = {"login": member.username, "password": PASSWORD}
    missing = api.post("/api/v1/tokens", json=body)
    assert missing.status_code == 401 and missing.get_json()["error"]["code"] == "second_factor_required"
    wrong = api.post("/api/v1/tokens", json={**body, "code": "000000"})
    assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "invalid_code"
    right = api.post("/api/v1/tokens", json={**body, "code": code(secret, clock)})
    assert right.status_code == 201


def test_a_pending_sign_in_ends_when_the_password_changes(app, auth, make, enrol, clock, db):
    member = make.member()
    client = app.test_client()
    type(auth)(client).login(member)
    secret, _codes = enrol(client)
    browser = app.test_client()
    _sign_in(browser, member)
    client.post("/settings", data={"form": "password", "password-old_password": PASSWORD,
                                   "password-new_password": "a-new-and-long-passphrase-77"})
    answer = browser.post("/login/two-factor", data={"code": code(secret, clock)})
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert browser.get("/settings").status_code == 302


def test_account_deletion_takes_the_second_factor(client, auth, make, enrol, db):
    member = make.member()
    auth.login(member)
    enrol(client)
    assert client.post("/settings/delete-account", data={"password": PASSWORD}).status_code == 302
    assert db.session.scalar(select(SecondFactor.id).where(SecondFactor.member_id == member.id)) is None
    assert db.session.scalar(select(RecoveryCode.id).where(RecoveryCode.member_id == member.id)) is None
