"""Badges: the built-in registry (seeded from code), admins' custom badges, and the rules that grant both.

Built-in badges are defined here once: slug, name, description, icon and level, with rules written in code
(some are more than a threshold: the helpful streak, upvotes that still stand). The `badges` table holds a
row per badge (created the first time it is needed) so that grants can reference it.

Custom badges are rows an admin defines (/admin/gamification/badges): a name and description in English
and optionally Simplified Chinese, an icon from `ICONS`, a level, and a rule from `RULES` with a threshold
(`posts_count >= 50`, ...). They are granted on the same path as the built-in ones: each event the
subscribers see asks `evaluate(member_id, event)` to check the enabled custom badges whose rule that
event can change. An admin may disable any badge (nobody new earns it, holders keep it) and delete a
custom badge nobody holds.

Badges are granted inside the transaction that earned them and never taken back. A grant may carry
reputation (the `reputation.points.badge_<level>` settings).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from flask import g, has_app_context, has_request_context
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, distinct, exists, func, or_, select

from ..dbtypes import utcnow
from ..extensions import db
from ..forum.models import IdeaStatus, Post, Thread
from ..members import counters
from ..members.models import Member
from ..notifications.services import notify
from ..signals import badge_granted
from . import services as ledger
from .models import Badge, BadgeGrant, BadgeLevel, ReputationEntry, ReputationReason

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BadgeDef:
    slug: str
    name: object  # a lazy string (built-in) or the reader's language's text (custom)
    description: object
    icon: str
    level: BadgeLevel
    notify: bool = True  # tell the member with a notification
    custom: bool = False
    enabled: bool = True


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


# The icons an admin may give a custom badge (the built-in ones among them): emoji, so no upload and no
# image file; the browser draws them.
ICONS = ("🏅", "🎖️", "🏆", "🥇", "🥈", "🥉", "⭐", "🌟", "✨", "💡", "🔥", "🚀", "🎯", "🎓", "📚", "✍️",
         "🧵", "💬", "👍", "❤️", "✅", "🛠️", "🐛", "🧭", "🌱", "🌳", "💎", "👑", "🤝", "👋", "🎉", "📣")


@dataclass(frozen=True)
class Rule:
    """A kind of rule a custom badge may use: what it measures, its label, and the events that can change it."""

    kind: str
    label: object  # lazy; shown in the admin form
    describe: object  # lazy, with %(n)d: the default description of a badge using it
    events: frozenset
    low: int = 1
    high: int = 1_000_000


RULES: dict[str, Rule] = {r.kind: r for r in (
    Rule("posts_count", _l("Posts written (threads and replies), at least"), _l("Wrote %(n)d posts."),
         frozenset({"post"})),
    Rule("threads_count", _l("Threads started, at least"), _l("Started %(n)d threads."), frozenset({"post"})),
    Rule("upvotes_received", _l("Upvotes received, at least"), _l("Received %(n)d upvotes."),
         frozenset({"vote"})),
    Rule("post_score", _l("One post with a score of at least"), _l("Wrote a post with a score of %(n)d or more."),
         frozenset({"vote"})),
    Rule("accepted_answers", _l("Accepted answers, at least"), _l("Wrote %(n)d accepted answers."),
         frozenset({"answer"})),
    Rule("answer_streak_days", _l("Days in a row with an accepted answer, at least"),
         _l("Had answers accepted on %(n)d days in a row."), frozenset({"answer"}), high=365),
    Rule("reputation", _l("Reputation, at least"), _l("Reached %(n)d reputation."), frozenset({"reputation"})),
    Rule("days_member", _l("Days since joining, at least (checked when the member posts)"),
         _l("A member for %(n)d days."), frozenset({"post"}), high=36_500),
    Rule("ideas_shipped", _l("Own ideas shipped, at least"), _l("Had %(n)d ideas shipped."),
         frozenset({"idea"})),
)}


def rule_text(kind: str, threshold: int | None) -> str:
    """Return the default description of a rule with its threshold, translated."""
    rule = RULES.get(kind)
    return str(rule.describe) % {"n": threshold or 0} if rule else ""


def _reader_is_chinese() -> bool:
    if not has_request_context():
        return False
    locale = get_locale()
    return locale is not None and locale.language == "zh"


def custom_definition(badge) -> BadgeDef:
    """Return the BadgeDef of a custom badge row, in the reader's language (Chinese when set and chosen)."""
    chinese = _reader_is_chinese()
    name = badge.name_zh if chinese and badge.name_zh else badge.name
    description = badge.description_zh if chinese and badge.description_zh else badge.description
    return BadgeDef(badge.slug, name, description or rule_text(badge.rule, badge.threshold), badge.icon,
                    badge.level, custom=True, enabled=badge.enabled)


