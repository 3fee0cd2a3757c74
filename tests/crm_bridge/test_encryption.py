"""Sensitive fields are encrypted at rest: the raw database holds no plaintext; the key rotates, resumably."""
from __future__ import annotations

import tarfile
import time

import pyotp
import pytest
from sqlalchemy import text

from community import crypto
from community.extensions import db as _db
from community.members.models import Role
from community.ops import backup
from community.rewards import services as rewards
from community.sso import providers as sso_providers
from community.twofactor import services as twofactor
from community.twofactor.models import SecondFactor
from crm_bridge import services as crm
from crm_bridge import webhooks
from crm_bridge.cases import add_case_note, open_case
from crm_bridge.contacts import import_contacts
from crm_bridge.models import CrmContact, CrmProfile, StaffNote, WebhookEndpoint

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SECRETS = {"totp": TOTP_SECRET, "sso": "oidc-client-secret-7f3a9c","note": "Called about RMA 7731, very upset", "case": "Refund approved by finance",
           "phone": "+86 138 5555 0101", "address": "88 Secret Garden Road, Hangzhou", "name": "Wen Recipient"}


@pytest.fixture
def sensitive(make):
    staffer, member = make.member("sam", role=Role.staff), make.member("mei")
    profile = crm.ensure_profile(member)
    crm.add_note(staffer, profile, SECRETS["note"])
    add_case_note(open_case(member, "Broken hinge"), staffer, SECRETS["case"])
    import_contacts(f"email,name,phone\nmei@example.com,Mei,{SECRETS['phone']}\n")
    rewards.grant_points(staffer, member, 500, "Welcome gift")
    gift = rewards.create_reward(staffer, rewards.RewardInput(name="Hoodie", kind="gift", cost=100, stock=5,
                                                              needs_shipping=True))
    rewards.redeem(member, gift.id, rewards.Shipping(SECRETS["name"], SECRETS["address"], SECRETS["phone"]))
    twofactor.enrol(member, TOTP_SECRET, pyotp.TOTP(TOTP_SECRET).now())
    sso_providers.save_provider(None, slug="corp", name="Corp", issuer="https://id.example.com", client_id="community",
                                client_secret=SECRETS["sso"], enabled=True)
    SECRETS["webhook"] = webhooks.new_secret()
    _db.session.add(WebhookEndpoint(url="https://hooks.example.com/in", event_types=["post.created"],
                                    secret=SECRETS["webhook"], active=True))
    _db.session.commit()
    return member


def raw_dump() -> str:
    """Every text cell of every table, read without the ORM's types: what a stolen database shows."""
    cells = []
    for table in _db.metadata.sorted_tables:
        for row in _db.session.execute(text(f'SELECT * FROM "{table.name}"')):
            cells.extend(str(value) for value in row if value is not None)
    return "\n".join(cells)


def test_the_raw_database_holds_no_plaintext_of_the_sensitive_fields(sensitive):
    dump = raw_dump()
    for name, secret in SECRETS.items():
        assert secret not in dump, name
    assert "fernet:" in dump
    _db.session.expire_all()
    note = _db.session.scalar(_db.select(StaffNote))
    assert note.body == SECRETS["note"]  # the ORM reads it back as written
    profile = _db.session.scalar(_db.select(CrmProfile).where(CrmProfile.member_id == sensitive.id))
    assert profile.shipping_address == SECRETS["address"] and profile.shipping_phone == SECRETS["phone"]
    assert _db.session.scalar(_db.select(CrmContact.phone)) == SECRETS["phone"]
    # the secrets the app must use again: a member's codes keep working, SSO and webhooks sign as before
    assert _db.session.scalar(_db.select(SecondFactor.secret)) == TOTP_SECRET
    later = time.time() + 60  # the enrolment used this step's code; a later one is accepted once
    assert twofactor.check_totp(_db.session.scalar(_db.select(SecondFactor)), pyotp.TOTP(TOTP_SECRET).at(later), at=later)
    assert sso_providers.get_provider("corp").client_secret == SECRETS["sso"]
    assert _db.session.scalar(_db.select(WebhookEndpoint.secret)) == SECRETS["webhook"]


def test_rotate_key_re_encrypts_everything_and_resumes_after_an_interruption(app, sensitive):
    old = crypto.keyring().current_id
    runner = app.test_cli_runner()
    first = crypto.rotate_instance_key(app)
    assert first.current_id != old
    with pytest.raises(RuntimeError):  # interrupted after the first batch of one
        def boom(_n):
            raise RuntimeError("power cut")
        crypto.reencrypt(_db.session, _db.metadata, batch=1, progress=boom)
    _db.session.rollback()
    left = crypto.pending(_db.session, _db.metadata)
    assert 0 < left
    result = runner.invoke(args=["crm", "rotate-key", "--no-new-key"])
    assert result.exit_code == 0, result.output
    assert "0 left" in result.output and crypto.pending(_db.session, _db.metadata) == 0
    assert f"fernet:{old}:" not in raw_dump()
    _db.session.expire_all()
    assert _db.session.scalar(_db.select(StaffNote.body)) == SECRETS["note"]
    again = runner.invoke(args=["crm", "rotate-key"])
    assert again.exit_code == 0 and "New data key" in again.output and "0 left" in again.output
    assert SECRETS["phone"] not in raw_dump()


def test_a_backup_holds_the_ciphertext_and_never_the_key(app, sensitive, tmp_path):
    target = tmp_path / "backup.tar.gz"
    if backup.database_kind(app) != "sqlite":
        pytest.skip("the PostgreSQL dump needs pg_dump; the instance files are the same code path")
    backup.backup(app, target)
    with tarfile.open(target) as archive:
        names = archive.getnames()
        database = archive.extractfile("database.sqlite3").read()
    assert not any(crypto.KEY_FILE in name or crypto.RETIRED_FILE in name for name in names)
    assert SECRETS["address"].encode() not in database and b"fernet:" in database
