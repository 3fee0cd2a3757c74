"""Service cases: a complaint, a bug report or an overdue question that the brand owns until it is resolved.

A case has an owner, a priority, a status (new, open, waiting for the customer, resolved, closed), an SLA
clock (first response and resolution, paused while the case waits on the customer) and internal notes.
It is linked to one or more threads (`crm_case_thread`); merging moves the threads of the others onto one
case and marks the others closed with `merged_into_id`.

Every change writes an **outbox event** in the same transaction (crm_bridge/outbox.py: `case.opened`,
`case.changed`, `case.merged`), so connectors (crm_bridge/connectors/) and webhooks pick it up after commit.
"""
from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.dbtypes import UTCDateTime, enum_type, utcnow
from community.errors import ValidationFailed
from community.extensions import db
from community.forum.models import Thread
from community.members.models import Member

from .outbox import write


class CaseStatus(str, enum.Enum):
    new = "new"
    open = "open"
    waiting = "waiting"    # waiting for the customer: the SLA clock is paused
    resolved = "resolved"
    closed = "closed"


STATUS_LABELS = {CaseStatus.new: _l("New"), CaseStatus.open: _l("Open"),
                 CaseStatus.waiting: _l("Waiting for the customer"), CaseStatus.resolved: _l("Resolved"),
                 CaseStatus.closed: _l("Closed")}