def _stored_rows() -> dict[str, Badge]:
    """The rows that change what the registry says: custom badges and disabled built-ins (one query per request)."""
    cached = g.get("badge_rows") if has_app_context() else None
    if cached is None:
        cached = {badge.slug: badge for badge in db.session.scalars(
            select(Badge).where(or_(Badge.rule.is_not(None), Badge.enabled.is_(False))).order_by(Badge.id))}
        if has_app_context():
            g.badge_rows = cached
    return cached


def forget_cached_rows() -> None:
    """Drop this request's copy of the badge rows (after an admin changed one)."""
    if has_app_context():
        g.pop("badge_rows", None)


def definition(slug: str) -> BadgeDef | None:
    """Return the badge called `slug` (built-in or custom, enabled or not), or None."""
    spec = REGISTRY.get(slug)
    if spec is not None:
        return spec
    row = _stored_rows().get(slug) if slug else None
    return custom_definition(row) if row is not None and row.rule is not None else None


def catalog_with_counts() -> list[tuple[BadgeDef, int]]:
    """Return the enabled badges (built-in first, then custom) with how many members hold each (one query)."""
    rows = db.session.execute(
        select(Badge, func.count(distinct(BadgeGrant.member_id))).outerjoin(BadgeGrant, BadgeGrant.badge_id == Badge.id)
        .group_by(Badge.id).order_by(Badge.id)).all()
    stored = {badge.slug: (badge, count) for badge, count in rows}
    found = [(spec, stored[spec.slug][1] if spec.slug in stored else 0) for spec in REGISTRY.values()
             if spec.slug not in stored or stored[spec.slug][0].enabled]
    order = {BadgeLevel.bronze: 0, BadgeLevel.silver: 1, BadgeLevel.gold: 2}
    custom = sorted(((custom_definition(badge), count) for badge, count in stored.values()
                     if badge.rule is not None and badge.enabled), key=lambda pair: order[pair[0].level])
    return found + custom


def badge_row(slug: str) -> Badge:
    """Return the Badge row for a slug, creating a registry badge's row (race-safe) the first time."""
    badge = db.session.scalar(select(Badge).where(Badge.slug == slug))
    if badge is not None:
        return badge
    spec = REGISTRY[slug]
    with force_locale("en"):  # the stored name is a fallback for code that has no registry
        values = {"slug": slug, "name": str(spec.name), "description": str(spec.description), "icon": spec.icon,
                  "level": spec.level, "created_at": utcnow()}
    ledger.insert_once(Badge, values, ["slug"])
    return db.session.scalars(select(Badge).where(Badge.slug == slug)).one()


HELD = "community.held_badges"  # session.info, set by a batch (the vote effects drain): held slugs per member


def held_slugs(member_id: int) -> set[str]:
    """The slugs of the member's badges; within a batch that opened `HELD`, read once per member (the batch's
    own grants are added as they are made)."""
    held = db.session().info.get(HELD)
    if held is not None and member_id in held:
        return set(held[member_id])
    found = set(db.session.scalars(select(Badge.slug).join(BadgeGrant, BadgeGrant.badge_id == Badge.id)
                                   .where(BadgeGrant.member_id == member_id)))
    if held is not None:
        held[member_id] = set(found)
    return found


@lru_cache(maxsize=1)
def _held_and_rows_statement():
    """Every badge with a rule or disabled, and every one `member_id` holds, each with whether they hold it (built
    once per process: every new post asks)."""
    held = exists().where(BadgeGrant.badge_id == Badge.id, BadgeGrant.member_id == bindparam("member_id"))
    return (select(Badge, held.label("held")).where(or_(Badge.rule.is_not(None), Badge.enabled.is_(False), held))
            .order_by(Badge.id))


def _held_slugs_and_rows(member_id: int) -> set[str]:
    """`held_slugs(member_id)`, reading this request's copy of the stored rows (`_stored_rows`) in the same
    statement when it has none yet (a new post asks both: one statement, not two)."""
    if db.session().info.get(HELD) is not None or not has_app_context() or g.get("badge_rows") is not None:
        return held_slugs(member_id)
    rows = db.session.execute(_held_and_rows_statement(), {"member_id": member_id}).all()
    g.badge_rows = {badge.slug: badge for badge, _held in rows if badge.rule is not None or not badge.enabled}
    return {badge.slug for badge, is_held in rows if is_held}


