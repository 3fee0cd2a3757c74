"""Signal subscribers: every community event about a member lands on their CRM timeline.

Subscribers only add rows to the session the event's service is using, so the event and its
timeline entry commit together or not at all (tests/crm_bridge/test_timeline.py fails a transaction
to show it). They never commit, never do I/O, and read the documented signal arguments only.
"""
from __future__ import annotations

from sqlalchemy import update

from community import signals
from community.dbtypes import utcnow
from community.extensions import db
from community.text import excerpt as _excerpt

from . import rollups
from .models import CrmProfile, TimelineEvent
from .subscribe import connect_all

# What a staff member sees as the type of each entry (the filter on the profile page lists these).
KINDS = ("registered", "thread_started", "replied", "staff_reply", "vote_given", "vote_received",
         "answer_accepted", "poll_ballot", "idea_status", "badge", "reward_redeemed", "trust_level",
         "flag_raised", "flag_received", "moderation")


def record(member, kind: str, *, thread=None, post=None, actor=None, text: str = "", active: bool = True,
           **data) -> TimelineEvent | None:
    """Add a timeline entry for `member`; `active` says the member did it themselves (last active moves)."""
    if member is None or getattr(member, "deleted_at", None) is not None:
        return None  # a deleted account keeps no timeline
    event = TimelineEvent(member=member, kind=kind, thread=thread if thread is not None else getattr(post, "thread", None),
                          post=post, actor=actor, excerpt=text, data={k: v for k, v in data.items() if v is not None})
    db.session.add(event)
    values = {"event_count": CrmProfile.event_count + 1}
    if active:
        values["last_active_at"] = utcnow()
    if member.id is not None:
        db.session.execute(update(CrmProfile).where(CrmProfile.member_id == member.id).values(**values))
        if active and kind in rollups.ACTIVE_KINDS:
            rollups.mark_active(member.id)
    return event


def _post_text(post) -> str:
    return _excerpt(post.body_html or "", 200) if post is not None else ""


def on_member_registered(member, **_kw):
    db.session.add(CrmProfile(member=member, first_seen_at=member.created_at or utcnow(), last_active_at=utcnow()))
    record(member, "registered")


def on_thread_created(thread, post=None, **_kw):
    record(thread.author, "thread_started", thread=thread, post=post, text=thread.title)


def on_post_created(post, reply_to=None, **_kw):
    author, thread = post.author, post.thread
    record(author, "replied", post=post, text=_post_text(post))
    if author is not None and author.is_staff:
        told = set()
        for asker in (thread.author, getattr(reply_to, "author", None)):
            if asker is not None and asker.id != author.id and asker.id not in told:
                told.add(asker.id)
                record(asker, "staff_reply", post=post, actor=author, text=_post_text(post), active=False)


def on_vote_cast(post, voter=None, value=0, previous=0, **_kw):
    if not value:
        return  # a vote taken back leaves the earlier entries; the score is on the post
    record(voter, "vote_given", post=post, value=value, changed=bool(previous) or None)
    record(post.author, "vote_received", post=post, actor=voter, value=value, active=False)


def on_answer_accepted(post, thread=None, by=None, **_kw):
    record(post.author, "answer_accepted", post=post, actor=by, text=_post_text(post), active=False)


def on_poll_voted(poll, voter=None, option_ids=(), **_kw):
    record(voter, "poll_ballot", thread=getattr(poll, "thread", None), options=len(option_ids or ()))


def on_idea_status_changed(thread, by=None, previous=None, status=None, reason="", **_kw):
    record(thread.author, "idea_status", thread=thread, actor=by, text=reason or "", active=False,
           status=getattr(status, "value", status), previous=getattr(previous, "value", previous))


def on_badge_granted(member, badge=None, **_kw):
    record(member, "badge", active=False, badge=getattr(badge, "name", None))


def on_reward_redeemed(redemption, member=None, reward=None, **_kw):
    record(member, "reward_redeemed", reward=getattr(reward, "name", None),
           points=getattr(reward, "cost", None) or getattr(reward, "point_cost", None))


def on_trust_level_changed(member, previous=None, level=None, by=None, **_kw):
    record(member, "trust_level", actor=by, active=False, level=level, previous=previous)


def on_content_flagged(flag, item=None, hidden=False, **_kw):
    post = getattr(flag, "post", None)
    flagger = getattr(flag, "member", None) or getattr(flag, "flagger", None)
    reason = getattr(getattr(flag, "reason", None), "value", getattr(flag, "reason", None))
    record(flagger, "flag_raised", post=post, reason=reason)
    if post is not None:
        record(post.author, "flag_received", post=post, active=False, reason=reason, hidden=bool(hidden) or None)


def _moderation(action: str):
    def receiver(sender, by=None, reason="", until=None, **_kw):
        target = sender if not hasattr(sender, "thread_id") else sender.author
        record(target, "moderation", post=sender if hasattr(sender, "thread_id") else None, actor=by,
               text=reason or "", active=False, action=action, until=until.isoformat() if until else None)
    receiver.__name__ = f"on_{action}"
    return receiver


_SUBSCRIPTIONS = {
    signals.member_registered: on_member_registered,
    signals.thread_created: on_thread_created,
    signals.post_created: on_post_created,
    signals.vote_cast: on_vote_cast,
    signals.answer_accepted: on_answer_accepted,
    signals.poll_voted: on_poll_voted,
    signals.idea_status_changed: on_idea_status_changed,
    signals.badge_granted: on_badge_granted,
    signals.reward_redeemed: on_reward_redeemed,
    signals.trust_level_changed: on_trust_level_changed,
    signals.content_flagged: on_content_flagged,
    signals.post_hidden: _moderation("hidden"),
    signals.member_silenced: _moderation("silenced"),
    signals.member_suspended: _moderation("suspended"),
    signals.member_restriction_lifted: _moderation("restriction_lifted"),
}


def connect() -> None:
    connect_all(_SUBSCRIPTIONS)
