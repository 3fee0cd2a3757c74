"""Scores and stages kept current without a cron line.

Every timeline entry notes its member (`timeline.touch`); just before the transaction of the event
commits, this module recomputes those members' scores and lifecycle stage, so the change commits with
the event (or not at all). Members nobody touches (who go dormant by silence) are recomputed by the
daily scheduler job `crm.refresh-stages` (crm_bridge/jobs.py).
"""
from __future__ import annotations

from flask import has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session, lazyload

from community.members.models import Member

from .models import CrmProfile
from .services import ensure_profile, refresh_stage
from .timeline import TOUCHED


def _refresh_touched(session: Session) -> None:
    touched = session.info.pop(TOUCHED, None)
    if not touched or not has_app_context():
        return
    for member_id in sorted(touched):
        member = session.get(Member, member_id)  # the event's own members are in the session already
        if member is None or member.deleted_at is not None:
            continue
        # the profile without its tags (the scores and stage never read them; loaded if anything else does)
        profile = session.scalar(select(CrmProfile).options(lazyload(CrmProfile.tags))
                                 .where(CrmProfile.member_id == member.id))
        refresh_stage(profile if profile is not None else ensure_profile(member))
    session.info.pop(TOUCHED, None)  # what the refresh itself touched needs no second pass


def _forget(session: Session, *_args) -> None:
    session.info.pop(TOUCHED, None)


def connect() -> None:
    """Listen to every session's commit (the bridge's scores follow the community's transactions)."""
    if not event.contains(Session, "before_commit", _refresh_touched):
        event.listen(Session, "before_commit", _refresh_touched)
        event.listen(Session, "after_soft_rollback", _forget)