def grant(member_id: int, slug: str, post_id: int | None = None) -> BadgeGrant | None:
    """Give a member a badge unless they hold it or it is disabled; write its reputation, signal and notify."""
    return grant_badge(member_id, badge_row(slug), post_id)


def grant_badge(member_id: int, badge: Badge, post_id: int | None = None) -> BadgeGrant | None:
    """Give a member this badge row unless they hold it or it is disabled. Return the new grant, or None."""
    if not badge.enabled:
        return None
    slug = badge.slug
    grant_id = ledger.insert_once(BadgeGrant, {"member_id": member_id, "badge_id": badge.id, "post_id": post_id,
                                               "granted_at": utcnow()}, ["member_id", "badge_id"])
    held = db.session().info.get(HELD)
    if held is not None and member_id in held:
        held[member_id].add(slug)  # granted now, or held already (the insert met the unique constraint)
    if grant_id is None:
        return None
    grant = db.session.get(BadgeGrant, grant_id)
    reward = ledger.badge_points(badge.level.value)
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
    if author_id is not None and "first-thread" not in _held_slugs_and_rows(author_id):
        grant(author_id, "first-thread", post_id)
    if author_id is not None:
        evaluate(author_id, "post", post_id)


def on_replied(author_id: int | None, post_id: int) -> None:
    if author_id is not None and "first-post" not in _held_slugs_and_rows(author_id):
        grant(author_id, "first-post", post_id)
    if author_id is not None:
        evaluate(author_id, "post", post_id)


def on_reputation_gained(member_id: int) -> None:
    evaluate(member_id, "reputation")


def on_idea_shipped(author_id: int | None, thread_id: int) -> None:
    if author_id is not None:
        evaluate(author_id, "idea")


# ---- custom badges: measures and evaluation ---------------------------------------------------

def _member_column(column):
    def measure(member_id: int, _post_id) -> int:
        counters.flush()  # a vote effects batch writes reputation once per member: read it written
        return int(db.session.scalar(select(column).where(Member.id == member_id)) or 0)
    return measure


def _post_score(_member_id: int, post_id: int | None) -> int:
    if post_id is None:
        return 0
    return int(db.session.scalar(select(Post.score).where(Post.id == post_id)) or 0)  # fresh: moved in SQL


def _days_member(member_id: int, _post_id) -> int:
    joined = db.session.scalar(select(Member.created_at).where(Member.id == member_id))
    return (utcnow() - joined).days if joined is not None else 0


def _streak(member_id: int, _post_id) -> int:
    return longest_run({when.date() for _post, when in credited_answers(member_id) if when is not None})


def _ideas_shipped(member_id: int, _post_id) -> int:
    return int(db.session.scalar(select(func.count()).select_from(Thread).where(
        Thread.author_id == member_id, Thread.idea_status == IdeaStatus.shipped, Thread.deleted_at.is_(None))) or 0)


MEASURES: dict[str, Callable[[int, int | None], int]] = {
    "posts_count": _member_column(Member.post_count),
    "threads_count": _member_column(Member.thread_count),
    "upvotes_received": lambda member_id, _post_id: standing_upvotes(member_id),
    "post_score": _post_score,
    "accepted_answers": lambda member_id, _post_id: len(credited_answers(member_id)),
    "answer_streak_days": _streak,
    "reputation": _member_column(Member.reputation),
    "days_member": _days_member,
    "ideas_shipped": _ideas_shipped,
}


def evaluate(member_id: int, event: str, post_id: int | None = None) -> list[BadgeGrant]:
    """Grant the enabled custom badges whose rule `event` can change and whose threshold the member reaches.

    One query when no such badge waits for this member; each measure is computed once.
    """
    kinds = [kind for kind, rule in RULES.items() if event in rule.events]
    if not any(badge.rule in kinds and badge.enabled for badge in _stored_rows().values()):
        return []  # no enabled custom badge counts this event (the request's copy of the rows says so)
    waiting = db.session.scalars(select(Badge).where(
        Badge.rule.in_(kinds), Badge.enabled.is_(True),
        ~exists().where(BadgeGrant.badge_id == Badge.id, BadgeGrant.member_id == member_id)
    ).order_by(Badge.id)).all()
    measured: dict[str, int] = {}
    granted = []
    for badge in waiting:
        if badge.rule not in measured:
            measured[badge.rule] = MEASURES[badge.rule](member_id, post_id)
        if badge.threshold is not None and measured[badge.rule] >= badge.threshold:
            found = grant_badge(member_id, badge, post_id)
            if found is not None:
                granted.append(found)
    return granted


