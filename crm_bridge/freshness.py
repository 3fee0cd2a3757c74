"""Scores and stages kept current without a cron line.

Every timeline entry notes its member (`timeline.touch`); just before the transaction of the event
commits, this module recomputes those members' scores and lifecycle stage, so the change commits with
the event (or not at all). Members nobody touches (who go dormant by silence) are recomputed by the
daily scheduler job `crm.refresh-stages` (crm_bridge/jobs.py).
"""
from __future__ import annotations

from flask import has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from community.members.models import Member

from .models import CrmProfile
from .services import ensure_profile, refresh_stage
from .timeline import TOUCHED


def _refresh_touched(session: Session) -> None:
    touched = session.info.pop(TOUCHED, None)
    if not touched or not has_app_context():
        return
    members = session.scalars(select(Member).where(Member.id.in_(touched), Member.deleted_at.is_(None))).all()
    # every profile in one query (a vote effects batch touches many members); ensure_profile makes a missing one
    profiles = {profile.member_id: profile for profile in
                session.scalars(select(CrmProfile).where(CrmProfile.member_id.in_([m.id for m in members])))}
    for member in members:
        refresh_stage(profiles.get(member.id) or ensure_profile(member))
    session.info.pop(TOUCHED, None)  # what the refresh itself touched needs no second pass


def _forget(session: Session, *_args) -> None:
    session.info.pop(TOUCHED, None)


def connect() -> None:
    """Listen to every session's commit (the bridge's scores follow the community's transactions)."""
    if not event.contains(Session, "before_commit", _refresh_touched):
        event.listen(Session, "before_commit", _refresh_touched)
        event.listen(Session, "after_soft_rollback", _forget)
