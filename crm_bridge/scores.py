"""Engagement, advocacy and risk: 0-100 scores with the reasons a staff member can read.

- **Engagement**: what the member did in the last 90 days, recent activity weighing more (the
  count in each 30-day window is weighted 1, 0.5 and 0.25: a step-wise decay over 90 days).
  Flags raised count like a vote (1 each) and are named in the explanation.
- **Advocacy**: accepted answers (10 each), upvotes received (2 each), replies in other members'
  threads (1 each), flags a moderator upheld (5 each: the member helped keep the community clean),
  over 90 days.
- **Risk**: a negative-sentiment streak among the last five posts, complaints or bug reports left
  unanswered past the response target, and silence after a busy spell.
Each is capped at 100. Lifecycle stage follows from them (services.derive_stage). They are recomputed for
every member an event touches, in the event's own transaction (crm_bridge/freshness.py), and for everyone
daily by the scheduler (`crm.refresh-stages`, crm_bridge/jobs.py), so members drift to dormant unaided.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.sql.elements import BindParameter

from community.dbtypes import utcnow
from community.extensions import db
from community.forum.models import Post, Thread

from .models import CrmProfile, FeedbackItem, FeedbackKind, FeedbackStatus, PostSentiment, TimelineEvent

ENGAGEMENT_WEIGHTS = {"thread_started": 4, "replied": 3, "vote_given": 1, "poll_ballot": 1, "flag_raised": 1,
                      "reward_redeemed": 1}


@dataclass
class Score:
    value: float = 0.0
    reasons: list[str] = field(default_factory=list)


@dataclass
class Scores:
    engagement: Score
    advocacy: Score
    risk: Score


@lru_cache(maxsize=1)
def _windows_statement():
    """Timeline entries per (kind, 30-day window 0/1/2) over 90 days, by member id and the windows' starts
    (built once per process: every reply and vote refreshes its members' scores)."""
    window = case((TimelineEvent.occurred_at >= bindparam("since_30"), 0),
                  (TimelineEvent.occurred_at >= bindparam("since_60"), 1), else_=2)
    return (select(TimelineEvent.kind, window, func.count())
            .where(TimelineEvent.member_id == bindparam("member_id"),
                   TimelineEvent.occurred_at >= bindparam("since_90"))
            .group_by(TimelineEvent.kind, window))


def _windows(member_id: int) -> dict[tuple[str, int], int]:
    """Counts of timeline entries per (kind, 30-day window 0/1/2) over 90 days: one query."""
    now = utcnow()
    rows = db.session.execute(_windows_statement(), {
        "member_id": member_id, "since_30": now - timedelta(days=30), "since_60": now - timedelta(days=60),
        "since_90": now - timedelta(days=90)}).all()
    return {(kind, int(w)): count for kind, w, count in rows}


@lru_cache(maxsize=1)
def _counts_statement():
    """The four other counts, each a scalar subquery, in one statement (built once per process), by member
    id, the 90-day start and the response target's start."""
    member_id = bindparam("member_id")
    return select(_upvotes(member_id), _replies_to_others(member_id), _negative_streak(member_id),
                  _waiting_complaints(member_id))


@lru_cache(maxsize=1)
def _windows_and_counts_statement():
    """`_windows_statement` with the four other counts (`_counts_statement`'s, uncorrelated: computed once) on
    each of its rows: one statement when the member has an entry in the 90 days (built once per process)."""
    return _windows_statement().add_columns(*_counts_statement().selected_columns)


def compute(profile: CrmProfile) -> Scores:
    member_id = profile.member_id
    now = utcnow()
    params = {"member_id": member_id, "since_30": now - timedelta(days=30), "since_60": now - timedelta(days=60),
              **_since()}
    # the windows' counts and the four other counts (each a scalar subquery) in one round trip; a member with no
    # entry in 90 days has no window row to carry the others, which are then asked alone
    rows = db.session.execute(_windows_and_counts_statement(), params).all()
    counts = {(kind, int(w)): count for kind, w, count, *_others in rows}
    others = rows[0][3:] if rows else db.session.execute(_counts_statement(), params).one()
    return _scores(profile, counts, *others)


def _since() -> dict:
    """The bound starts of the four other counts: 90 days ago, and the response target's start."""
    now = utcnow()
    return {"since_90": now - timedelta(days=90),
            "target": now - timedelta(hours=current_app.config.get("CRM_RESPONSE_TARGET_HOURS", 24))}


def compute_many(profiles) -> dict[int, Scores]:
    """`compute` for several profiles in two statements whatever their number; return their scores by member id.

    For a transaction that touched many members (a batch of vote effects, crm_bridge/freshness.py): the
    counts per window grouped by member, and the four other counts per member in one statement of correlated
    scalar subqueries (each the very subquery `compute` asks, so the scores are the same).
    """
    profiles = list(profiles)
    if len(profiles) < 2:
        return {profile.member_id: compute(profile) for profile in profiles}
    ids = sorted({profile.member_id for profile in profiles})
    now = utcnow()
    window = case((TimelineEvent.occurred_at >= now - timedelta(days=30), 0),
                  (TimelineEvent.occurred_at >= now - timedelta(days=60), 1), else_=2)
    counts: dict[int, dict[tuple[str, int], int]] = {member_id: {} for member_id in ids}
    for member_id, kind, w, count in db.session.execute(
            select(TimelineEvent.member_id, TimelineEvent.kind, window, func.count())
            .where(TimelineEvent.member_id.in_(ids), TimelineEvent.occurred_at >= now - timedelta(days=90))
            .group_by(TimelineEvent.member_id, TimelineEvent.kind, window)):
        counts[member_id][(kind, int(w))] = count
    member = CrmProfile.member_id  # one row per member: the profiles' own table carries the ids
    others = {row[0]: row[1:] for row in db.session.execute(
        select(member, _upvotes(member), _replies_to_others(member), _negative_streak(member),
               _waiting_complaints(member)).where(member.in_(ids)), _since())}
    return {profile.member_id: _scores(profile, counts[profile.member_id], *others[profile.member_id])
            if profile.member_id in others else compute(profile) for profile in profiles}


def _scores(profile: CrmProfile, counts: dict, upvotes: int, helping: int, negative: int, waiting: int) -> Scores:
    total = lambda kind: sum(counts.get((kind, w), 0) for w in range(3))  # noqa: E731

    engagement = Score()
    raw = sum(ENGAGEMENT_WEIGHTS.get(kind, 0) * n * (1, 0.5, 0.25)[w] for (kind, w), n in counts.items())
    engagement.value = round(min(100.0, raw * 2), 1)
    posts_recent = counts.get(("thread_started", 0), 0) + counts.get(("replied", 0), 0)
    posts_all = total("thread_started") + total("replied")
    engagement.reasons.append(_("%(recent)d posts in the last 30 days, %(all)d in 90 days (recent ones count more).",
                                recent=posts_recent, all=posts_all))
    if total("vote_given") or total("poll_ballot"):
        engagement.reasons.append(_("%(votes)d votes and %(ballots)d poll ballots in 90 days.",
                                    votes=total("vote_given"), ballots=total("poll_ballot")))
    if total("flag_raised"):
        engagement.reasons.append(_("%(flags)d posts flagged for the moderators in 90 days.",
                                    flags=total("flag_raised")))

    advocacy = Score()
    accepted = total("answer_accepted")
    upheld = total("flag_upheld")
    advocacy.value = round(min(100.0, accepted * 10 + upvotes * 2 + helping + upheld * 5), 1)
    advocacy.reasons.append(_("%(accepted)d accepted answers, %(votes)d upvotes received, %(replies)d replies "
                              "helping others in 90 days.", accepted=accepted, votes=upvotes, replies=helping))
    if upheld:
        advocacy.reasons.append(_("%(flags)d of their flags upheld by the moderators in 90 days.", flags=upheld))

    risk = Score()
    if negative >= 2:
        risk.value += 20 * negative
        risk.reasons.append(_("%(count)d of their last five posts read negative.", count=negative))
    if waiting:
        risk.value += 30 * waiting
        risk.reasons.append(_("%(count)d complaints or bug reports unanswered past the %(hours)d-hour target.",
                              count=waiting, hours=current_app.config.get("CRM_RESPONSE_TARGET_HOURS", 24)))
    last = profile.last_active_at
    if last and profile.event_count >= 10 and utcnow() - last > timedelta(days=30):
        risk.value += 30
        risk.reasons.append(_("Silent for %(days)d days after %(count)d recorded events.",
                              days=(utcnow() - last).days, count=profile.event_count))
    risk.value = round(min(100.0, risk.value), 1)
    if not risk.reasons:
        risk.reasons.append(_("Nothing worrying: no negative streak, no waiting complaint, no sudden silence."))
    return Scores(engagement, advocacy, risk)


# Each count below is a scalar subquery; compute() asks them together in one statement, with `since_90` (90 days
# ago) and `target` (the response target's start) bound. `member_id` is a bound parameter (compute, built once),
# or a column of the enclosing query (compute_many), to which the subquery is then correlated.

def _upvotes(member_id):
    """Upvotes received in 90 days."""
    return select(func.count()).where(
        TimelineEvent.member_id == member_id, TimelineEvent.kind == "vote_received",
        TimelineEvent.occurred_at >= bindparam("since_90"),
        TimelineEvent.data["value"].as_integer() > 0).scalar_subquery()


def _replies_to_others(member_id):
    """Replies in other members' threads in 90 days."""
    return select(func.count()).select_from(Post).join(Thread, Thread.id == Post.thread_id).where(
        Post.author_id == member_id, Post.number > 1, Thread.author_id != member_id, Post.deleted_at.is_(None),
        Post.created_at >= bindparam("since_90")).scalar_subquery()


def _negative_streak(member_id):
    """How many of the member's last five scored posts read negative."""
    last = select(PostSentiment.label).where(PostSentiment.member_id == member_id) \
        .order_by(PostSentiment.created_at.desc()).limit(5)
    if not isinstance(member_id, int | BindParameter):  # the profiles' column (compute_many): correlated
        last = last.correlate(CrmProfile)
    last = last.subquery()
    return select(func.count()).select_from(last).where(last.c.label == "negative").scalar_subquery()


def _waiting_complaints(member_id):
    """Open complaints and bug reports past the response target."""
    target = bindparam("target")
    return select(func.count()).select_from(FeedbackItem).where(
        FeedbackItem.member_id == member_id, FeedbackItem.kind.in_((FeedbackKind.complaint, FeedbackKind.bug)),
        FeedbackItem.status == FeedbackStatus.open, FeedbackItem.created_at < target).scalar_subquery()
