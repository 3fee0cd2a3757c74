"""Passkeys without a browser: what the server refuses (the full ceremony is tests/e2e/test_two_factor.py)."""
from __future__ import annotations

from community.twofactor import services
from community.twofactor.models import SecondFactor
from tests.community.twofactor.conftest import code
from tests.factories import PASSWORD


def test_a_made_up_passkey_is_refused_and_nothing_is_stored(client, auth, make, db):
    member = make.member()
    auth.login(member)
    options = client.post("/settings/two-factor/passkeys/options")
    assert options.status_code == 200 and options.get_json()["rp"]["id"] == "localhost"
    answer = client.post("/settings/two-factor/passkeys", json={"credential": {"id": "x", "rawId": "x",
                                                                              "type": "public-key", "response": {}}})
    assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "validation_failed"
    assert not services.is_enrolled(member)


def test_a_passkey_answer_without_a_challenge_does_not_sign_in(app, auth, make, enrol, clock):
    member = make.member()
    client = app.test_client()
    type(auth)(client).login(member)
    enrol(client)
    browser = app.test_client()
    browser.post("/login", data={"login": member.username, "password": PASSWORD})
    answer = browser.post("/login/two-factor/passkey", json={"credential": {"id": "nope"}})
    assert answer.status_code == 422
    assert browser.get("/settings").status_code == 302
    assert app.test_client().post("/login/two-factor/passkey/options").status_code == 401  # no password given


def test_removing_a_passkey_keeps_the_app_and_the_codes(client, auth, make, enrol, clock, db):
    member = make.member()
    auth.login(member)
    secret, _codes = enrol(client)
    key = SecondFactor(member_id=member.id, kind="passkey", secret="", name="Old key", credential_id="abc",
                       public_key="def", sign_count=0)
    db.session.add(key)
    db.session.commit()
    page = client.get("/settings/two-factor").get_data(as_text=True)
    assert "Old key" in page
    assert client.post(f"/settings/two-factor/passkeys/{key.id}/remove",
                       data={"remove-password": "wrong"}).status_code == 422
    assert client.post(f"/settings/two-factor/passkeys/{key.id}/remove",
                       data={"remove-password": PASSWORD}).status_code == 302
    assert services.is_enrolled(member) and services.recovery_codes_left(member) == 10
    assert "Old key" not in client.get("/settings/two-factor").get_data(as_text=True)
    assert code(secret, clock)  # the app goes on