def on_upvoted(post: Post) -> None:
    """Check the upvote-count and post-score badges of the post's author."""
    author_id = post.author_id
    if author_id is None:
        return
    held = held_slugs(author_id)
    wanted_votes = [(slug, n) for slug, n in UPVOTE_BADGES if slug not in held]
    if wanted_votes:
        received = standing_upvotes(author_id)
        for slug, n in wanted_votes:
            if received >= n:
                grant(author_id, slug, post.id)
    wanted_score = [(slug, n) for slug, n in SCORE_BADGES if slug not in held]
    if wanted_score:
        # Called by the vote effects drain, which loaded the post after the votes it applies had committed
        # (scores move in SQL, never in the drain): the loaded score is fresh.
        score = post.score or 0
        for slug, n in wanted_score:
            if score >= n:
                grant(author_id, slug, post.id)
    evaluate(author_id, "vote", post.id)


def standing_upvotes(member_id: int) -> int:
    """Upvotes standing now, one per (voter, post): the pairs whose vote entries net above zero,
    so voting, retracting and voting again counts once, and a retracted upvote not at all.

    Within a vote effects batch counted once per author and then kept (reputation.services.PAIRS)."""
    known = ledger.standing_upvotes_known(member_id)
    if known is not None:
        return known
    # a vote effects batch's entries so far count: those not written yet by the tracked pairs' nets, or written now
    unwritten = ledger.unwritten_standing_change(member_id)
    if unwritten is None:
        ledger.flush_entries()
        unwritten = 0
    pairs = (select(ReputationEntry.actor_id, ReputationEntry.post_id)
             .where(ReputationEntry.member_id == member_id, ReputationEntry.reason.in_(ledger.VOTE_REASONS))
             .group_by(ReputationEntry.actor_id, ReputationEntry.post_id)
             .having(func.sum(ReputationEntry.delta) > 0).subquery())
    count = int(db.session.scalar(select(func.count()).select_from(pairs)) or 0) + unwritten
    ledger.note_standing_upvotes(member_id, count)
    return count


def credited_answers(member_id: int) -> list[tuple[int, datetime | None]]:
    """The answers credited now (accepted and not undone), with the time each was first accepted."""
    ledger.flush_entries()
    return db.session.execute(
        select(ReputationEntry.post_id, func.min(ReputationEntry.created_at))
        .where(ReputationEntry.member_id == member_id, ReputationEntry.reason.in_(ledger.ANSWER_REASONS))
        .group_by(ReputationEntry.post_id).having(func.sum(ReputationEntry.delta) > 0).limit(1000)
    ).all()


def on_answer_accepted(post: Post) -> None:
    """Check the accepted-answer badges of the answer's author (their credited acceptances count)."""
    author_id = post.author_id
    if author_id is None:
        return
    evaluate(author_id, "answer", post.id)
    held = held_slugs(author_id)
    wanted = {"first-accepted", "helpful-streak", "expert"} - held
    if not wanted:
        return
    rows = credited_answers(author_id)
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
    rows = db.session.execute(select(Badge, BadgeGrant).join(BadgeGrant, BadgeGrant.badge_id == Badge.id)
                              .where(BadgeGrant.member_id == member_id).order_by(BadgeGrant.granted_at)).all()
    order = {BadgeLevel.gold: 0, BadgeLevel.silver: 1, BadgeLevel.bronze: 2}
    held = [(REGISTRY[badge.slug] if badge.slug in REGISTRY else custom_definition(badge), grant)
            for badge, grant in rows if badge.slug in REGISTRY or badge.rule is not None]
    return sorted(held, key=lambda pair: order[pair[0].level])


def holders(slug: str, page: int = 1, per_page: int = 60):
    """Return (members with grant times, has_next) for a badge, earliest holders first."""
    rows = db.session.execute(
        select(Member, BadgeGrant.granted_at).join(BadgeGrant, BadgeGrant.member_id == Member.id)
        .join(Badge, Badge.id == BadgeGrant.badge_id).where(Badge.slug == slug)
        .order_by(BadgeGrant.granted_at, BadgeGrant.id).limit(per_page + 1).offset((page - 1) * per_page)
    ).all()
    return rows[:per_page], len(rows) > per_page
