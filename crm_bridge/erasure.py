"""A member deleted their account: erase what the CRM keeps about them, in the same transaction.

The profile, its tags and staff notes and the member's timeline go. Feedback items and per-post
sentiment stay as anonymous statistics of threads and posts that stay too (their member link is
cleared). The audit log keeps its lines (who on the staff looked at what, when) with the profile
link cleared and the member's name, address, company and phone replaced in what staff searched
for or changed, so that staff access stays accountable without pointing at a person. The brand's
contact keeps only its id in the brand's CRM. Outbox payloads and webhook attempt logs name the
member only by the deleted account's placeholder. docs/security.md, "Account deletion".
"""
from __future__ import annotations

from flask import has_app_context
from sqlalchemy import delete, select, update

from community import signals
from community.extensions import db
from community.members.erasure import Identity

from .contacts import match_key, relink_member
from .models import (
    AuditEntry,
    ContactStatus,
    CrmContact,
    CrmProfile,
    DailyActive,
    FeedbackItem,
    OutboxEvent,
    PostSentiment,
    ProfileTag,
    StaffNote,
    TimelineEvent,
    WebhookAttempt,
)


def _run(statement) -> None:
    db.session.execute(statement, execution_options={"synchronize_session": False})


def on_member_deleting(member, **_kw) -> None:
    if not has_app_context() or member.id is None:
        return
    profile_ids = select(CrmProfile.id).where(CrmProfile.member_id == member.id).scalar_subquery()
    _erase_copies(member)
    _run(update(AuditEntry).where(AuditEntry.profile_id == profile_ids).values(profile_id=None))
    _run(delete(ProfileTag).where(ProfileTag.profile_id == profile_ids))
    _run(delete(StaffNote).where(StaffNote.profile_id == profile_ids))
    _run(delete(DailyActive).where(DailyActive.member_id == member.id))
    _run(delete(TimelineEvent).where(TimelineEvent.member_id == member.id))
    _run(update(TimelineEvent).where(TimelineEvent.actor_id == member.id).values(actor_id=None))
    _run(update(FeedbackItem).where(FeedbackItem.member_id == member.id).values(member_id=None))
    _run(update(PostSentiment).where(PostSentiment.member_id == member.id).values(member_id=None))
    _run(update(CrmProfile).where(CrmProfile.owner_id == member.id).values(owner_id=None))
    # the brand's own contact stays (it is their record, from their CRM) but no longer points at the account
    _run(update(CrmContact).where(CrmContact.member_id == member.id).values(member_id=None, status=ContactStatus.unlinked, candidates=[], resolved_by_id=None))
    _run(delete(CrmProfile).where(CrmProfile.member_id == member.id))
    for obj in list(db.session.identity_map.values()):  # drop loaded copies of what is gone
        if isinstance(obj, (CrmProfile, ProfileTag, StaffNote, TimelineEvent)) and obj in db.session:
            if getattr(obj, "member_id", None) == member.id or isinstance(obj, (ProfileTag, StaffNote)):
                db.session.expunge(obj)


def _erase_copies(member) -> None:
    """Replace the member's identity wherever staff tools copied it as text: audit, contacts, outbox, attempts."""
    profile = db.session.scalar(select(CrmProfile).where(CrmProfile.member_id == member.id))
    contacts = db.session.scalars(select(CrmContact).where(
        (CrmContact.member_id == member.id) | (CrmContact.match_key == match_key(member.email)))).all()
    extra = [profile.company if profile is not None else ""]
    for contact in contacts:
        extra += [contact.name, contact.company, contact.phone, contact.email]
    identity = Identity.of(member, *extra)
    for contact in contacts:  # the brand's record keeps its own id, nothing that names the person
        contact.email, contact.match_key = "", f"erased:{contact.id}"
        contact.name = contact.company = contact.phone = ""
        contact.data, contact.candidates = {}, []
        contact.member_id, contact.status, contact.resolved_by_id = None, ContactStatus.unlinked, None
    audit = AuditEntry.detail
    mentioned = identity.where_mentioned(audit)
    if profile is not None:
        mentioned = AuditEntry.profile_id == profile.id if mentioned is None else mentioned | (AuditEntry.profile_id == profile.id)
    if mentioned is not None:
        for entry in db.session.scalars(select(AuditEntry).where(mentioned)):
            detail = identity.scrub(entry.detail or {})
            if profile is not None and entry.profile_id == profile.id:
                detail = _without_values(detail)
            if detail != entry.detail:
                entry.detail = detail
    placeholder = f"_deleted{member.id}"
    mentioned = identity.where_mentioned(OutboxEvent.payload)
    if mentioned is not None:
        for event in db.session.scalars(select(OutboxEvent).where(mentioned)):
            payload = identity.scrub(_pseudonymous(event.payload, member.id, placeholder))
            if payload != event.payload:
                event.payload = payload
        for attempt in db.session.scalars(select(WebhookAttempt).where(
                identity.where_mentioned(WebhookAttempt.response_excerpt, WebhookAttempt.error))):
            attempt.response_excerpt = identity.scrub(attempt.response_excerpt)
            attempt.error = identity.scrub(attempt.error)


def _without_values(detail):
    """A change to the member's own profile: which fields changed stays, their before and after go."""
    if not isinstance(detail, dict):
        return detail
    return {key: ({"before": None, "after": None} if isinstance(value, dict) and {"before", "after"} & set(value)
                  else value) for key, value in detail.items()}


def _pseudonymous(value, member_id: int, placeholder: str):
    """A payload with the member's {"id", "username"} references naming the deleted account's placeholder."""
    if isinstance(value, list):
        return [_pseudonymous(item, member_id, placeholder) for item in value]
    if isinstance(value, dict):
        value = {key: _pseudonymous(item, member_id, placeholder) for key, item in value.items()}
        if value.get("id") == member_id and "username" in value:
            value["username"] = placeholder
        return value
    return value


def on_member_updated(member, fields=(), **_kw) -> None:
    """An address verified, changed or gone: the contacts it concerns are linked afresh."""
    if has_app_context() and {"email", "email_verified", "email_verified_at", "deleted"} & set(fields or ()):
        relink_member(member)


def connect() -> None:
    signals.member_deleting.connect(on_member_deleting, weak=False)
    signals.member_updated.connect(on_member_updated, weak=False)
