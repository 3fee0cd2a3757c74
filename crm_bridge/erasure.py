"""A member deleted their account: erase what the CRM keeps about them, in the same transaction.

The profile, its tags and staff notes and the member's timeline go. Feedback items and per-post
sentiment stay as anonymous statistics of threads and posts that stay too (their member link is
cleared). The audit log keeps its lines (who on the staff looked at what, when) with the profile
link cleared, so that staff access stays accountable without pointing at a person.
"""
from __future__ import annotations

from flask import has_app_context
from sqlalchemy import delete, select, update

from community import signals
from community.extensions import db

from .models import AuditEntry, ContactStatus, CrmContact, CrmProfile, DailyActive, FeedbackItem, PostSentiment, ProfileTag, StaffNote, TimelineEvent


def _run(statement) -> None:
    db.session.execute(statement, execution_options={"synchronize_session": False})


def on_member_deleting(member, **_kw) -> None:
    if not has_app_context() or member.id is None:
        return
    profile_ids = select(CrmProfile.id).where(CrmProfile.member_id == member.id).scalar_subquery()
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


def on_member_updated(member, fields=(), **_kw) -> None:
    """An address verified, changed or gone: the contacts it concerns are linked afresh."""
    if has_app_context() and {"email", "email_verified", "email_verified_at", "deleted"} & set(fields or ()):
        from .contacts import relink_member

        relink_member(member)


def connect() -> None:
    signals.member_deleting.connect(on_member_deleting, weak=False)
    signals.member_updated.connect(on_member_updated, weak=False)
