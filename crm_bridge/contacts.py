"""Contacts from the brand's own CRM: CSV import, linking to members by verified email, staff resolution.

Linking never guesses. A contact is linked when exactly one member has proved they own an address
that normalizes to the contact's, and that member matches no other contact. Two candidate members,
or one member matching several contacts, make every contact involved "ambiguous" until staff decide
(`resolve`); a decision by staff is kept through later imports.

Normalizing: case-folded; `+tags` dropped from the local part; for Gmail, dots dropped and
googlemail.com read as gmail.com (the same mailbox). This is what makes two members' addresses
(bob.smith@gmail.com and bobsmith+forum@gmail.com) candidates for one contact.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import or_, select

from community.dbtypes import utcnow
from community.errors import ValidationFailed
from community.extensions import db
from community.members.models import Member

from .audit import audit
from .models import ContactStatus, CrmContact, CrmProfile
from .services import ensure_profile

GMAIL = {"gmail.com", "googlemail.com"}
LIMITS = {"external_id": 100, "email": 254, "name": 120, "company": 120, "phone": 40}
# Header names a CRM export uses for each column we read (compared case-folded, spaces and dashes as _).
ALIASES = {
    "email": ("email", "e_mail", "email_address", "mail"),
    "external_id": ("external_id", "id", "contact_id", "crm_id"),
    "name": ("name", "full_name", "contact_name"),
    "company": ("company", "organization", "organisation", "account", "account_name"),
    "phone": ("phone", "phone_number", "telephone"),
}
MAX_EXTRA = 30  # other columns kept per row


def match_key(email: str) -> str:
    """Return the form under which two addresses reach the same mailbox."""
    email = (email or "").strip().casefold()
    local, at, domain = email.rpartition("@")
    if not at:
        return email
    local = local.split("+", 1)[0]
    if domain in GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, why)
    linked: int = 0
    ambiguous: int = 0
    unlinked: int = 0


def _header_map(fieldnames) -> dict[str, str]:
    found = {}
    for raw in fieldnames or []:
        name = (raw or "").strip().casefold().replace(" ", "_").replace("-", "_")
        for column, aliases in ALIASES.items():
            if name in aliases and column not in found:
                found[column] = raw
    return found


def read_rows(text: str):
    """Yield (line number, row dict) from CSV text; raise ValidationFailed when it is not a usable CSV."""
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    columns = _header_map(reader.fieldnames)
    if "email" not in columns:
        raise ValidationFailed(_("The file has no email column (its first line must name the columns, "
                                 "one of them email)."))
    for row in reader:
        yield reader.line_num, row, columns


def _clean(line: int, row: dict, columns: dict) -> tuple[dict | None, str]:
    """Return (values, "") for a good row, or (None, why) for a bad one."""
    if None in row:  # more cells than header names
        return None, _("more cells than the header has columns")
    values = {column: (row.get(source) or "").strip() for column, source in columns.items()}
    for column in LIMITS:
        values.setdefault(column, "")
    if not any((v or "").strip() for v in row.values()):
        return None, _("empty line")
    if not values["email"]:
        return None, _("no email address")
    try:
        values["email"] = validate_email(values["email"], check_deliverability=False).normalized
    except EmailNotValidError:
        return None, _("“%(email)s” is not an email address", email=values["email"][:80])
    for column, limit in LIMITS.items():
        if len(values[column]) > limit:
            return None, _("%(column)s is longer than %(limit)d characters", column=column, limit=limit)
    used = set(columns.values())
    extra = {k: (v or "").strip()[:500] for k, v in row.items() if k not in used and k and (v or "").strip()}
    values["data"] = dict(list(extra.items())[:MAX_EXTRA])
    values["external_id"] = values["external_id"] or None
    return values, ""


def import_contacts(text: str, progress=None) -> ImportReport:
    """Import CSV text: every good row is created or updated, every bad row reported; then link.

    Rows are matched to existing contacts by external id, or (rows without one) by address. One
    transaction: the caller commits. `progress(n)` is called as rows are read.
    """
    report = ImportReport()
    rows = []
    seen_ids: dict[str, int] = {}
    seen_keys: dict[str, int] = {}
    for line, row, columns in read_rows(text):
        values, why = _clean(line, row, columns)
        if progress:
            progress(1)
        if values is None:
            report.skipped.append((line, why))
            continue
        key = match_key(values["email"])
        if values["external_id"]:
            if values["external_id"] in seen_ids:
                report.skipped.append((line, _("the same id as line %(line)d", line=seen_ids[values["external_id"]])))
                continue
            seen_ids[values["external_id"]] = line
        else:
            if key in seen_keys:
                report.skipped.append((line, _("no id and the same address as line %(line)d", line=seen_keys[key])))
                continue
            seen_keys[key] = line
        values["match_key"] = key
        rows.append(values)

    by_id = {}
    ids = [v["external_id"] for v in rows if v["external_id"]]
    for start in range(0, len(ids), 500):
        for contact in db.session.scalars(select(CrmContact).where(CrmContact.external_id.in_(ids[start:start + 500]))):
            by_id[contact.external_id] = contact
    keys = [v["match_key"] for v in rows if not v["external_id"]]
    by_key = {}
    for start in range(0, len(keys), 500):
        for contact in db.session.scalars(select(CrmContact).where(CrmContact.external_id.is_(None),
                                                                   CrmContact.match_key.in_(keys[start:start + 500]))):
            by_key[contact.match_key] = contact
    now = utcnow()
    touched = set()
    for values in rows:
        contact = by_id.get(values["external_id"]) if values["external_id"] else by_key.get(values["match_key"])
        if contact is None:
            contact = CrmContact(imported_at=now, candidates=[], status=ContactStatus.unlinked)
            db.session.add(contact)
            report.created += 1
        else:
            touched.add(contact.match_key)  # its old address may leave a group
            report.updated += 1
        for column in ("external_id", "email", "match_key", "name", "company", "phone", "data"):
            setattr(contact, column, values[column])
        contact.updated_at = now
        touched.add(values["match_key"])
    db.session.flush()
    relink(touched)
    for status, count in db.session.execute(select(CrmContact.status, db.func.count())
                                            .group_by(CrmContact.status)):
        setattr(report, ContactStatus(status).value, count)
    return report


def _verified_members(keys: set[str]) -> dict[str, list[Member]]:
    """Verified, not deleted members grouped by the match key of their address, for the given keys."""
    found: dict[str, list[Member]] = defaultdict(list)
    if not keys:
        return found
    # The match key is not stored on members: select by the domains involved, then compare in Python.
    domains = {key.rpartition("@")[2] for key in keys}
    if "gmail.com" in domains:
        domains |= GMAIL
    domain_list = sorted(domains)
    for start in range(0, len(domain_list), 200):
        chunk = domain_list[start:start + 200]
        query = select(Member).where(Member.email_verified_at.is_not(None), Member.deleted_at.is_(None),
                                     or_(*[Member.email_key.like(f"%@{d}") for d in chunk]))
        for member in db.session.scalars(query):
            key = match_key(member.email)
            if key in keys:
                found[key].append(member)
    return found


def relink(keys) -> None:
    """Work out the link of every contact under the given match keys (staff decisions stay)."""
    keys = {k for k in keys if k}
    if not keys:
        return
    key_list = sorted(keys)
    contacts: dict[str, list[CrmContact]] = defaultdict(list)
    for start in range(0, len(key_list), 500):
        for contact in db.session.scalars(select(CrmContact).where(CrmContact.match_key.in_(key_list[start:start + 500]))):
            contacts[contact.match_key].append(contact)
    members = _verified_members(keys)
    # a member staff linked by hand to some contact counts as taken by it (asked only of the candidates)
    candidate_ids = sorted({m.id for group in members.values() for m in group})
    taken: set[int] = set()
    for start in range(0, len(candidate_ids), 500):
        taken |= {member_id for (member_id,) in db.session.execute(
            select(CrmContact.member_id).where(CrmContact.resolved_by_id.is_not(None),
                                               CrmContact.member_id.in_(candidate_ids[start:start + 500])))}
    for key, group in contacts.items():
        open_group = [c for c in group if c.resolved_by_id is None]
        candidates = [m for m in members.get(key, [])]
        for contact in open_group:
            if not candidates:
                _set(contact, ContactStatus.unlinked, None, [])
            elif len(candidates) > 1:
                _set(contact, ContactStatus.ambiguous, None, sorted(m.id for m in candidates))
            elif len(group) > 1 or candidates[0].id in taken:
                _set(contact, ContactStatus.ambiguous, None, [candidates[0].id])
            else:
                _set(contact, ContactStatus.linked, candidates[0], [])


def _set(contact: CrmContact, status: ContactStatus, member: Member | None, candidates: list[int]) -> None:
    contact.status, contact.candidates = status, candidates
    contact.member_id = member.id if member is not None else None
    if member is not None:
        profile = ensure_profile(member)
        if not profile.company and contact.company:
            profile.company = contact.company


def relink_member(member: Member) -> None:
    """A member verified (or changed) their address: relink the contacts it may concern."""
    keys = {match_key(member.email)}
    keys |= {c for (c,) in db.session.execute(select(CrmContact.match_key).where(CrmContact.member_id == member.id))}
    # ambiguous contacts are few: look at them all again (the member may have been a candidate)
    keys |= {c for (c,) in db.session.execute(select(CrmContact.match_key).where(
        CrmContact.status == ContactStatus.ambiguous))}
    relink(keys)


def resolve(staff: Member, contact: CrmContact, username: str) -> None:
    """Staff decide a contact's member by username (empty: no member); imports keep the decision."""
    username = (username or "").strip().lstrip("@")
    member = None
    if username:
        member = db.session.scalar(select(Member).where(Member.username_key == username.casefold(),
                                                        Member.deleted_at.is_(None)))
        if member is None:
            raise ValidationFailed(_("There is no member called “%(name)s”.", name=username[:40]),
                                   fields={"member": _("There is no member called “%(name)s”.", name=username[:40])})
        other = db.session.scalar(select(CrmContact).where(CrmContact.member_id == member.id,
                                                           CrmContact.id != contact.id,
                                                           CrmContact.resolved_by_id.is_not(None)))
        if other is not None:
            message = _("%(name)s is already linked to the contact %(email)s by staff; unlink that one first.",
                        name=member.username, email=other.email)
            raise ValidationFailed(message, fields={"member": message})
    contact.member_id = member.id if member else None
    contact.status = ContactStatus.linked if member else ContactStatus.unlinked
    contact.candidates = []
    contact.resolved_by_id = staff.id
    contact.updated_at = utcnow()
    profile = ensure_profile(member) if member else None
    if profile is not None and not profile.company and contact.company:
        profile.company = contact.company
    audit(staff, "contact_resolved", profile, contact_id=contact.id, email=contact.email,
          member=member.username if member else None)
    db.session.flush()
    relink({contact.match_key})  # the other contacts of the group may now be clear


def contacts_of(member_id: int) -> list[CrmContact]:
    return db.session.scalars(select(CrmContact).where(CrmContact.member_id == member_id)
                              .order_by(CrmContact.id)).all()


def profile_ids_linked():
    """A subquery of the member ids that have a linked contact (the member list's "linked" filter)."""
    return select(CrmContact.member_id).where(CrmContact.member_id.is_not(None))


__all__ = ["ImportReport", "import_contacts", "match_key", "relink", "relink_member", "resolve", "CrmProfile"]
