"""Registration: the four modes on the sign-up page and the API, invitations (uses, expiry, withdrawal, races),
the approval queue with its mails and log lines, email domain lists, and who may use /admin/registration."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from flask import g
from flask_login import current_user
from sqlalchemy import func, select

from community import settings
from community.admin import registration as admin_registration
from community.auth_loader import sign_in
from community.dbtypes import utcnow
from community.extensions import db
from community.mail.models import MailMessage
from community.members.models import Member, Role
from community.members.registration import normalise_domain, token_hash
from community.members.registration_models import ApprovalStatus, Invite, MemberApproval
from community.moderation.models import ModerationAction
from community.registry import staff_counters
from crm_bridge.models import AuditEntry
from tests.community.api.conftest import Api

PASSWORD = "a-long-unusual-pass-7"


def configure(**values):
    """Store registration settings as an admin would (mode=..., allowed=[...], blocked=[...], staff=[...])."""
    keys = {"mode": "registration.mode", "allowed": "registration.allowed_domains",
            "blocked": "registration.blocked_domains", "staff": "roles.staff_domains"}
    settings.save({keys[name]: value for name, value in values.items()})
    db.session.commit()


def current(key):
    g.pop("site_settings", None)
    return settings.get(key)


def members_named(username) -> int:
    return db.session.scalar(select(func.count()).select_from(Member).where(Member.username_key == username.lower()))


def signup(client, username="newbie", email=None, path="/register"):
    return client.post(path, data={"username": username, "email": email or f"{username}@example.com",
                                   "password": PASSWORD})


def api_signup(app, username="newbie", email=None, invite=None):
    body = {"username": username, "email": email or f"{username}@example.com", "password": PASSWORD}
    if invite:
        body["invite"] = invite
    return Api(app.test_client()).post("members", json=body)


def signed_in(client) -> bool:
    return client.get("/settings").status_code == 200


def login(client, username):
    return client.post("/login", data={"login": username, "password": PASSWORD})


def make_invite(creator, *, max_uses=1, days=7, email="", expires_at=None, revoked=False):
    invite, token = admin_registration.create_invite(creator, max_uses=max_uses, days=days, email=email)
    if expires_at is not None:
        invite.expires_at = expires_at
    if revoked:
        invite.revoked_at = utcnow()
    db.session.commit()
    return invite, token


# ---- the four modes, on the page and the API --------------------------------------------------

def test_open_mode_registers_and_signs_in_on_the_page_and_the_api(app, client):
    response = signup(client)
    assert response.status_code == 302 and signed_in(client)
    response = api_signup(app, "apiuser")
    assert response.status_code == 201 and response.json["awaiting_approval"] is False
    assert db.session.scalar(select(func.count()).select_from(MemberApproval)) == 0


def test_approval_mode_account_waits_and_cannot_sign_in_on_the_page_nor_the_api(app, client):
    configure(mode="approval")
    assert "reviewed by the staff" in client.get("/register").get_data(as_text=True)
    response = signup(client)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "waiting for approval" in text
    assert not signed_in(client)
    answer = login(app.test_client(), "newbie")
    assert answer.status_code == 422 and "waiting for approval" in answer.get_data(as_text=True)
    token = Api(app.test_client()).post("tokens", json={"login": "newbie", "password": PASSWORD})
    assert token.status_code == 403 and token.json["error"]["code"] == "awaiting_approval"
    # a wrong password still says only that the credentials do not match (no hint the account exists)
    wrong = app.test_client().post("/login", data={"login": "newbie", "password": "wrong-password-1"})
    assert "waiting for approval" not in wrong.get_data(as_text=True)

    response = api_signup(app, "apiuser")
    assert response.status_code == 201 and response.json["awaiting_approval"] is True
    statuses = db.session.scalars(select(MemberApproval.status)).all()
    assert statuses == [ApprovalStatus.pending, ApprovalStatus.pending]


def test_approval_mode_answers_a_taken_address_as_a_new_registration(app, client, make):
    make.member("owner", email="owner@example.com")
    configure(mode="approval")
    response = signup(client, "someoneelse", email="owner@example.com")
    assert response.status_code == 200 and "waiting for approval" in response.get_data(as_text=True)
    assert members_named("someoneelse") == 0


@pytest.mark.parametrize("mode, code", [("invite", "invite_required"), ("closed", "registration_closed")])
def test_invite_and_closed_modes_refuse_the_page_and_the_api_and_create_nothing(app, client, mode, code):
    configure(mode=mode)
    page = client.get("/register")
    assert page.status_code == 403
    assert ("invitation only" if mode == "invite" else "Registration is closed") in page.get_data(as_text=True)
    assert signup(client).status_code == 403
    response = api_signup(app)
    assert response.status_code == 403 and response.json["error"]["code"] == code
    assert members_named("newbie") == 0


def test_commands_factories_and_admins_still_create_accounts_when_closed(app, make):
    configure(mode="closed")
    assert make.member("fromfactory").id
    result = app.test_cli_runner().invoke(args=["community", "create-admin", "--username", "boss",
                                                "--email", "boss@example.com", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert members_named("boss") == 1


# ---- invitations ------------------------------------------------------------------------------

def test_staff_create_an_invitation_shown_once_and_stored_hashed(people, as_role):
    response = as_role("staff").post("/admin/registration/invites",
                                     data={"max_uses": "3", "days": "5", "note": "Beta testers"})
    text = response.get_data(as_text=True)
    assert response.status_code == 201
    url = re.search(r'class="invite-url" value="([^"]+)"', text).group(1)
    token = url.rsplit("/invite/", 1)[1]
    invite = db.session.scalar(select(Invite))
    assert invite.token_hash == token_hash(token) and token not in repr(vars(invite))
    assert (invite.max_uses, invite.uses, invite.note, invite.created_by_id) == (3, 0, "Beta testers",
                                                                                   people["staff"].id)
    assert timedelta(days=4, hours=23) < invite.expires_at - utcnow() <= timedelta(days=5)
    listing = as_role("staff").get("/admin/registration/invites").get_data(as_text=True)
    assert "Beta testers" in listing and token not in listing and "0 of 3 uses" in listing


@pytest.mark.parametrize("data, field", [
    ({"max_uses": "0", "days": "7"}, "A whole number from 1"),
    ({"max_uses": "1", "days": "400"}, "A whole number of days"),
    ({"max_uses": "2", "days": "7", "email": "one@example.com"}, "can be used once"),
    ({"max_uses": "1", "days": "7", "email": "not an address"}, "not a valid email"),
    ({"max_uses": "1", "days": "7", "note": "x" * 300}, "At most 255"),
])
def test_a_bad_invitation_is_refused_with_a_clear_error_and_nothing_saved(people, as_role, data, field):
    response = as_role("staff").post("/admin/registration/invites", data=data)
    assert response.status_code == 422 and field in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Invite)) == 0


def test_an_invitation_lets_people_in_while_invite_only_and_counts_its_uses(app, people):
    configure(mode="invite")
    invite, token = make_invite(people["staff"], max_uses=2)
    first = app.test_client()
    assert first.get(f"/invite/{token}").status_code == 200
    assert signup(first, "guest1", path=f"/invite/{token}").status_code == 302 and signed_in(first)
    assert signup(app.test_client(), "guest2", path=f"/invite/{token}").status_code == 302
    third = app.test_client()
    page = third.get(f"/invite/{token}")
    assert page.status_code == 410 and "used already" in page.get_data(as_text=True)
    assert signup(third, "guest3", path=f"/invite/{token}").status_code == 410
    assert members_named("guest3") == 0
    db.session.refresh(invite)
    assert invite.uses == 2


def test_an_invitation_works_through_the_api_and_skips_approval(app, people):
    configure(mode="approval")
    _invite, token = make_invite(people["staff"])
    response = api_signup(app, "viaapi", invite=token)
    assert response.status_code == 201 and response.json["awaiting_approval"] is False
    again = api_signup(app, "viaapi2", invite=token)
    assert again.status_code == 410 and again.json["error"]["code"] == "invite_used"
    assert api_signup(app, "viaapi3", invite="nonsense").json["error"]["code"] == "invite_invalid"
    assert members_named("viaapi2") == members_named("viaapi3") == 0


@pytest.mark.parametrize("state, words, status", [
    ("expired", "has expired", 410), ("revoked", "withdrawn", 410), ("invalid", "not valid", 404)])
def test_an_expired_withdrawn_or_unknown_link_gets_a_clear_page(app, people, client, state, words, status):
    configure(mode="invite")
    _invite, token = make_invite(people["staff"], expires_at=utcnow() - timedelta(minutes=1) if state == "expired"
                                 else None, revoked=state == "revoked")
    token = "x" * 32 if state == "invalid" else token
    page = client.get(f"/invite/{token}")
    assert page.status_code == status and words in page.get_data(as_text=True)
    assert signup(client, "late", path=f"/invite/{token}").status_code == status
    assert members_named("late") == 0


def test_an_invitation_for_one_address_refuses_another(app, people, client):
    configure(mode="invite")
    _invite, token = make_invite(people["staff"], email="Invited@Example.com")
    assert 'value="Invited@example.com"' in client.get(f"/invite/{token}").get_data(as_text=True)
    response = signup(client, "other", email="other@example.com", path=f"/invite/{token}")
    assert response.status_code == 422 and "for another email address" in response.get_data(as_text=True)
    assert signup(client, "invited", email="invited@example.com", path=f"/invite/{token}").status_code == 302


def test_closed_mode_refuses_invitations_too(app, people, client):
    configure(mode="closed")
    _invite, token = make_invite(people["staff"])
    assert client.get(f"/invite/{token}").status_code == 403


def test_staff_withdraw_an_invitation(app, people, as_role):
    configure(mode="invite")
    invite, token = make_invite(people["staff"])
    response = as_role("staff").post(f"/admin/registration/invites/{invite.id}/revoke")
    assert response.status_code == 302
    db.session.refresh(invite)
    assert invite.revoked_at is not None
    assert app.test_client().get(f"/invite/{token}").status_code == 410


def needs_postgres():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers (set TEST_DATABASE_URL)")


@pytest.mark.postgres
def test_concurrent_registrations_never_use_an_invitation_more_often_than_allowed(app, people):
    needs_postgres()
    configure(mode="invite")
    invite, token = make_invite(people["staff"], max_uses=3)
    clients = [app.test_client() for _ in range(10)]
    barrier = threading.Barrier(len(clients))
    statuses, errors = [], []

    def run(n, client):
        try:
            barrier.wait(timeout=60)
            statuses.append(signup(client, f"racer{n}", path=f"/invite/{token}").status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(n, c)) for n, c in enumerate(clients)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert not errors, errors[:3]
    assert sorted(statuses) == [302] * 3 + [410] * 7
    db.session.expire_all()
    assert db.session.get(Invite, invite.id).uses == 3
    assert db.session.scalar(select(func.count()).select_from(Member).where(Member.username.like("racer%"))) == 3


# ---- the approval queue -----------------------------------------------------------------------

def pending(app, username="applicant"):
    configure(mode="approval")
    assert signup(app.test_client(), username).status_code == 200
    return db.session.scalar(select(Member).where(Member.username == username))


def mails_to(address, kind="registration"):
    return db.session.scalars(select(MailMessage).where(MailMessage.to_address == address,
                                                        MailMessage.kind == kind)).all()


def test_staff_approve_an_account_which_is_mailed_logged_and_can_sign_in(app, people, as_role):
    applicant = pending(app)
    queue = as_role("staff").get("/admin/registration/queue").get_data(as_text=True)
    assert "applicant@example.com" in queue
    response = as_role("staff").post(f"/admin/registration/queue/{applicant.id}/approve")
    assert response.status_code == 302
    mail = mails_to("applicant@example.com")
    assert len(mail) == 1 and "approved" in mail[0].subject and "/login" in mail[0].text_body
    line = db.session.scalar(select(ModerationAction).where(ModerationAction.action == "approve_member"))
    assert (line.actor_id, line.member_id) == (people["staff"].id, applicant.id)
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "registration_approved"))
    assert audit.staff_id == people["staff"].id and audit.detail["member_id"] == applicant.id
    assert login(app.test_client(), "applicant").status_code == 302
    assert "applicant@example.com" not in as_role("staff").get("/admin/registration/queue").get_data(as_text=True)
    # decided already: the queue no longer knows it
    assert as_role("admin").post(f"/admin/registration/queue/{applicant.id}/reject",
                                 data={"reason": "late"}).status_code == 404


def test_rejecting_needs_a_reason_which_is_mailed_and_the_account_stays_out(app, people, as_role):
    applicant = pending(app)
    refused = as_role("admin").post(f"/admin/registration/queue/{applicant.id}/reject", data={"reason": "  "})
    assert refused.status_code == 422 and "Give the applicant a reason" in refused.get_data(as_text=True)
    assert db.session.get(MemberApproval, applicant.id).status is ApprovalStatus.pending and not mails_to(
        "applicant@example.com")
    reason = "We only admit customers <b>with</b> an order number."
    response = as_role("admin").post(f"/admin/registration/queue/{applicant.id}/reject", data={"reason": reason})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(MemberApproval, applicant.id).status is ApprovalStatus.rejected
    mail = mails_to("applicant@example.com")
    assert len(mail) == 1 and "not approved" in mail[0].subject
    assert reason in mail[0].text_body and "&lt;b&gt;with&lt;/b&gt;" in mail[0].html_body
    answer = login(app.test_client(), "applicant")
    assert answer.status_code == 422 and "not approved" in answer.get_data(as_text=True)
    token = Api(app.test_client()).post("tokens", json={"login": "applicant", "password": PASSWORD})
    assert token.status_code == 403 and token.json["error"]["code"] == "registration_rejected"
    log = as_role("moderator").get("/mod/log").get_data(as_text=True)
    assert "Registration not approved" in log


def test_no_other_path_signs_in_an_account_waiting_for_approval(app):
    applicant = pending(app)
    with app.test_request_context("/"):
        assert sign_in(applicant) is False
        assert not current_user.is_authenticated


def test_the_pending_count_is_a_staff_counter(app, people):
    pending(app, "one")
    pending(app, "two")
    counter = staff_counters()["pending_approvals"]
    assert counter(people["staff"]) == 2 and counter(people["admin"]) == 2
    assert counter(people["moderator"]) is None and counter(people["member"]) is None
    configure(mode="open")
    assert counter(people["staff"]) == 2  # still waiting: shown until decided
    db.session.execute(MemberApproval.__table__.delete())
    assert counter(people["staff"]) is None  # open and nobody waits: not shown


def test_the_queue_costs_the_same_queries_with_few_or_many_applicants(app, people, as_role, count_queries):
    staff = as_role("staff")
    configure(mode="approval")
    for n in range(3):
        signup(app.test_client(), f"few{n}")
    staff.get("/admin/registration/queue")
    with count_queries() as few:
        assert staff.get("/admin/registration/queue").status_code == 200
    for n in range(25):
        signup(app.test_client(), f"many{n}")
    with count_queries() as many:
        assert staff.get("/admin/registration/queue").status_code == 200
    assert len(many) == len(few) <= 12


def test_the_invitations_list_costs_the_same_queries_with_few_or_many(app, people, as_role, make, count_queries):
    staff = as_role("staff")
    makers = [people["staff"], people["admin"], make.member("maker3", role=Role.staff)]
    for n in range(3):
        make_invite(makers[n % 3], max_uses=2)
    staff.get("/admin/registration/invites")
    with count_queries() as few:
        assert staff.get("/admin/registration/invites").status_code == 200
    for n in range(30):
        make_invite(makers[n % 3], revoked=n % 2 == 0)
    with count_queries() as many:
        assert staff.get("/admin/registration/invites").status_code == 200
    assert len(many) == len(few) <= 10


# ---- who may use the section ------------------------------------------------------------------

@pytest.mark.parametrize("role, status", [("guest", 302), ("member", 404), ("moderator", 404), ("staff", 200),
                                          ("admin", 200)])
@pytest.mark.parametrize("path", ["/admin/registration", "/admin/registration/invites",
                                  "/admin/registration/queue"])
def test_only_staff_and_admins_see_the_registration_pages(people, as_role, role, status, path):
    assert as_role(role).get(path).status_code == status


@pytest.mark.parametrize("role", ["guest", "member", "moderator"])
def test_others_change_nothing_in_registration(app, people, as_role, role):
    applicant = pending(app)
    invite, _token = make_invite(people["staff"])
    client = as_role(role)
    expected = 302 if role == "guest" else 404
    assert client.post("/admin/registration", data={"mode": "closed"}).status_code == expected
    assert client.post("/admin/registration/invites", data={"max_uses": "1", "days": "1"}).status_code == expected
    assert client.post(f"/admin/registration/invites/{invite.id}/revoke").status_code == expected
    assert client.post(f"/admin/registration/queue/{applicant.id}/approve").status_code == expected
    db.session.expire_all()
    assert current("registration.mode") == "approval"
    assert db.session.scalar(select(func.count()).select_from(Invite)) == 1
    assert db.session.get(Invite, invite.id).revoked_at is None
    assert db.session.get(MemberApproval, applicant.id).status is ApprovalStatus.pending


def test_staff_read_the_settings_but_only_admins_change_them(people, as_role):
    page = as_role("staff").get("/admin/registration").get_data(as_text=True)
    assert "Only admins change" in page and 'name="mode"' not in page
    assert as_role("staff").post("/admin/registration", data={"mode": "closed"}).status_code == 403
    assert current("registration.mode") == "open"
    response = as_role("admin").post("/admin/registration", data={"mode": "closed", "allowed_domains": "",
                                                                  "blocked_domains": "", "staff_domains": ""})
    assert response.status_code == 302 and current("registration.mode") == "closed"


# ---- email domain lists -------------------------------------------------------------------

def test_domains_are_normalised_case_idna_and_prefixes():
    assert normalise_domain(" @Example.COM. ") == "example.com"
    assert normalise_domain("*.Bücher.de") == "xn--bcher-kva.de"
    for bad in ("", "localhost", "exa mple.com", "-bad.com", "a..b"):
        with pytest.raises(ValueError):
            normalise_domain(bad)


def test_admins_save_domain_lists_normalised_or_nothing_at_all(people, as_role):
    admin = as_role("admin")
    response = admin.post("/admin/registration", data={
        "mode": "approval", "allowed_domains": "Brand.COM\n@partner.org, BÜCHER.de",
        "blocked_domains": "*.spam.example", "staff_domains": "brand.com"})
    assert response.status_code == 302
    assert current("registration.allowed_domains") == ["brand.com", "partner.org", "xn--bcher-kva.de"]
    assert current("registration.blocked_domains") == ["spam.example"]
    bad = admin.post("/admin/registration", data={"mode": "open", "allowed_domains": "ok.com not_a_domain!",
                                                  "blocked_domains": "", "staff_domains": ""})
    assert bad.status_code == 422 and "Not a domain: not_a_domain!" in bad.get_data(as_text=True)
    assert current("registration.mode") == "approval"  # nothing of the bad save was kept
    assert current("registration.allowed_domains") == ["brand.com", "partner.org", "xn--bcher-kva.de"]
    assert admin.post("/admin/registration", data={"mode": "sideways"}).status_code == 422


@pytest.mark.parametrize("email, allowed", [
    ("a@brand.com", True), ("a@mail.brand.com", True), ("a@BRAND.com", True), ("a@notbrand.com", False),
    ("a@brand.com.evil.org", False), ("a@other.org", False)])
def test_the_allow_list_admits_its_domains_and_their_subdomains(app, email, allowed):
    configure(allowed=["brand.com"])
    response = api_signup(app, "candidate", email=email)
    assert response.status_code == (201 if allowed else 422)
    if not allowed:
        assert response.json["error"]["fields"]["email"].startswith("Registration is open only")
    assert members_named("candidate") == (1 if allowed else 0)


def test_a_blocked_domain_wins_and_covers_subdomains_on_the_page(app, client):
    configure(allowed=["example.com"], blocked=["spam.example.com"])
    response = signup(client, "spammer", email="x@mx.spam.example.com")
    assert response.status_code == 422 and "cannot be used to register" in response.get_data(as_text=True)
    assert members_named("spammer") == 0
    assert signup(client, "fine", email="fine@example.com").status_code == 302


def test_staff_roles_need_an_address_at_a_staff_domain(app, people, as_role, make):
    configure(staff=["brand.com"])
    outsider = make.member("outsider", email="outsider@gmail.com")
    insider = make.member("insider", email="insider@eu.brand.com")
    admin = as_role("admin")
    response = admin.post("/admin/members/outsider/role", data={"role": "moderator"}, follow_redirects=True)
    assert "need an email address at one of these domains: brand.com" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Member, outsider.id).role is Role.member
    assert as_role("admin").post("/admin/members/insider/role", data={"role": "staff"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Member, insider.id).role is Role.staff
    # taking a role away is always allowed
    assert as_role("admin").post("/admin/members/a_moderator/role", data={"role": "member"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Member, people["moderator"].id).role is Role.member
