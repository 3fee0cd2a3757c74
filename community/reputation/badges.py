"""The badge registry (seeded from code) and the rules that grant badges.

Each badge is defined here once: its slug, name, description, icon and level. The `badges` table
holds a row per badge (created the first time it is needed) so that grants can reference it; the
name and description shown to people come from this registry, translated.

Badges are granted by the subscribers in `community.reputation.subscribers`, inside the transaction
that earned them, and never taken back. A grant may carry reputation (REPUTATION_BADGE, by level).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import distinct, func, select

from ..dbtypes import utcnow
from ..extensions import db
from ..forum.models import Post
from ..members.models import Member
from ..notifications.services import notify
from ..signals import badge_granted
from . import services as ledger
from .models import Badge, BadgeGrant, BadgeLevel, ReputationEntry, ReputationReason

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BadgeDef:
    slug: str
    name: object  # a lazy string
    description: object
    icon: str
    level: BadgeLevel
    notify: bool = True  # tell the member with a notification


REGISTRY: dict[str, BadgeDef] = {b.slug: b for b in (
    BadgeDef("welcome", _l("Welcome"), _l("Joined the community."), "👋", BadgeLevel.bronze, notify=False),
    BadgeDef("first-thread", _l("Conversation starter"), _l("Started a first thread."), "🧵", BadgeLevel.bronze),
    BadgeDef("first-post", _l("First reply"), _l("Replied in a thread for the first time."), "✍️", BadgeLevel.bronze),
    BadgeDef("first-accepted", _l("Problem solver"), _l("Wrote a first accepted answer."), "✅", BadgeLevel.bronze),
    BadgeDef("upvoted-10", _l("Appreciated"), _l("Received 10 upvotes."), "👍", BadgeLevel.bronze),
    BadgeDef("upvoted-100", _l("Valued voice"), _l("Received 100 upvotes."), "🌟", BadgeLevel.silver),
    BadgeDef("good-post", _l("Good post"), _l("Wrote a post with a score of 10 or more."), "💡", BadgeLevel.silver),
    BadgeDef("helpful-streak", _l("Helpful streak"), _l("Had answers accepted on 3 days in a row."), "🔥",
             BadgeLevel.silver),
    BadgeDef("great-post", _l("Great post"), _l("Wrote a post with a score of 25 or more."), "🏆", BadgeLevel.gold),
    BadgeDef("expert", _l("Expert"), _l("Wrote 25 accepted answers."), "🎓", BadgeLevel.gold),
)}

UPVOTE_BADGES = (("upvoted-10", 10), ("upvoted-100", 100))
SCORE_BADGES = (("good-post", 10), ("great-post", 25))
STREAK_DAYS = 3
EXPERT_ANSWERS = 25


def definition(slug: str) -> BadgeDef | None:
    return REGISTRY.get(slug)


def badge_row(slug: str) -> Badge:
    """Return the Badge row for a registry slug, creating it (race-safe) the first time."""
    badge = db.session.scalar(select(Badge).where(Badge.slug == slug))
    if badge is not None:
        return badge
    spec = REGISTRY[slug]
    with force_locale("en"):  # the stored name is a fallback for code that has no registry
        values = {"slug": slug, "name": str(spec.name), "description": str(spec.description), "icon": spec.icon,
                  "level": spec.level, "created_at": utcnow()}
    ledger.insert_once(Badge, values, ["slug"])
    return db.session.scalars(select(Badge).where(Badge.slug == slug)).one()


def held_slugs(member_id: int) -> set[str]:
    return set(db.session.scalars(select(Badge.slug).join(BadgeGrant, BadgeGrant.badge_id == Badge.id)
                                  .where(BadgeGrant.member_id == member_id)))


def grant(member_id: int, slug: str, post_id: int | None = None) -> BadgeGrant | None:
    """Give a member a badge unless they hold it; write its reputation, signal and notify. Return the grant."""
    badge = badge_row(slug)
    grant_id = ledger.insert_once(BadgeGrant, {"member_id": member_id, "badge_id": badge.id, "post_id": post_id,
                                               "granted_at": utcnow()}, ["member_id", "badge_id"])
    if grant_id is None:
        return None
    grant = db.session.get(BadgeGrant, grant_id)
    reward = current_app.config["REPUTATION_BADGE"].get(badge.level.value, 0)
    ledger.record(member_id, reward, ReputationReason.badge, badge_id=badge.id, post_id=post_id)
    member = db.session.get(Member, member_id)
    badge_granted.send(member, badge=badge, grant=grant)
    spec = REGISTRY.get(slug)
    if spec is None or spec.notify:
        _notify(member, badge, grant)
    return grant


def _notify(member: Member, badge: Badge, grant: BadgeGrant) -> None:
    # A literal path: url_for needs a request, and badges are also granted from CLI commands.
    notify(member, "badge", data={"badge": badge.slug, "icon": badge.icon, "level": badge.level.value,
                                  "url": f"/badges/{badge.slug}"})


# ---- rules, called by the subscribers --------------------------------------------------------

def on_registered(member: Member) -> None:
    grant(member.id, "welcome")


def on_thread_started(author_id: int | None, post_id: int | None) -> None:
    if author_id is not None and "first-thread" not in held_slugs(author_id):
        grant(author_id, "first-thread", post_id)


def on_replied(author_id: int | None, post_id: int) -> None:
    if author_id is not None and "first-post" not in held_slugs(author_id):
        grant(author_id, "first-post", post_id)


def on_upvoted(post: Post) -> None:
    """Check the upvote-count and post-score badges of the post's author."""
    author_id = post.author_id
    if author_id is None:
        return
    held = held_slugs(author_id)
    wanted_votes = [(slug, n) for slug, n in UPVOTE_BADGES if slug not in held]
    if wanted_votes:
        # Upvotes standing now, one per (voter, post): the pairs whose vote entries net above zero,
        # so voting, retracting and voting again counts once, and a retracted upvote not at all.
        pairs = (select(ReputationEntry.actor_id, ReputationEntry.post_id)
                 .where(ReputationEntry.member_id == author_id, ReputationEntry.reason.in_(ledger.VOTE_REASONS))
                 .group_by(ReputationEntry.actor_id, ReputationEntry.post_id)
                 .having(func.sum(ReputationEntry.delta) > 0).subquery())
        received = db.session.scalar(select(func.count()).select_from(pairs))
        for slug, n in wanted_votes:
            if received >= n:
                grant(author_id, slug, post.id)
    wanted_score = [(slug, n) for slug, n in SCORE_BADGES if slug not in held]
    if wanted_score:
        score = db.session.scalar(select(Post.score).where(Post.id == post.id)) or 0  # fresh: moved in SQL
        for slug, n in wanted_score:
            if score >= n:
                grant(author_id, slug, post.id)