class CasePriority(str, enum.Enum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


PRIORITY_LABELS = {CasePriority.low: _l("Low"), CasePriority.normal: _l("Normal"), CasePriority.high: _l("High"),
                   CasePriority.urgent: _l("Urgent")}
TITLE_MAX = 200
NOTE_MAX = 5000

case_threads = Table(
    "crm_case_thread", db.metadata,
    Column("case_id", ForeignKey("crm_case.id", ondelete="CASCADE"), primary_key=True),
    Column("thread_id", ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Case(db.Model):
    """One service case about one or more of a member's threads."""
    __tablename__ = "crm_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[CaseStatus] = mapped_column(enum_type(CaseStatus), default=CaseStatus.new, index=True)
    priority: Mapped[CasePriority] = mapped_column(enum_type(CasePriority), default=CasePriority.normal)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    # what the case came from: complaint, bug, question (overdue), staff
    source: Mapped[str] = mapped_column(String(16), default="staff")
    board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id", ondelete="SET NULL"), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)  # time spent waiting for the customer
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("crm_case.id", ondelete="SET NULL"))
    answer_post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    order_ref: Mapped[str | None] = mapped_column(String(64))  # an order number in the external CRM/ERP
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    member: Mapped[Member | None] = relationship(foreign_keys=[member_id])
    owner: Mapped[Member | None] = relationship(foreign_keys=[owner_id])
    threads: Mapped[list[Thread]] = relationship(secondary=case_threads, order_by=Thread.id)
    merged_into: Mapped[Case | None] = relationship(remote_side=[id], foreign_keys=[merged_into_id])


class CaseNote(db.Model):
    """An internal note on a case: staff only, stored encrypted."""
    __tablename__ = "crm_case_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("crm_case.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[Member | None] = relationship(foreign_keys=[author_id])


# ---- services (they flush, never commit: the caller owns the transaction) ----------------------------

def _payload(case: Case) -> dict:
    """What a case event carries: the case's fields, never its notes."""
    def iso(value):
        return value.isoformat() if value is not None else None
    return {"id": case.id, "member_id": case.member_id, "title": case.title, "status": case.status.value,
            "priority": case.priority.value, "owner_id": case.owner_id, "source": case.source,
            "board_id": case.board_id, "thread_ids": [t.id for t in case.threads], "order_ref": case.order_ref,
            "opened_at": iso(case.opened_at), "first_response_at": iso(case.first_response_at),
            "resolved_at": iso(case.resolved_at), "closed_at": iso(case.closed_at),
            "merged_into_id": case.merged_into_id, "answer_post_id": case.answer_post_id}


def _emit(event_type: str, case: Case, by=None, **extra) -> None:
    db.session.flush()
    write(event_type, {"case": _payload(case), "by": None if by is None else {"id": by.id, "username": by.username},
                       **extra})


def case_for_thread(thread_id: int) -> Case | None:
    """Return the live (not merged away) case a thread belongs to, newest first."""
    return db.session.scalar(
        select(Case).join(case_threads, case_threads.c.case_id == Case.id)
        .where(case_threads.c.thread_id == thread_id, Case.merged_into_id.is_(None))
        .order_by(Case.id.desc()).limit(1))


def open_case(member: Member | None, title: str, *, threads=(), by: Member | None = None, source: str = "staff",
              priority: CasePriority | str = CasePriority.normal, owner: Member | None = None,
              order_ref: str | None = None, opened_at: datetime | None = None) -> Case:
    """Open a case for `member` about `threads` (a thread already in a live case gets that case back)."""
    threads = list(threads)
    for thread in threads:
        existing = case_for_thread(thread.id)
        if existing is not None:
            return existing
    title = (title or "").strip()
    if not title:
        raise ValidationFailed(_l("A case needs a title."), {"title": _l("Required.")})
    try:
        priority = CasePriority(getattr(priority, "value", priority))
    except ValueError as exc:
        raise ValidationFailed(_l("Unknown priority."), {"priority": _l("Unknown priority.")}) from exc
    now = opened_at or utcnow()
    case = Case(member_id=getattr(member, "id", None), title=title[:TITLE_MAX], priority=priority,
                owner_id=getattr(owner, "id", None), source=source[:16], order_ref=(order_ref or None),
                board_id=threads[0].board_id if threads else None, opened_at=now, created_at=now, updated_at=now,
                status=CaseStatus.open if owner is not None else CaseStatus.new)
    case.threads = threads
    db.session.add(case)
    _emit("case.opened", case, by)
    return case


def _unpause(case: Case, now: datetime) -> None:
    if case.waiting_since is not None:
        case.paused_seconds = (case.paused_seconds or 0) + max(0, int((now - case.waiting_since).total_seconds()))
        case.waiting_since = None


def set_case_status(case: Case, status: CaseStatus | str, by: Member | None = None, *, answer_post=None,
                    now: datetime | None = None) -> Case:
    """Move a case to `status`, keeping the SLA clock: paused while waiting, stopped when resolved."""
    try:
        status = CaseStatus(getattr(status, "value", status))
    except ValueError as exc:
        raise ValidationFailed(_l("Unknown status."), {"status": _l("Unknown status.")}) from exc
    if case.merged_into_id is not None:
        raise ValidationFailed(_l("This case was merged into another; change that one."))
    if status is case.status and answer_post is None:
        return case
    now = now or utcnow()
    previous = case.status
    if status is CaseStatus.waiting:
        case.waiting_since = case.waiting_since or now
    else:
        _unpause(case, now)
    if status in (CaseStatus.resolved, CaseStatus.closed):
        case.resolved_at = case.resolved_at or now
        if status is CaseStatus.closed:
            case.closed_at = case.closed_at or now
    else:
        case.resolved_at = None
        case.closed_at = None
    if answer_post is not None:
        case.answer_post_id = answer_post.id
    case.status = status
    case.updated_at = now
    _emit("case.changed", case, by, previous_status=previous.value)
    return case


def set_case_fields(case: Case, by: Member | None = None, *, owner=..., priority=None, title=None,
                    order_ref=...) -> Case:
    """Change a case's owner, priority, title or order reference (only what is given)."""
    if priority is not None:
        try:
            case.priority = CasePriority(getattr(priority, "value", priority))
        except ValueError as exc:
            raise ValidationFailed(_l("Unknown priority."), {"priority": _l("Unknown priority.")}) from exc
    if owner is not ...:
        case.owner_id = getattr(owner, "id", None)
        if owner is not None and case.status is CaseStatus.new:
            case.status = CaseStatus.open
    if title is not None:
        if not title.strip():
            raise ValidationFailed(_l("A case needs a title."), {"title": _l("Required.")})
        case.title = title.strip()[:TITLE_MAX]
    if order_ref is not ...:
        case.order_ref = (order_ref or "").strip()[:64] or None
    case.updated_at = utcnow()
    _emit("case.changed", case, by, previous_status=case.status.value)
    return case


def merge_cases(target: Case, others, by: Member | None = None) -> Case:
    """Fold `others` into `target`: their threads move over, they close with `merged_into_id` set."""
    now = utcnow()
    others = [c for c in others if c.id != target.id]
    if target.merged_into_id is not None:
        raise ValidationFailed(_l("Merge into a case that was not itself merged."))
    threads = list(target.threads)
    for other in others:
        for thread in other.threads:
            if thread not in threads:
                threads.append(thread)
        other.threads = []
        other.merged_into_id = target.id
        _unpause(other, now)
        other.status = CaseStatus.closed
        other.closed_at = other.closed_at or now
        other.resolved_at = other.resolved_at or now
        other.updated_at = now
        if target.first_response_at is None or (other.first_response_at and other.first_response_at < target.first_response_at):
            target.first_response_at = other.first_response_at or target.first_response_at
        if other.opened_at < target.opened_at:
            target.opened_at = other.opened_at
    db.session.flush()
    target.threads = threads
    target.updated_at = now
    _emit("case.merged", target, by, merged_ids=[c.id for c in others])
    return target


def add_case_note(case: Case, author: Member, body: str) -> CaseNote:
    """Add an internal note to a case (staff only; stored encrypted)."""
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(_l("Write a note first."), {"body": _l("Required.")})
    if len(body) > NOTE_MAX:
        raise ValidationFailed(_l("A note is at most %(n)d characters.", n=NOTE_MAX), {"body": _l("Too long.")})
    note = CaseNote(case_id=case.id, author_id=author.id, body=body)
    db.session.add(note)
    db.session.flush()
    return note


def record_response(case: Case, at: datetime) -> None:
    """Stamp the case's first response (a staff reply on one of its threads) and open a new case."""
    if case.first_response_at is None:
        case.first_response_at = at
        if case.status is CaseStatus.new:
            case.status = CaseStatus.open
        _emit("case.changed", case, None, previous_status=CaseStatus.new.value)
