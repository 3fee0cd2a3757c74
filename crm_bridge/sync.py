"""Keep the CRM in step with an external CRM (Tryton today) through a connector (crm_bridge/connectors/).

One pass (`flask crm sync`; the worker repeats it while TRYTON_URL is set) does three things:

1. *collect*: read the outbox (crm_outbox) past this connector's cursor and queue one `SyncItem` per event
   that concerns the CRM, keyed by the event's id (unique per connector), so an event is queued once
   however often it is read; the cursor and the items commit together.
2. *deliver*: send due items in order. An item is done when the CRM took it; a change the CRM refused is
   retried with backoff and marked failed after SYNC_MAX_ATTEMPTS (staff retry it from /crm/sync). When the
   CRM cannot be reached the pass stops where it is, the sync is *paused* and staff are notified once;
   nothing is lost: the item is still pending and the next pass (which first checks the CRM answers again)
   resumes with it. Every write is idempotent on the CRM's side (a party is found by its email before one is
   created, a complaint or opportunity by its reference, a note by its key), so a pass killed between the
   CRM's answer and our commit sends the same thing again without making a second one (at least once).
3. *reconcile*: link verified members, then compare what is linked: each `SyncLink` keeps a snapshot of
   both sides as of the last sync. A field changed only here is pushed, changed only there is pulled,
   changed on both sides to different values is a **conflict**: the link waits (neither side is written)
   until staff pick a side on /crm/sync. Then orders are read onto profiles and the timeline.

docs/crm.md, "Tryton connector", has the mapping field by field and the conflict rule.
"""
from __future__ import annotations

import logging
import random
import threading
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import current_app, has_app_context
from sqlalchemy import JSON, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community import signals
from community.dbtypes import UTCDateTime, utcnow
from community.extensions import db
from community.forum.models import Visibility
from community.members.models import Member, Role
from community.notifications.services import notify_many

from . import connectors
from .cases import Case, CaseStatus
from .cases import set_case_status as change_case_status
from .leads import Lead, LeadStage
from .leads import set_lead_stage as change_lead_stage
from .models import CrmProfile, OutboxEvent, StaffNote, TimelineEvent
from .segments import Segment, segment_members
from .services import ensure_profile

log = logging.getLogger(__name__)

DEFAULTS = {
    "SYNC_MAX_ATTEMPTS": 6,
    "SYNC_RETRY_BASE_SECONDS": 30,
    "SYNC_RETRY_CAP_SECONDS": 3600,
    "SYNC_POLL_SECONDS": 10,
    "SYNC_BATCH_SIZE": 200,
}

# outbox types -> what the connector does with them
NOTE_TYPES = ("thread.created", "answer.accepted", "badge.granted", "reward.redeemed")
QUEUED = {"member.registered": "member", "case.opened": "case", "case.changed": "case", "case.merged": "case",
          "lead.created": "lead", "lead.changed": "lead", "segment.saved": "segment", "segment.deleted": "segment",
          **{kind: "note" for kind in NOTE_TYPES}}


def _setting(name: str):
    return current_app.config.get(name, DEFAULTS[name])


# ---- tables --------------------------------------------------------------------------------------------

