"""Contacts from the brand's CRM: CSV import with a report, linking by verified email, never guessing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from community.extensions import db as _db
from community.mail import services as mail
from community.mail import tokens
from community.members.models import Role, email_key
from crm_bridge.contacts import match_key
from crm_bridge.models import AuditEntry, ContactStatus, CrmContact, CrmProfile
from tests import factories


def verify(member):
    """Verify the member's address through the mail area's own service (what following the link does)."""
    mail.verify_email(tokens.make(tokens.VERIFY, {"m": member.id, "e": email_key(member.email)}))
    _db.session.commit()


def run_import(app, tmp_path, text: str | bytes, name="contacts.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    result = app.test_cli_runner().invoke(args=["crm", "import-contacts", str(path)])
    _db.session.expire_all()
    return result


def contact(email_or_id: str) -> CrmContact:
    return _db.session.scalar(select(CrmContact).where(
        (CrmContact.external_id == email_or_id) | (CrmContact.email == email_or_id)))


def test_match_key_reads_the_same_mailbox_the_same_way():
    assert match_key(" Bob.Smith+forum@GoogleMail.com ") == "bobsmith@gmail.com"
    assert match_key("ann+x@Example.COM") == "ann@example.com"
    assert match_key("ann.lee@example.com") == "ann.lee@example.com"  # dots matter outside Gmail


def test_import_reports_bad_rows_and_links_only_verified_members(app, tmp_path, make):
    ann = make.member("ann", email="ann@acme.example")
    verify(ann)
    make.member("ben", email="ben@acme.example")  # never verified
    csv_text = ("Contact ID,Email,Full Name,Company,Phone,Tier\n"
                "C1,ANN@acme.example,Ann Lee,Acme Ltd,+44 1,gold\n"
                "C2,ben@acme.example,Ben Ode,Acme Ltd,,silver\n"
                "C3,,No Mail,Acme Ltd,,\n"
                "C4,not-an-address,Bad Mail,,,\n"
                f"C5,cara@acme.example,{'x' * 121},,,\n"
                "C1,ann.other@acme.example,Duplicate Id,,,\n"
                "C6,dan@acme.example,Dan,,,,,extra cell\n"
                "C7,erin@acme.example,Erin Ng,Beta plc,,\n")
    result = run_import(app, tmp_path, csv_text)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "3 new" in out and "Skipped 5 rows" in out
    for line, why in ((4, "no email address"), (5, "is not an email address"), (6, "longer than 120"),
                      (7, "the same id as line 2"), (8, "more cells than the header")):
        assert f"line {line}: " in out and why in out, (line, why, out)
    assert _db.session.scalar(select(func.count()).select_from(CrmContact)) == 3
    c1, c2 = contact("C1"), contact("C2")
    assert c1.status is ContactStatus.linked and c1.member_id == ann.id and c1.data == {"Tier": "gold"}
    assert c2.status is ContactStatus.unlinked and c2.member_id is None  # ben's address is not verified
    # the linked member's CRM profile learns the company; ben is linked as soon as he verifies
    assert _db.session.scalar(select(CrmProfile.company).where(CrmProfile.member_id == ann.id)) == "Acme Ltd"
    ben = _db.session.scalar(select(type(ann)).where(type(ann).username == "ben"))
    verify(ben)
    _db.session.expire_all()
    assert contact("C2").status is ContactStatus.linked and contact("C2").member_id == ben.id


def test_an_unreadable_file_imports_nothing(app, tmp_path):
    result = run_import(app, tmp_path, "name,company\nAnn,Acme\n")
    assert result.exit_code == 1 and "no email column" in result.output
    result = run_import(app, tmp_path, "email,name\nann@acme.example,Ren\xe9e\n".encode("latin-1"))
    assert result.exit_code == 1 and "not UTF-8" in result.output
    assert _db.session.scalar(select(func.count()).select_from(CrmContact)) == 0


def test_two_candidate_members_or_two_contacts_are_ambiguous_never_guessed(app, tmp_path, make):
    first = make.member("bob1", email="bob.smith@gmail.com")
    second = make.member("bob2", email="bobsmith+forum@gmail.com")
    cara = make.member("cara", email="cara@acme.example")
    for member in (first, second, cara):
        verify(member)
    result = run_import(app, tmp_path, "id,email,name\n"
                                       "B1,bobsmith@gmail.com,Bob Smith\n"
                                       "K1,cara@acme.example,Cara (work)\n"
                                       "K2,cara@acme.example,Cara (billing)\n")
    assert result.exit_code == 0, result.output
    bob = contact("B1")
    assert bob.status is ContactStatus.ambiguous and bob.member_id is None
    assert sorted(bob.candidates) == sorted([first.id, second.id])
    for cid in ("K1", "K2"):  # one member, two contacts
        assert contact(cid).status is ContactStatus.ambiguous and contact(cid).member_id is None
        assert contact(cid).candidates == [cara.id]
    assert "2 linked" not in result.output and "3 ambiguous" in result.output


def test_staff_resolve_an_ambiguous_contact_and_imports_keep_the_decision(app, tmp_path, client, auth, make):
    cara = make.member("cara", email="cara@acme.example")
    verify(cara)
    run_import(app, tmp_path, "id,email\nK1,cara@acme.example\nK2,cara@acme.example\n")
    staff = make.member("sam", role=Role.staff)
    auth.login(staff)
    page = client.get("/crm/contacts?status=ambiguous").get_data(as_text=True)
    assert "cara@acme.example" in page and "@cara" in page
    k1 = contact("K1")
    response = client.post(f"/crm/contacts/{k1.id}/resolve", data={"member": "cara"})
    assert response.status_code == 302
    _db.session.expire_all()
    assert contact("K1").status is ContactStatus.linked and contact("K1").member_id == cara.id
    assert contact("K2").status is ContactStatus.ambiguous  # still two contacts for one member
    response = client.post(f"/crm/contacts/{contact('K2').id}/resolve", data={"member": ""})
    _db.session.expire_all()
    assert contact("K2").status is ContactStatus.unlinked and contact("K2").resolved_by_id == staff.id
    assert _db.session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == "contact_resolved")) == 2
    # a re-import updates the fields but not the staff's decisions
    run_import(app, tmp_path, "id,email,company\nK1,cara@acme.example,Acme\nK2,cara@acme.example,Acme\n")
    assert contact("K1").member_id == cara.id and contact("K1").company == "Acme"
    assert contact("K2").status is ContactStatus.unlinked
    # an unknown username is a clear error that changes nothing
    response = client.post(f"/crm/contacts/{contact('K2').id}/resolve", data={"member": "nobody"},
                           follow_redirects=True)
    assert "There is no member called" in response.get_data(as_text=True)
    _db.session.expire_all()
    assert contact("K2").status is ContactStatus.unlinked


@pytest.mark.parametrize("role,status", [(Role.member, 404), (Role.moderator, 404), (Role.staff, 200)])
def test_only_staff_see_or_resolve_contacts(app, tmp_path, client, auth, make, role, status):
    run_import(app, tmp_path, "id,email\nK1,cara@acme.example\n")
    auth.login(make.member("viewer", role=role))
    assert client.get("/crm/contacts").status_code == status
    response = client.post(f"/crm/contacts/{contact('K1').id}/resolve", data={"member": "viewer"})
    assert response.status_code == (404 if status == 404 else 302)
    _db.session.expire_all()
    assert (contact("K1").member_id is None) == (status == 404)


def test_member_list_filters_linked_members_and_profile_shows_the_contact(app, tmp_path, client, auth, make):
    ann = make.member("ann", email="ann@acme.example")
    verify(ann)
    make.member("ben", email="ben@acme.example")
    run_import(app, tmp_path, "id,email,name,company\nC1,ann@acme.example,Ann Lee,Acme Ltd\n")
    auth.login(make.member("sam", role=Role.staff))
    linked = client.get("/crm/members?linked=yes").get_data(as_text=True)
    unlinked = client.get("/crm/members?linked=no").get_data(as_text=True)
    assert "@ann" in linked and "@ben" not in linked
    assert "@ben" in unlinked and "@ann" not in unlinked
    profile = client.get("/crm/members/ann").get_data(as_text=True)
    assert "Ann Lee" in profile and "#C1" in profile and "verified" in profile


def test_a_deleted_account_leaves_the_contact_unlinked(app, tmp_path, client, auth, make):
    ann = make.member("ann", email="ann@acme.example")
    verify(ann)
    run_import(app, tmp_path, "id,email\nC1,ann@acme.example\n")
    assert contact("C1").member_id == ann.id
    auth.login(ann)
    assert client.post("/settings/delete-account", data={"password": factories.PASSWORD}).status_code == 302
    _db.session.expire_all()
    assert contact("C1").member_id is None and contact("C1").status is ContactStatus.unlinked