def on_answer_accepted(post: Post) -> None:
    """Check the accepted-answer badges of the answer's author (their credited acceptances count)."""
    author_id = post.author_id
    if author_id is None:
        return
    held = held_slugs(author_id)
    wanted = {"first-accepted", "helpful-streak", "expert"} - held
    if not wanted:
        return
    # The answers credited now (accepted and not undone), with the day each was first accepted.
    rows = db.session.execute(
        select(ReputationEntry.post_id, func.min(ReputationEntry.created_at))
        .where(ReputationEntry.member_id == author_id, ReputationEntry.reason.in_(ledger.ANSWER_REASONS))
        .group_by(ReputationEntry.post_id).having(func.sum(ReputationEntry.delta) > 0).limit(1000)
    ).all()
    if not rows:
        return
    days = {when.date() for _post_id, when in rows if when is not None}
    if "first-accepted" in wanted:
        grant(author_id, "first-accepted", post.id)
    if "helpful-streak" in wanted and longest_run(days) >= STREAK_DAYS:
        grant(author_id, "helpful-streak", post.id)
    if "expert" in wanted and len(rows) >= EXPERT_ANSWERS:
        grant(author_id, "expert", post.id)


def longest_run(days) -> int:
    """Return the length of the longest run of consecutive dates in `days`."""
    best, run, previous = 0, 0, None
    for day in sorted(days):
        run = run + 1 if previous is not None and (day - previous).days == 1 else 1
        best, previous = max(best, run), day
    return best


# ---- reading -------------------------------------------------------------------------------

def holder_counts() -> dict[str, int]:
    """Return how many members hold each badge, by slug (one grouped query)."""
    rows = db.session.execute(select(Badge.slug, func.count(distinct(BadgeGrant.member_id)))
                              .outerjoin(BadgeGrant, BadgeGrant.badge_id == Badge.id).group_by(Badge.slug))
    return {slug: count for slug, count in rows}


def member_badges(member_id: int) -> list[tuple[BadgeDef, BadgeGrant]]:
    """Return the badges a member holds with their grants, best first (one query)."""
    rows = db.session.execute(select(Badge.slug, BadgeGrant).join(BadgeGrant, BadgeGrant.badge_id == Badge.id)
                              .where(BadgeGrant.member_id == member_id).order_by(BadgeGrant.granted_at)).all()
    order = {BadgeLevel.gold: 0, BadgeLevel.silver: 1, BadgeLevel.bronze: 2}
    held = [(REGISTRY[slug], grant) for slug, grant in rows if slug in REGISTRY]
    return sorted(held, key=lambda pair: order[pair[0].level])


def holders(slug: str, page: int = 1, per_page: int = 60):
    """Return (members with grant times, has_next) for a badge, earliest holders first."""
    rows = db.session.execute(
        select(Member, BadgeGrant.granted_at).join(BadgeGrant, BadgeGrant.member_id == Member.id)
        .join(Badge, Badge.id == BadgeGrant.badge_id).where(Badge.slug == slug)
        .order_by(BadgeGrant.granted_at, BadgeGrant.id).limit(per_page + 1).offset((page - 1) * per_page)
    ).all()
    return rows[:per_page], len(rows) > per_page