class SyncState(db.Model):
    """One per connector: how far the outbox has been read, and whether the sync is paused."""
    __tablename__ = "crm_sync_state"

    connector: Mapped[str] = mapped_column(String(32), primary_key=True)
    outbox_cursor: Mapped[int] = mapped_column(Integer, default=0)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pause_reason: Mapped[str] = mapped_column(String(300), default="")
    last_pass_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SyncItem(db.Model):
    """One outbox event (or erasure) for one connector: pending until the CRM took it, or failed."""
    __tablename__ = "crm_sync_items"
    __table_args__ = (UniqueConstraint("connector", "event_id"),
                      Index("ix_crm_sync_items_due", "connector", "status", "next_attempt_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    connector: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # member, case, lead, segment, note, erase
    local_id: Mapped[int | None] = mapped_column(Integer)
    remote_id: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, done, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SyncLink(db.Model):
    """A record here and its counterpart there, with both sides as of the last sync (for the conflict rule).

    `state`: linked; ambiguous (a member whose verified email two parties carry: never guessed); conflict
    (changed on both sides, `conflict` holds both values, waiting for staff to pick `resolution`).
    """
    __tablename__ = "crm_sync_links"
    __table_args__ = (UniqueConstraint("connector", "kind", "local_id"),
                      Index("ix_crm_sync_links_remote", "connector", "kind", "remote_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    connector: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # member, case, lead, note
    local_id: Mapped[int] = mapped_column(Integer)
    remote_id: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="linked")
    snapshot: Mapped[dict] = mapped_column(JSON, default=dict)  # {"local": {...}, "remote": {...}}
    conflict: Mapped[dict] = mapped_column(JSON, default=dict)  # {field: {"here": v, "there": v}}
    resolution: Mapped[str | None] = mapped_column(String(8))  # here, there (staff's pick, applied next pass)
    candidates: Mapped[list] = mapped_column(JSON, default=list)  # remote ids when ambiguous
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CrmOrder(db.Model):
    """An order the member placed, read from the external CRM (sale.sale in Tryton)."""
    __tablename__ = "crm_orders"
    __table_args__ = (UniqueConstraint("connector", "remote_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connector: Mapped[str] = mapped_column(String(32))
    remote_id: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    ordered_on: Mapped[date | None] = mapped_column(db.Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=0)
    currency: Mapped[str] = mapped_column(String(3), default="")
    state: Mapped[str] = mapped_column(String(32), default="")
    products: Mapped[list] = mapped_column(JSON, default=list)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship()


# ---- the connector of this app -------------------------------------------------------------------------

_connectors: dict = {}


def connector():
    """The app's connector (TRYTON_URL), or None when no external CRM is configured."""
    url = current_app.config.get("TRYTON_URL")
    if not url:
        return None
    if url not in _connectors:
        _connectors[url] = connectors.from_url(url)
    return _connectors[url]


def _state(name: str) -> SyncState:
    state = db.session.get(SyncState, name)
    if state is None:
        state = SyncState(connector=name, outbox_cursor=0)
        db.session.add(state)
        db.session.flush()
    return state


# ---- 1. collect ----------------------------------------------------------------------------------------

def _note_text(event: OutboxEvent) -> str | None:
    """The one line a key timeline event leaves on the party (public boards only; never a post's body)."""
    data = event.payload.get("data") or {}
    thread = data.get("thread") or {}
    board = thread.get("board") or {}
    when = (event.payload.get("timestamp") or "")[:10]
    if event.type == "thread.created":
        if board.get("visibility") != Visibility.public.value:
            return None
        return f"{when} Community: started the thread “{thread.get('title', '')}” ({thread.get('url', '')})"
    if event.type == "answer.accepted":
        if board.get("visibility") != Visibility.public.value:
            return None
        return f"{when} Community: an answer was accepted in “{thread.get('title', '')}”"
    if event.type == "badge.granted":
        return f"{when} Community: earned the badge {(data.get('badge') or {}).get('name', '')}"
    if event.type == "reward.redeemed":
        return f"{when} Community: redeemed the reward {(data.get('reward') or {}).get('name', '')}"
    return None


def _member_of(event: OutboxEvent) -> int | None:
    data = event.payload.get("data") or {}
    if event.type in ("badge.granted", "reward.redeemed", "member.registered"):
        return (data.get("member") or {}).get("id")
    if event.type == "thread.created":
        return ((data.get("thread") or {}).get("author") or {}).get("id")
    if event.type == "answer.accepted":
        return ((data.get("post") or {}).get("author") or {}).get("id")
    return None


def collect(name: str, limit: int = 500) -> int:
    """Queue the outbox events past the cursor that concern the CRM; return how many were queued."""
    state = _state(name)
    events = db.session.scalars(select(OutboxEvent).where(OutboxEvent.id > state.outbox_cursor)
                                .order_by(OutboxEvent.id).limit(limit)).all()
    if not events:
        return 0
    seen = set(db.session.scalars(select(SyncItem.event_id).where(
        SyncItem.connector == name, SyncItem.event_id.in_([e.event_id for e in events]))))
    queued = 0
    for event in events:
        kind = QUEUED.get(event.type)
        if kind is None or event.event_id in seen:
            continue
        data = event.payload.get("data") or {}
        payload, local_id = {"type": event.type}, None
        if kind == "member":
            local_id = _member_of(event)
        elif kind in ("case", "lead", "segment"):
            local_id = (data.get(kind) or {}).get("id")
            if event.type == "segment.deleted":
                payload["name"] = (data.get("segment") or {}).get("name", "")
        elif kind == "note":
            text = _note_text(event)
            local_id = _member_of(event)
            if text is None or local_id is None:
                continue
            payload["text"] = text
        db.session.add(SyncItem(connector=name, event_id=event.event_id, kind=kind, local_id=local_id,
                                payload=payload, created_at=utcnow(), next_attempt_at=utcnow()))
        queued += 1
    state.outbox_cursor = events[-1].id
    db.session.commit()
    return queued


# ---- 2. deliver ----------------------------------------------------------------------------------------

class Waiting(Exception):
    """The item cannot go yet (its member is not linked): try again later without counting a failure."""


def _backoff(attempt: int) -> float:
    base, cap = float(_setting("SYNC_RETRY_BASE_SECONDS")), float(_setting("SYNC_RETRY_CAP_SECONDS"))
    delay = min(cap, base * 2 ** (attempt - 1))
    return delay / 2 + random.uniform(0, delay / 2)


def deliver(conn, limit: int | None = None) -> int:
    """Send due items in order; return how many were done. Raises Unavailable (the caller pauses)."""
    now = utcnow()
    items = db.session.scalars(select(SyncItem).where(SyncItem.connector == conn.name, SyncItem.status == "pending",
                                                      SyncItem.next_attempt_at <= now)
                               .order_by(SyncItem.id).limit(limit or int(_setting("SYNC_BATCH_SIZE")))).all()
    done = 0
    for item in items:
        try:
            HANDLERS[item.kind](conn, item)
        except connectors.Unavailable:
            db.session.rollback()
            raise
        except Waiting as exc:
            db.session.rollback()
            item.next_attempt_at, item.last_error = utcnow() + timedelta(seconds=_backoff(1)), str(exc)[:300]
        except Exception as exc:  # a refusal or a bug in one item must not stop the others
            db.session.rollback()
            item.attempts += 1
            item.last_error = f"{type(exc).__name__}: {exc}"[:300]
            if item.attempts >= int(_setting("SYNC_MAX_ATTEMPTS")):
                item.status = "failed"
            else:
                item.next_attempt_at = utcnow() + timedelta(seconds=_backoff(item.attempts))
            log.warning("CRM sync item %s (%s) failed: %s", item.id, item.kind, item.last_error)
        else:
            item.status, item.done_at, item.last_error = "done", utcnow(), ""
            done += 1
        db.session.commit()
    return done


def _link(name: str, kind: str, local_id: int) -> SyncLink | None:
    return db.session.scalar(select(SyncLink).where(SyncLink.connector == name, SyncLink.kind == kind,
                                                    SyncLink.local_id == local_id))


def _party_of(conn, member_id: int | None) -> int:
    """The party of a member, linking them first; Waiting when they cannot be linked (yet)."""
    if member_id is None:
        raise Waiting("no member")
    link = _link(conn.name, "member", member_id)
    if link is None or link.remote_id is None:
        member = db.session.get(Member, member_id)
        if member is not None:
            link = link_member(conn, member)
    if link is None or link.remote_id is None:
        raise Waiting("the member is not linked to a party (unverified email, or ambiguous)")
    return link.remote_id


def _member_item(conn, item: SyncItem) -> None:
    member = db.session.get(Member, item.local_id) if item.local_id else None
    if member is not None and member.email_verified:
        link_member(conn, member)
    # an unverified member is linked by reconcile once they verify; nothing is guessed before


def _note_item(conn, item: SyncItem) -> None:
    try:
        party = _party_of(conn, item.local_id)
    except Waiting:
        return  # a member without a party (unverified, ambiguous): their activity stays here, nothing waits
    conn.add_note(party, item.payload.get("text", ""), item.event_id)


def _erase_item(conn, item: SyncItem) -> None:
    if item.remote_id:
        conn.erase_party(item.remote_id)


def _segment_item(conn, item: SyncItem) -> None:
    segment = db.session.get(Segment, item.local_id) if item.local_id else None
    if segment is None:
        if item.payload.get("name"):
            conn.set_category(item.payload["name"], [])  # a deleted segment: nobody carries it any more
        return
    # members who declined marketing contact are not put in a marketing category (as in the CSV export)
    member_ids = select(Member.id).where(Member.id.in_(segment_members(segment)),
                                         ~((Member.consent_marketing_at.is_not(None))
                                           & Member.consent_marketing.is_(False)))
    parties = db.session.scalars(select(SyncLink.remote_id).where(
        SyncLink.connector == conn.name, SyncLink.kind == "member", SyncLink.state != "ambiguous",
        SyncLink.remote_id.is_not(None), SyncLink.local_id.in_(member_ids))).all()
    conn.set_category(segment.name, sorted(parties))


def _key(kind: str, local_id: int, created_at) -> str:
    """The key a record carries in the CRM (a complaint's reference, a note's last line): stable for the
    record, and unique even when a restored or reset community database hands out the same ids again."""
    return f"community-{kind}-{local_id}-{int(created_at.timestamp()) if created_at else 0}"


def _order_id(name: str, ref: str | None) -> int | None:
    if not ref:
        return None
    return db.session.scalar(select(CrmOrder.remote_id).where(CrmOrder.connector == name, CrmOrder.number == ref))


def _case_item(conn, item: SyncItem) -> None:
    case = db.session.get(Case, item.local_id) if item.local_id else None
    if case is None:
        return
    link = _link(conn.name, "case", case.id)
    if link is None:
        party = _party_of(conn, case.member_id)
        description = case.title + (f"\nOrder: {case.order_ref}" if case.order_ref else "")
        remote_id = conn.create_case(party, _key("case", case.id, case.created_at), description,
                                     _order_id(conn.name, case.order_ref))
        if case.status.value != "new":
            conn.set_case_status(remote_id, case.status.value)
        remote = conn.read_cases([remote_id])[remote_id]
        db.session.add(SyncLink(connector=conn.name, kind="case", local_id=case.id, remote_id=remote_id,
                                snapshot={"local": {"status": case.status.value}, "remote": {"status": remote.state}},
                                synced_at=utcnow()))
        return
    reconcile_cases(conn, [link])


def _lead_item(conn, item: SyncItem) -> None:
    lead = db.session.get(Lead, item.local_id) if item.local_id else None
    if lead is None or lead.confirmed_at is None:  # a rule's suggestion is not a lead until staff confirm it
        return
    link = _link(conn.name, "lead", lead.id)
    if link is None:
        party = _party_of(conn, lead.member_id)
        value = _money(lead.value)
        remote_id = conn.create_lead(party, _key("lead", lead.id, lead.created_at),
                                     lead.title or f"Lead {lead.id}", value, lead.currency)
        if lead.stage.value != "new":
            conn.update_lead(remote_id, stage=lead.stage.value)
        remote = conn.read_leads([remote_id])[remote_id]
        db.session.add(SyncLink(connector=conn.name, kind="lead", local_id=lead.id, remote_id=remote_id,
                                snapshot={"local": {"stage": lead.stage.value, "value": value},
                                          "remote": {"stage": remote.state, "value": remote.value}},
                                synced_at=utcnow()))
        return
    reconcile_leads(conn, [link])


HANDLERS = {"member": _member_item, "note": _note_item, "erase": _erase_item, "segment": _segment_item,
            "case": _case_item, "lead": _lead_item}


def _money(value) -> str:
    return str(Decimal(str(value or 0)).quantize(Decimal("0.01")))


# ---- 3. reconcile --------------------------------------------------------------------------------------

def _profile(member: Member) -> CrmProfile:
    return ensure_profile(member)


def _member_local(member: Member, profile: CrmProfile) -> dict:
    return {"name": profile.full_name or member.display_name or member.username, "company": profile.company or ""}


def link_member(conn, member: Member) -> SyncLink | None:
    """Link a member with a verified email to the party carrying it: created when none does, linked when one
    does, `ambiguous` (for staff) when several do. Never by name, never for an unverified address."""
    link = _link(conn.name, "member", member.id)
    if link is not None and (link.remote_id is not None or link.state == "ambiguous"):
        return link
    if not member.email_verified:
        return None
    return link_members(conn, [member])[0]


def link_members(conn, members: list[Member]) -> list[SyncLink]:
    """link_member for a batch of verified members: one search for all their addresses, one create for the
    parties that are missing (the initial sync of a big community)."""
    found = conn.find_parties_many([m.email for m in members])
    existing = {link.local_id: link for link in db.session.scalars(select(SyncLink).where(
        SyncLink.connector == conn.name, SyncLink.kind == "member", SyncLink.local_id.in_([m.id for m in members])))}
    links, to_create = [], []
    for member in members:
        profile = _profile(member)
        local = _member_local(member, profile)
        link = existing.get(member.id)
        if link is None:
            link = SyncLink(connector=conn.name, kind="member", local_id=member.id, snapshot={}, conflict={},
                            candidates=[])
            db.session.add(link)
        links.append(link)
        parties = found.get(member.email.strip().lower(), [])
        link.synced_at = utcnow()
        if len(parties) > 1:
            link.state, link.candidates, link.remote_id = "ambiguous", [p.id for p in parties], None
        elif parties:
            party = parties[0]
            # an existing party is the brand's record: its name and company come back to the profile
            pulled = {"name": party.name or local["name"], "company": party.company or local["company"]}
            if party.name and party.name != local["name"]:
                profile.full_name = party.name[:120]
            if party.company and party.company != profile.company:
                profile.company = party.company[:120]
            if not party.company and local["company"]:
                conn.update_party(party.id, company=local["company"])
            link.remote_id, link.snapshot, link.state, link.candidates = party.id, {"local": pulled,
                                                                                  "remote": pulled}, "linked", []
        else:
            to_create.append((link, local, member.email))
    people = [(local["name"], email, local["company"]) for _link_, local, email in to_create]
    try:
        ids = conn.create_parties(people)
    except connectors.Rejected:
        ids = []  # one refused address must not hold up the batch: one by one, the refused ones are marked
        for person in people:
            try:
                ids.append(conn.create_party(*person))
            except connectors.Rejected as exc:
                ids.append(exc)
    for (link, local, _email), remote_id in zip(to_create, ids, strict=True):
        if isinstance(remote_id, Exception):
            # shown on /crm/sync; linked again when the member's address changes (the link is then dropped)
            link.state, link.remote_id, link.conflict = "refused", None, {"error": str(remote_id)[:300]}
            continue
        link.remote_id, link.snapshot, link.state, link.candidates = remote_id, {"local": local, "remote": local}, \
            "linked", []
    db.session.flush()
    return links


def _three_way(link: SyncLink, here: dict, there: dict) -> tuple[dict, dict] | None:
    """The conflict rule. Return (push, pull) or None when a field changed on both sides to different values
    (the link is then marked conflict). Staff's pick (`resolution`) settles every such field one way."""
    base_here = (link.snapshot or {}).get("local", {})
    base_there = (link.snapshot or {}).get("remote", {})
    push, pull, clashes = {}, {}, {}
    for field, value in here.items():
        changed_here = value != base_here.get(field)
        changed_there = there.get(field) != base_there.get(field)
        if changed_here and changed_there:
            if link.resolution == "here":
                push[field] = value
            elif link.resolution == "there":
                pull[field] = there.get(field)
            else:
                clashes[field] = {"here": value, "there": there.get(field)}
        elif changed_here:
            push[field] = value
        elif changed_there:
            pull[field] = there.get(field)
    if clashes:
        link.state, link.conflict = "conflict", clashes
        return None
    link.state, link.conflict, link.resolution = "linked", {}, None
    return push, pull


def reconcile_members(conn, links: list[SyncLink]) -> int:
    parties = conn.read_parties([link.remote_id for link in links])
    members = {m.id: m for m in db.session.scalars(select(Member).where(Member.id.in_([k.local_id for k in links])))}
    changed = 0
    for link in links:
        member, party = members.get(link.local_id), parties.get(link.remote_id)
        if member is None or party is None or link.state == "conflict" and link.resolution is None:
            continue
        profile = _profile(member)
        here = _member_local(member, profile)
        there = {"name": party.name, "company": party.company}
        outcome = _three_way(link, here, there)
        if outcome is None:
            changed += 1
            continue
        push, pull = outcome
        if push:
            conn.update_party(party.id, **push)
            there.update(push)
        if "name" in pull:
            profile.full_name = (pull["name"] or "")[:120]
        if "company" in pull:
            profile.company = (pull["company"] or "")[:120]
        here.update(pull)
        if push or pull:
            changed += 1
            link.snapshot, link.synced_at = {"local": here, "remote": there}, utcnow()
    return changed


def reconcile_cases(conn, links: list[SyncLink]) -> int:
    remote = conn.read_cases([link.remote_id for link in links])
    cases = {c.id: c for c in db.session.scalars(select(Case).where(Case.id.in_([k.local_id for k in links])))}
    changed = 0
    for link in links:
        case, there = cases.get(link.local_id), remote.get(link.remote_id)
        if case is None or there is None or link.state == "conflict" and link.resolution is None:
            continue
        if there.order_id and not case.order_ref:  # the complaint's origin: the sale it concerns
            number = db.session.scalar(select(CrmOrder.number).where(CrmOrder.connector == conn.name,
                                                                     CrmOrder.remote_id == there.order_id))
            if number:
                case.order_ref = number
        # compare Tryton's own state (several map to one status) so that a push is not read back as a change
        outcome = _three_way(link, {"status": case.status.value}, {"status": there.state})
        if outcome is None:
            changed += 1
            continue
        push, pull = outcome
        state = there.state
        if push:
            conn.set_case_status(there.id, push["status"])
            state = conn.read_cases([there.id])[there.id].state
        if pull and case.merged_into_id is None:
            status = connectors.tryton.TRYTON_TO_CASE.get(pull["status"]) if conn.name == "tryton" else None
            status = status or there.status
            if status != case.status.value:
                change_case_status(case, CaseStatus(status))
        if push or pull:
            changed += 1
            link.snapshot = {"local": {"status": case.status.value}, "remote": {"status": state}}
            link.synced_at = utcnow()
    return changed


def reconcile_leads(conn, links: list[SyncLink]) -> int:
    remote = conn.read_leads([link.remote_id for link in links])
    leads = {x.id: x for x in db.session.scalars(select(Lead).where(Lead.id.in_([k.local_id for k in links])))}
    changed = 0
    for link in links:
        lead, there = leads.get(link.local_id), remote.get(link.remote_id)
        if lead is None or there is None or link.state == "conflict" and link.resolution is None:
            continue
        if there.order_id and not lead.order_ref:
            number = db.session.scalar(select(CrmOrder.number).where(CrmOrder.connector == conn.name,
                                                                     CrmOrder.remote_id == there.order_id))
            if number:
                lead.order_ref = number
        here = {"stage": lead.stage.value, "value": _money(lead.value)}
        outcome = _three_way(link, here, {"stage": there.state, "value": there.value})
        if outcome is None:
            changed += 1
            continue
        push, pull = outcome
        state, value = there.state, there.value
        if push:
            conn.update_lead(there.id, stage=push.get("stage"), value=push.get("value"))
            fresh = conn.read_leads([there.id])[there.id]
            state, value = fresh.state, fresh.value
        if "stage" in pull:
            stage = connectors.tryton.TRYTON_TO_LEAD.get(pull["stage"]) if conn.name == "tryton" else None
            stage = stage or there.stage
            if stage != lead.stage.value:
                change_lead_stage(lead, LeadStage(stage))
        if "value" in pull:
            lead.value = Decimal(pull["value"])
        if push or pull:
            changed += 1
            link.snapshot = {"local": {"stage": lead.stage.value, "value": _money(lead.value)},
                             "remote": {"stage": state, "value": value}}
            link.synced_at = utcnow()
    return changed


def push_staff_notes(conn, limit: int = 200) -> int:
    """Staff notes of linked members that are not on the party yet -> ir.note (keyed by the note's id)."""
    sent = select(SyncLink.local_id).where(SyncLink.connector == conn.name, SyncLink.kind == "note")
    rows = db.session.execute(
        select(StaffNote, SyncLink.remote_id).join(CrmProfile, CrmProfile.id == StaffNote.profile_id)
        .join(SyncLink, (SyncLink.local_id == CrmProfile.member_id) & (SyncLink.kind == "member")
              & (SyncLink.connector == conn.name) & SyncLink.remote_id.is_not(None))
        .where(StaffNote.id.not_in(sent)).order_by(StaffNote.id).limit(limit)).all()
    for note, party in rows:
        author = note.author.username if note.author is not None else "staff"
        conn.add_note(party, f"Staff note by {author}, {note.created_at:%Y-%m-%d}:\n{note.body}",
                      _key("note", note.id, note.created_at))
        db.session.add(SyncLink(connector=conn.name, kind="note", local_id=note.id, remote_id=party,
                                synced_at=utcnow()))
        db.session.commit()
    return len(rows)


def read_orders(conn, links: list[SyncLink]) -> int:
    """The members' orders onto their profile (crm_orders) and, when first seen, their timeline."""
    by_party = {link.remote_id: link.local_id for link in links if link.remote_id}
    orders = conn.orders(sorted(by_party))
    known = {o.remote_id: o for o in db.session.scalars(select(CrmOrder).where(
        CrmOrder.connector == conn.name, CrmOrder.remote_id.in_([o.id for o in orders])))}
    for order in orders:
        member_id = by_party.get(order.party_id)
        if member_id is None:
            continue
        row = known.get(order.id)
        values = {"number": order.number[:64], "amount": Decimal(order.amount), "currency": order.currency[:3],
                  "state": order.state[:32], "products": order.products[:50], "member_id": member_id,
                  "ordered_on": date.fromisoformat(order.date) if order.date else None, "synced_at": utcnow()}
        if row is None:
            db.session.add(CrmOrder(connector=conn.name, remote_id=order.id, **values))
            occurred = datetime.combine(values["ordered_on"], datetime.min.time()).replace(
                tzinfo=utcnow().tzinfo) if values["ordered_on"] else utcnow()
            db.session.add(TimelineEvent(member_id=member_id, kind="order", occurred_at=occurred,
                                         excerpt=", ".join(order.products)[:300],
                                         data={"number": order.number, "amount": order.amount,
                                               "currency": order.currency, "state": order.state}))
        else:
            for key, value in values.items():
                setattr(row, key, value)
    return len(orders)


def reconcile(conn, batch: int | None = None) -> int:
    """Link verified members, compare every link, push staff notes, read orders; commit per batch."""
    size = batch or int(_setting("SYNC_BATCH_SIZE"))
    done = 0
    linked = select(SyncLink.local_id).where(SyncLink.connector == conn.name, SyncLink.kind == "member")
    while True:
        members = db.session.scalars(select(Member).where(Member.deleted_at.is_(None),
                                                          Member.email_verified_at.is_not(None),
                                                          Member.id.not_in(linked))
                                     .order_by(Member.id).limit(size)).all()
        if not members:
            break
        link_members(conn, members)
        db.session.commit()
        done += len(members)
    for kind, compare in (("member", reconcile_members), ("case", reconcile_cases), ("lead", reconcile_leads)):
        last = 0
        while True:
            links = db.session.scalars(select(SyncLink).where(
                SyncLink.connector == conn.name, SyncLink.kind == kind, SyncLink.id > last,
                SyncLink.remote_id.is_not(None)).order_by(SyncLink.id).limit(size)).all()
            if not links:
                break
            done += compare(conn, links)
            if kind == "member":
                read_orders(conn, links)
            db.session.commit()
            last = links[-1].id
    done += push_staff_notes(conn)
    return done


# ---- the pass --------------------------------------------------------------------------------------------

def _pause(name: str, reason: str) -> None:
    state = _state(name)
    first = state.paused_at is None
    state.paused_at = state.paused_at or utcnow()
    state.pause_reason = reason[:300]
    if first:
        staff = db.session.scalars(select(Member).where(Member.role.in_((Role.staff, Role.admin)),
                                                        Member.deleted_at.is_(None))).all()
        notify_many(staff, "crm_sync_paused", data={"connector": name, "reason": reason[:200]})
    db.session.commit()
    log.warning("CRM sync with %s paused: %s", name, reason)


def sync_once(conn=None) -> dict:
    """One pass: collect, deliver, reconcile. Return what happened ({"paused": reason} when the CRM is down)."""
    conn = conn or connector()
    if conn is None:
        return {"configured": False}
    state = _state(conn.name)
    state.last_pass_at = utcnow()
    db.session.commit()
    try:
        if state.paused_at is not None:
            conn.ping()
            state.paused_at, state.pause_reason = None, ""
            db.session.commit()
        queued = 0
        while True:
            got = collect(conn.name)
            queued += got
            if not db.session.scalar(select(func.count(OutboxEvent.id)).where(
                    OutboxEvent.id > _state(conn.name).outbox_cursor)):
                break
        delivered = 0
        while True:
            did = deliver(conn)
            delivered += did
            if not did:
                break
        reconciled = reconcile(conn)
    except connectors.Unavailable as exc:
        db.session.rollback()
        _pause(conn.name, str(exc))
        return {"paused": str(exc)}
    state = _state(conn.name)
    state.last_ok_at = utcnow()
    db.session.commit()
    return {"queued": queued, "delivered": delivered, "reconciled": reconciled}


def run(stop: threading.Event | None = None) -> None:
    """Sync until stopped (the worker runs this in a thread while TRYTON_URL is set)."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            sync_once()
        except Exception:  # the loop keeps going: a database blip must not end the sync for good
            db.session.rollback()
            log.exception("CRM sync pass failed")
        finally:
            db.session.remove()
        stop.wait(float(_setting("SYNC_POLL_SECONDS")))


def start_in_thread(app) -> threading.Thread | None:
    """Run the sync loop in a daemon thread when the app has TRYTON_URL."""
    if not app.config.get("TRYTON_URL"):
        return None

    def loop():
        with app.app_context():
            run()

    thread = threading.Thread(target=loop, name="crm-sync", daemon=True)
    thread.start()
    return thread


# ---- staff actions (from /crm/sync) --------------------------------------------------------------------

def resolve_conflict(link: SyncLink, side: str) -> None:
    """Staff pick a side for a conflict: `here` pushes our values, `there` takes the CRM's (next pass)."""
    if side not in ("here", "there"):
        raise ValueError(side)
    link.resolution = side


def retry_item(item: SyncItem) -> None:
    item.status, item.attempts, item.next_attempt_at, item.last_error = "pending", 0, utcnow(), ""


def status(name: str) -> dict:
    """What /crm/sync shows: the pause, the counts, failed items and conflicts."""
    state = db.session.get(SyncState, name)
    counts = dict(db.session.execute(select(SyncItem.status, func.count(SyncItem.id))
                                     .where(SyncItem.connector == name).group_by(SyncItem.status)).all())
    links = dict(db.session.execute(select(SyncLink.state, func.count(SyncLink.id))
                                    .where(SyncLink.connector == name).group_by(SyncLink.state)).all())
    failed = db.session.scalars(select(SyncItem).where(SyncItem.connector == name, SyncItem.status == "failed")
                                .order_by(SyncItem.id.desc()).limit(50)).all()
    pending = db.session.scalars(select(SyncItem).where(SyncItem.connector == name, SyncItem.status == "pending")
                                 .order_by(SyncItem.id).limit(50)).all()
    conflicts = db.session.scalars(select(SyncLink).where(SyncLink.connector == name,
                                                          SyncLink.state.in_(("conflict", "ambiguous", "refused")))
                                   .order_by(SyncLink.id).limit(50)).all()
    return {"state": state, "pending_count": counts.get("pending", 0), "failed_count": counts.get("failed", 0),
            "done_count": counts.get("done", 0), "linked_count": links.get("linked", 0),
            "conflict_count": links.get("conflict", 0), "ambiguous_count": links.get("ambiguous", 0),
            "refused_count": links.get("refused", 0),
            "failed": failed, "pending": pending, "conflicts": conflicts}


# ---- erasure ------------------------------------------------------------------------------------------

def on_member_deleting(member, **_kw) -> None:
    """An account deleted: drop its links and orders here, queue the erasure of its party there (same
    transaction; the party is deactivated and its personal fields cleared by the next pass)."""
    if not has_app_context() or member.id is None:
        return
    links = db.session.scalars(select(SyncLink).where(SyncLink.kind == "member", SyncLink.local_id == member.id)).all()
    for link in links:
        if link.remote_id is not None:
            db.session.add(SyncItem(connector=link.connector, event_id=f"erase-{uuid.uuid4()}", kind="erase",
                                    remote_id=link.remote_id, payload={}, created_at=utcnow(),
                                    next_attempt_at=utcnow()))
        db.session.delete(link)
    db.session.execute(delete(CrmOrder).where(CrmOrder.member_id == member.id),
                       execution_options={"synchronize_session": False})
    # queued items naming the member go: the erasure is the last word
    db.session.execute(delete(SyncItem).where(SyncItem.kind.in_(("member", "note")), SyncItem.local_id == member.id,
                                              SyncItem.status != "done"),
                       execution_options={"synchronize_session": False})


def connect() -> None:
    signals.member_deleting.connect(on_member_deleting, weak=False)


def member_orders(member_id: int, limit: int = 20) -> list[CrmOrder]:
    """The member's orders for the CRM profile, newest first."""
    return db.session.scalars(select(CrmOrder).where(CrmOrder.member_id == member_id)
                              .order_by(CrmOrder.ordered_on.desc().nulls_last(), CrmOrder.id.desc())
                              .limit(limit)).all()
