"""Signal subscribers: every community event about a member lands on their CRM timeline.

Subscribers only add rows to the session the event's service is using, so the event and its
timeline entry commit together or not at all (tests/crm_bridge/test_crm.py fails a transaction
to show it). They never commit, never do I/O, and read the documented signal arguments only.

Every entry is dated at the time of the community event it records (the post's `created_at`, the
signal's `at` ...: `event_time`), never at the time it is written, so an event loaded or replayed
later (the demo, an import) lands on its own day in the timeline, the scores and the dashboard.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, case, insert, inspect, update

from community import dbbatch, signals
from community.dbtypes import utcnow
from community.extensions import db
from community.text import excerpt as _excerpt

from . import rollups
from .models import CrmProfile, TimelineEvent
from .subscribe import connect_all

# What a staff member sees as the type of each entry (the filter on the profile page lists these).
KINDS = ("registered", "thread_started", "replied", "staff_reply", "vote_given", "vote_received",
         "answer_accepted", "poll_ballot", "idea_status", "badge", "reward_redeemed", "trust_level",
         "flag_raised", "flag_received", "moderation", "reaction_received",
         # staff-inbox conversations only (crm_bridge/conversations.py); member-to-member ones never arrive
         "staff_conversation", "private_staff_reply",
         # social interactions outside the forum (crm_bridge/interactions.py)
         "interaction",
         # a flag of theirs a moderator upheld; the CRM's own records about them (cases, leads, segment messages)
         "flag_upheld", "case_opened", "case_resolved", "lead_created", "segment_message",
         # read from the external CRM (crm_bridge/sync.py): an order the member placed
         "order")


def event_time(*candidates) -> datetime:
    """The time of a community event: the first of `candidates` that is set (the event row's own timestamp,
    the signal's `at`), else now (a sender that gives neither records something happening now)."""
    for moment in candidates:
        if moment is not None:
            return moment
    return utcnow()


def record(member, kind: str, *, at: datetime | None = None, thread=None, post=None, actor=None, text: str = "",
           active: bool = True, counted: bool = True, **data) -> TimelineEvent | None:
    """Add a timeline entry for `member`, dated `at`: when the event happened (every subscriber passes it;
    left out, the event is taken to happen now). `active` says the member did it themselves (their last
    active time moves forward to `at`, never back). Without `counted`, the profile's count and last active
    time are left to the caller (a vote's: the effects drain counts them, `on_vote_settled`). Returns the
    entry, or None when none is written (a deleted account) or it is queued in a `dbbatch.combined()` block
    (written with the block's other rows, as no object)."""
    if member is None or getattr(member, "deleted_at", None) is not None:
        return None  # a deleted account keeps no timeline
    at = event_time(at)
    data = {k: v for k, v in data.items() if v is not None}
    row = _entry_row(member, kind, at, thread, post, actor, text, data) if dbbatch.batching() else None
    if row is not None:
        # inside a `dbbatch.combined()` block (a reply's subscribers): the entry rides on the block's one
        # statement with the other rows nothing reads back (the scores read the entries at commit, after it)
        dbbatch.insert(_ENTRY, row)
        event = None
    else:
        event = TimelineEvent(member=member, kind=kind, occurred_at=at,
                              thread=thread if thread is not None else getattr(post, "thread", None),
                              post=post, actor=actor, excerpt=text, data=data)
        db.session.add(event)
    if member.id is not None:
        touch(member.id)
        if counted:
            db.session.execute(_PROFILE_COUNTED[active], {"whose": member.id, "at": at})
            _expire_loaded_profile(member.id)
        if active and kind in rollups.ACTIVE_KINDS:
            rollups.mark_active(member.id, at)
    return event


def _entry_row(member, kind, at, thread, post, actor, text, data) -> dict | None:
    """The entry as a row for a core INSERT, or None when a part of it has no id yet (the ORM orders those)."""
    if any(part is not None and part.id is None for part in (member, post, thread, actor)):
        return None
    thread_id = thread.id if thread is not None else getattr(post, "thread_id", None)
    return {"member_id": member.id, "kind": kind, "occurred_at": at, "thread_id": thread_id,
            "post_id": post.id if post is not None else None, "actor_id": actor.id if actor is not None else None,
            "excerpt": text, "data": data}


_ENTRY = insert(TimelineEvent.__table__)


def _profile_counted(active: bool):
    """The UPDATE of a member's profile for one more entry (built once per form): if `active`, their last active
    time moves forward to `at`, never back. ORM-enabled, so the session flushes first (a profile added in this
    transaction is there to update), without the ORM's synchronisation (`_expire_loaded_profile` does it). The
    parameters are not named after columns (SQLAlchemy keeps those names for the SET clause)."""
    values = {"event_count": CrmProfile.event_count + 1}
    if active:
        at = bindparam("at", type_=CrmProfile.last_active_at.type)
        values["last_active_at"] = case((CrmProfile.last_active_at.is_(None) | (CrmProfile.last_active_at < at), at),
                                        else_=CrmProfile.last_active_at)
    return (update(CrmProfile).where(CrmProfile.member_id == bindparam("whose")).values(**values)
            .execution_options(synchronize_session=False))


_PROFILE_COUNTED = {False: _profile_counted(False), True: _profile_counted(True)}


def _expire_loaded_profile(*member_ids: int) -> None:
    """A profile of `member_ids` this session holds reads the two updated columns afresh (the ORM's synchronisation
    of an UPDATE would evaluate its criteria in Python, where a bound parameter has no value)."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, CrmProfile) and inspect(obj).dict.get("member_id") in member_ids:
            db.session.expire(obj, ["event_count", "last_active_at"])


def touch(member_id: int) -> None:
    """Note that `member_id`'s scores and stage need recomputing before this transaction commits
    (crm_bridge/freshness.py does it in the event's own transaction)."""
    db.session.info.setdefault(TOUCHED, set()).add(member_id)


TOUCHED = "crm_touched_members"


def _post_text(post) -> str:
    return _excerpt(post.body_html or "", 200) if post is not None else ""


def on_member_registered(member, **_kw):
    joined = event_time(member.created_at)
    db.session.add(CrmProfile(member=member, first_seen_at=joined, last_active_at=joined))
    record(member, "registered", at=joined)


def on_thread_created(thread, post=None, **_kw):
    record(thread.author, "thread_started", at=event_time(getattr(post, "created_at", None), thread.created_at),
           thread=thread, post=post, text=thread.title)


def on_post_created(post, reply_to=None, **_kw):
    author, thread = post.author, post.thread
    at = event_time(post.created_at)
    record(author, "replied", at=at, post=post, text=_post_text(post))
    if author is not None and author.is_staff:
        told = set()
        for asker in (thread.author, getattr(reply_to, "author", None)):
            if asker is not None and asker.id != author.id and asker.id not in told:
                told.add(asker.id)
                record(asker, "staff_reply", at=at, post=post, actor=author, text=_post_text(post), active=False)


def on_vote_cast(post, voter=None, value=0, previous=0, at=None, **_kw):
    """A vote's two timeline entries, in the vote's transaction; what they count on the two profiles (one more
    entry each, the voter's last active time) follows in the vote's effects drain (`on_vote_settled`)."""
    if not value:
        return  # a vote taken back leaves the earlier entries; the score is on the post
    at = event_time(at)
    author = post.author
    live = [m for m in (voter, author) if m is not None and getattr(m, "deleted_at", None) is None]
    if len({m.id for m in live}) != len(live) or any(m.id is None for m in live):
        record(voter, "vote_given", at=at, post=post, value=value, changed=bool(previous) or None, counted=False)
        record(author, "vote_received", at=at, post=post, actor=voter, value=value, active=False, counted=False)
        return
    # Both entries in one INSERT (core: nothing reads them back in this transaction). No profile row is
    # written here: a vote is the busiest event there is, and the author's profile would be the one row
    # every vote on their posts waits for; the drain counts them, in a batch, with the scores and stages.
    if not live:
        return
    common = {"occurred_at": at, "thread_id": post.thread_id, "post_id": post.id, "excerpt": ""}
    rows = []
    if voter in live:
        rows.append(dict(common, member_id=voter.id, kind="vote_given", actor_id=None,
                         data=_data(value=value, changed=bool(previous) or None)))
    if author in live:
        rows.append(dict(common, member_id=author.id, kind="vote_received", actor_id=voter.id if voter else None,
                         data=_data(value=value)))
    dbbatch.insert(_VOTE_ENTRIES, rows)  # with the vote's other rows, one round trip (community/dbbatch.py)
    if voter in live:
        rollups.mark_active(voter.id, at)


_VOTE_ENTRIES = insert(TimelineEvent.__table__)
VOTE_COUNTS = "crm_vote_counts"  # session.info: {member id: [entries to count, last active time or None]}


def on_vote_settled(post, voter=None, value=0, at=None, **_kw):
    """A vote's timeline entries were written with it (`on_vote_cast`); here, in the drain's transaction, they
    are counted on both profiles (`count_vote_entries`, once per member for the whole batch), and both
    members' scores and stages are recomputed (crm_bridge/freshness.py)."""
    if not value:
        return  # a vote taken back wrote no entry
    counts = db.session.info.setdefault(VOTE_COUNTS, {})
    for member, active in ((voter, True), (post.author, False)):
        if member is None or member.id is None or getattr(member, "deleted_at", None) is not None:
            continue  # as record(): a deleted account keeps no timeline
        touch(member.id)
        entry = counts.setdefault(member.id, [0, None])
        entry[0] += 1
        if active and at is not None and (entry[1] is None or entry[1] < at):
            entry[1] = at


def count_vote_entries(session) -> None:
    """Count the vote entries `on_vote_settled` noted on their profiles: one executemany UPDATE for the batch
    (event_count up by each member's number, the voter's last active time forward to their last vote, never
    back), before the profiles are read for the scores (crm_bridge/freshness.py calls it first)."""
    counts = session.info.pop(VOTE_COUNTS, None)
    if not counts:
        return
    session.execute(_COUNT_VOTE_ENTRIES, [{"whose": member_id, "n": n, "at": last}
                                          for member_id, (n, last) in sorted(counts.items())])
    _expire_loaded_profile(*counts)


def _count_vote_entries():
    table = CrmProfile.__table__
    at = bindparam("at", type_=table.c.last_active_at.type)
    return (update(table).where(table.c.member_id == bindparam("whose"))
            .values(event_count=table.c.event_count + bindparam("n", type_=table.c.event_count.type),
                    last_active_at=case((at.is_not(None) & (table.c.last_active_at.is_(None)
                                                             | (table.c.last_active_at < at)), at),
                                        else_=table.c.last_active_at)))


_COUNT_VOTE_ENTRIES = _count_vote_entries()


def _data(**data) -> dict:
    return {k: v for k, v in data.items() if v is not None}


def on_reaction_added(post, member=None, kind=None, at=None, **_kw):
    # A reaction changed or taken back leaves the earlier entry, as a vote does; the counts are on the post.
    record(post.author, "reaction_received", at=event_time(at), post=post, actor=member, reaction=kind, active=False)


def on_answer_accepted(post, thread=None, by=None, at=None, **_kw):
    record(post.author, "answer_accepted", at=event_time(at), post=post, actor=by, text=_post_text(post),
           active=False)


def on_poll_voted(poll, voter=None, option_ids=(), at=None, **_kw):
    record(voter, "poll_ballot", at=event_time(at), thread=getattr(poll, "thread", None),
           options=len(option_ids or ()))


def on_idea_status_changed(thread, by=None, previous=None, status=None, reason="", at=None, **_kw):
    record(thread.author, "idea_status", at=event_time(at), thread=thread, actor=by, text=reason or "",
           active=False, status=getattr(status, "value", status), previous=getattr(previous, "value", previous))


def on_badge_granted(member, badge=None, grant=None, **_kw):
    record(member, "badge", at=event_time(getattr(grant, "granted_at", None)), active=False,
           badge=getattr(badge, "name", None))


def on_reward_redeemed(redemption, member=None, reward=None, **_kw):
    record(member, "reward_redeemed", at=event_time(getattr(redemption, "created_at", None)),
           reward=getattr(reward, "name", None),
           points=getattr(reward, "cost", None) or getattr(reward, "point_cost", None))


def on_trust_level_changed(member, previous=None, level=None, by=None, at=None, **_kw):
    record(member, "trust_level", at=event_time(at), actor=by, active=False, level=level, previous=previous)


def on_content_flagged(flag, item=None, hidden=False, **_kw):
    post = getattr(flag, "post", None)
    flagger = getattr(flag, "member", None) or getattr(flag, "flagger", None)
    reason = getattr(getattr(flag, "reason", None), "value", getattr(flag, "reason", None))
    at = event_time(getattr(flag, "created_at", None))
    record(flagger, "flag_raised", at=at, post=post, reason=reason)
    if post is not None:
        record(post.author, "flag_received", at=at, post=post, active=False, reason=reason,
               hidden=bool(hidden) or None)


def on_review_resolved(item, by=None, outcome=None, **_kw):
    if outcome != "agreed":
        return
    for flag in getattr(item, "flags", None) or ():
        record(getattr(flag, "flagger", None), "flag_upheld", at=event_time(getattr(item, "resolved_at", None)),
               post=getattr(item, "post", None), actor=by, active=False,
               reason=getattr(getattr(flag, "reason", None), "value", None))


def _moderation(action: str):
    def receiver(sender, by=None, reason="", until=None, at=None, **_kw):
        target = sender if not hasattr(sender, "thread_id") else sender.author
        record(target, "moderation", at=event_time(at), post=sender if hasattr(sender, "thread_id") else None,
               actor=by, text=reason or "", active=False, action=action, until=until.isoformat() if until else None)
    receiver.__name__ = f"on_{action}"
    return receiver


_SUBSCRIPTIONS = {
    signals.member_registered: on_member_registered,
    signals.thread_created: on_thread_created,
    signals.post_created: on_post_created,
    signals.vote_cast: on_vote_cast,
    signals.vote_settled: on_vote_settled,
    signals.reaction_added: on_reaction_added,
    signals.answer_accepted: on_answer_accepted,
    signals.poll_voted: on_poll_voted,
    signals.idea_status_changed: on_idea_status_changed,
    signals.badge_granted: on_badge_granted,
    signals.reward_redeemed: on_reward_redeemed,
    signals.trust_level_changed: on_trust_level_changed,
    signals.content_flagged: on_content_flagged,
    signals.review_resolved: on_review_resolved,
    signals.post_hidden: _moderation("hidden"),
    signals.member_silenced: _moderation("silenced"),
    signals.member_suspended: _moderation("suspended"),
    signals.member_restriction_lifted: _moderation("restriction_lifted"),
}


def connect() -> None:
    connect_all(_SUBSCRIPTIONS)
