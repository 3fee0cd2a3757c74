"""The community dashboard for staff: a handful of aggregate queries, each one statement, none per row.

Days are bucketed in SQL (``date()`` on SQLite, a cast to DATE on PostgreSQL) so the cost follows the
number of days shown, not the number of posts (bench/crm.py measures it over 100 000 posts).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, func, select

from community.dbtypes import utcnow
from community.extensions import db
from community.forum.models import Board, BoardKind, IdeaStatus, Post, Thread
from community.members.models import Member

from . import moods
from .conversations import response_times as private_response_times
from .feedback import response_times
from .models import CrmProfile, DailyActive, FeedbackItem, FeedbackKind, FeedbackStatus, TimelineEvent
from .rollups import ACTIVE_KINDS, daily_series, day_bucket, day_of  # noqa: F401  (ACTIVE_KINDS: what counts as active)


def posts_per_day(days: int = 30) -> list[tuple[date, int]]:
    since = utcnow() - timedelta(days=days)
    day = day_bucket(Post.created_at)
    rows = db.session.execute(select(day, func.count()).where(Post.created_at >= since, Post.deleted_at.is_(None))
                              .group_by(day))
    return daily_series(rows, days)


def active_members_per_day(days: int = 30) -> list[tuple[date, int]]:
    """Members active each day, from the daily rollup (crm_bridge/rollups.py)."""
    since = day_of(utcnow() - timedelta(days=days - 1))
    rows = db.session.execute(select(DailyActive.day, func.count()).where(DailyActive.day >= since)
                              .group_by(DailyActive.day))
    return daily_series(rows, days)


def idea_pipeline() -> list[tuple[IdeaStatus, int]]:
    """How many ideas stand at each public status (an idea without one is open)."""
    counts: dict[IdeaStatus, int] = {}
    for status, count in db.session.execute(
            select(Thread.idea_status, func.count()).join(Thread.board)
            .where(Board.kind == BoardKind.idea, Thread.deleted_at.is_(None)).group_by(Thread.idea_status)):
        key = IdeaStatus(getattr(status, "value", status)) if status is not None else IdeaStatus.open
        counts[key] = counts.get(key, 0) + count
    return [(status, counts.get(status, 0)) for status in IdeaStatus]


def top_advocates(limit: int = 10, days: int = 90) -> list[tuple[Member, int, int]]:
    """Members whose help was recognised most: accepted answers count five, upvotes received one."""
    since = utcnow() - timedelta(days=days)
    accepted = func.sum(case((TimelineEvent.kind == "answer_accepted", 1), else_=0))
    upvotes = func.sum(case((TimelineEvent.kind == "vote_received", 1), else_=0))
    score = accepted * 5 + upvotes
    rows = db.session.execute(
        select(TimelineEvent.member_id, accepted, upvotes)
        .where(TimelineEvent.occurred_at >= since, TimelineEvent.kind.in_(("answer_accepted", "vote_received")),
               (TimelineEvent.kind != "vote_received") | (TimelineEvent.data["value"].as_integer() > 0))
        .group_by(TimelineEvent.member_id).order_by(score.desc()).limit(limit)).all()
    members = {m.id: m for m in db.session.scalars(select(Member).where(Member.id.in_([r[0] for r in rows])))}
    return [(members[r[0]], int(r[1] or 0), int(r[2] or 0)) for r in rows if r[0] in members]


@dataclass
class AtRisk:
    member: Member
    reason: str
    detail: int


def members_at_risk(limit: int = 10) -> list[AtRisk]:
    """Members with a complaint or bug unanswered past the target, then once-active members gone quiet."""
    now = utcnow()
    target = now - timedelta(hours=current_app.config.get("CRM_RESPONSE_TARGET_HOURS", 24))
    waiting = db.session.execute(
        select(FeedbackItem.member_id, func.count()).where(
            FeedbackItem.kind.in_((FeedbackKind.complaint, FeedbackKind.bug)),
            FeedbackItem.status == FeedbackStatus.open, FeedbackItem.created_at < target,
            FeedbackItem.member_id.is_not(None))
        .group_by(FeedbackItem.member_id).order_by(func.count().desc()).limit(limit)).all()
    quiet = db.session.execute(
        select(CrmProfile.member_id, CrmProfile.event_count).where(
            CrmProfile.last_active_at < now - timedelta(days=30), CrmProfile.event_count >= 10)
        .order_by(CrmProfile.event_count.desc()).limit(limit)).all()
    ids = [r[0] for r in waiting] + [r[0] for r in quiet]
    members = {m.id: m for m in db.session.scalars(select(Member).where(Member.id.in_(ids)))}
    found, seen = [], set()
    for member_id, count in waiting:
        if member_id in members:
            seen.add(member_id)
            found.append(AtRisk(members[member_id], _("%(count)d complaints or bug reports unanswered past the target",
                                                      count=count), count))
    for member_id, events in quiet:
        if member_id in members and member_id not in seen:
            found.append(AtRisk(members[member_id], _("Quiet for 30 days after %(count)d recorded events",
                                                      count=events), events))
    return found[:limit]


def build(days: int = 30) -> dict:
    posts, negative_share, boards = moods.posts_mood_and_boards(days)
    return {"posts": posts, "active": active_members_per_day(days), "ideas": idea_pipeline(),
            "negative_share": negative_share, "boards": boards,
            "advocates": top_advocates(), "at_risk": members_at_risk(), "response": response_times(days),
            "private_response": private_response_times(days), "days": days}
