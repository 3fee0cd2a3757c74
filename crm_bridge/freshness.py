"""Scores and stages kept current without a cron line.

Every timeline entry notes its member (`timeline.touch`); just before the transaction of the event
commits, this module recomputes those members' scores and lifecycle stage, so the change commits with
the event (or not at all). Members nobody touches (who go dormant by silence) are recomputed by the
daily scheduler job `crm.refresh-stages` (crm_bridge/jobs.py).
"""
from __future__ import annotations

from functools import lru_cache

from flask import has_app_context
from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session, defer, lazyload
from sqlalchemy.orm.util import identity_key

from community.members.models import Member

from .models import CrmProfile
from .scores import compute_many
from .services import ensure_profile, refresh_stage
from .timeline import TOUCHED, VOTE_COUNTS, count_vote_entries


@lru_cache(maxsize=1)
def _profiles_statement():
    """The profiles of the member ids `ids`, without their tags, their member (the session holds the touched
    members: no wide members row joined in on every reply) or their encrypted shipping fields (nothing to
    decrypt: the scores and stage read none of them); built once per process, every commit that touched a
    member runs it."""
    return (select(CrmProfile).options(lazyload(CrmProfile.tags), lazyload(CrmProfile.member),
                                       defer(CrmProfile.shipping_name), defer(CrmProfile.shipping_address),
                                       defer(CrmProfile.shipping_phone))
            .where(CrmProfile.member_id.in_(bindparam("ids", expanding=True))))


def _refresh_touched(session: Session) -> None:
    if has_app_context():
        count_vote_entries(session)  # a vote effects batch's entries, counted before the profiles are read
    touched = session.info.pop(TOUCHED, None)
    if not touched or not has_app_context():
        return
    # the event's own members are in the session already (no statement); the rest in one query (a vote
    # effects batch touches many members)
    found = {member_id: session.identity_map.get(identity_key(Member, member_id)) for member_id in touched}
    if missing := [member_id for member_id, member in found.items() if member is None]:
        found.update({member.id: member for member in session.scalars(select(Member).where(Member.id.in_(missing)))})
    members = [found[member_id] for member_id in sorted(touched)
               if found.get(member_id) is not None and found[member_id].deleted_at is None]
    # every profile in one query, without its tags (the scores and stage never read them); ensure_profile
    # makes a missing one
    profiles = {profile.member_id: profile for profile in session.scalars(
        _profiles_statement(), {"ids": [member.id for member in members]})} if members else {}
    profiles = [profiles.get(member.id) or ensure_profile(member) for member in members]
    scores = compute_many(profiles)  # two statements for all of them (a batch touches many)
    for profile in profiles:
        refresh_stage(profile, scores[profile.member_id])
    session.info.pop(TOUCHED, None)  # what the refresh itself touched needs no second pass


def _forget(session: Session, previous_transaction=None, *_args) -> None:
    session.info.pop(TOUCHED, None)
    if previous_transaction is None or previous_transaction.parent is None:
        # the whole transaction: the vote entries it would have counted are gone with it (a savepoint's
        # rollback, as the demo's refused redemption, leaves the votes before it in place)
        session.info.pop(VOTE_COUNTS, None)


def connect() -> None:
    """Listen to every session's commit (the bridge's scores follow the community's transactions)."""
    if not event.contains(Session, "before_commit", _refresh_touched):
        event.listen(Session, "before_commit", _refresh_touched)
        event.listen(Session, "after_soft_rollback", _forget)
