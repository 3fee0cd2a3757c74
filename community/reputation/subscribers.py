"""Signal subscribers: reputation and badges follow what happens in the forum, in the same transaction.

One subscriber per signal, so that the ledger is written before the badge rules read it.
"""
from __future__ import annotations

from .. import signals
from ..reactions.kinds import reaction_points
from . import badges
from . import services as ledger


def _vote_cast(post, voter, value, previous, **_extra):
    ledger.apply_vote(post, voter, value, previous)
    if value > 0 and post.author_id is not None and post.author_id != voter.id:
        badges.on_upvoted(post)


def _reaction_added(post, member, kind, **_extra):
    ledger.apply_reaction(post, member, reaction_points(kind))


def _reaction_removed(post, member, **_extra):
    ledger.apply_reaction(post, member, 0)


def _answer_accepted(post, thread, by=None, previous=None, **_extra):
    if previous is not None and previous.id != post.id:
        ledger.reverse_acceptance(previous, thread.id, by)
    if ledger.apply_acceptance(post, thread, by) is not None:
        badges.on_answer_accepted(post)


def _answer_unaccepted(post, thread=None, by=None, **_extra):
    ledger.reverse_acceptance(post, thread.id if thread is not None else post.thread_id, by)


def _member_registered(member, **_extra):
    badges.on_registered(member)


def _thread_created(thread, post=None, **_extra):
    badges.on_thread_started(thread.author_id, post.id if post is not None else None)


def _post_created(post, **_extra):
    badges.on_replied(post.author_id, post.id)


def _reputation_changed(member, entry=None, **_extra):
    if entry is not None and entry.delta > 0:
        badges.on_reputation_gained(entry.member_id)


def _idea_status_changed(thread, status=None, **_extra):
    if status is not None and getattr(status, "value", status) == "shipped":
        badges.on_idea_shipped(thread.author_id, thread.id)


def connect() -> None:
    """Subscribe to the forum's signals (weakly held functions are module-level, so they stay)."""
    signals.vote_settled.connect(_vote_cast)  # after the vote's commit (community/votes/effects.py)
    signals.answer_accepted.connect(_answer_accepted)
    signals.answer_unaccepted.connect(_answer_unaccepted)
    signals.member_registered.connect(_member_registered)
    signals.thread_created.connect(_thread_created)
    signals.post_created.connect(_post_created)
    signals.reputation_changed.connect(_reputation_changed)
    signals.idea_status_changed.connect(_idea_status_changed)
    signals.reaction_added.connect(_reaction_added)
    signals.reaction_removed.connect(_reaction_removed)
