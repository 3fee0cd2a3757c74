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
import statistics
from datetime import datetime, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Column, ForeignKey, Integer, String, Table, func, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from community import signals
from community.crypto import EncryptedText
from community.dbtypes import UTCDateTime, enum_type, utcnow
from community.errors import ValidationFailed
from community.extensions import db
from community.forum.models import Board, Thread
from community.members.models import Member, Role

from . import feedback as fb
from . import timeline
from .models import FeedbackItem, FeedbackKind
from .outbox import write
from .permissions import can_view_crm
from .subscribe import connect_all
from .thread_rows import post_thread_rows


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
    body: Mapped[str] = mapped_column(EncryptedText)
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
    if member is not None:
        timeline.record(member, "case_opened", at=now, thread=threads[0] if threads else None, actor=by,
                        active=False, title=case.title, case_id=case.id)
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
    if (status in (CaseStatus.resolved, CaseStatus.closed) and previous not in (CaseStatus.resolved, CaseStatus.closed)
            and case.member is not None):
        timeline.record(case.member, "case_resolved", at=now, thread=case.threads[0] if case.threads else None,
                        actor=by, active=False, title=case.title, case_id=case.id, status=status.value)
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


# ---- where cases come from ---------------------------------------------------------------------------

AUTO_KINDS = (FeedbackKind.complaint, FeedbackKind.bug)


def _auto_open(thread: Thread, kind) -> None:
    if kind in AUTO_KINDS and thread.author is not None and thread.author.deleted_at is None \
            and case_for_thread(thread.id) is None:
        open_case(thread.author, thread.title, threads=[thread], source=kind.value, opened_at=thread.created_at)


def on_thread_created(thread, post=None, **_kw):
    """A complaint or a bug report becomes a case in the thread's own transaction."""
    _auto_open(thread, fb.classify(thread, [t.name for t in thread.tags]))


def on_thread_retagged(thread, **_kw):
    item = fb.item_for(thread.id)
    _auto_open(thread, item.kind if item is not None else fb.classify(thread, [t.name for t in thread.tags]))


def on_post_created(post, **_kw):
    """A staff reply is the case's first response; the customer writing back ends a wait for them."""
    if post.author is None or getattr(post, "is_whisper", False) or getattr(post, "pending", False):
        return
    case_id = post_thread_rows(post)[1]  # asked with the feedback item's id (feedback.on_post_created)
    if case_id is None:
        return
    case = db.session.get(Case, case_id)
    at = post.created_at or utcnow()
    if post.author.is_staff:
        record_response(case, at)
    elif case.status is CaseStatus.waiting and post.author_id == case.member_id:
        set_case_status(case, CaseStatus.open, None, now=at)


def on_answer_accepted(post, thread=None, by=None, **_kw):
    """An accepted answer on a case's thread is the answer the member sees linked when the case resolves."""
    case = case_for_thread((thread or post.thread).id)
    if case is not None and case.answer_post_id is None:
        case.answer_post_id = post.id


_SUBSCRIPTIONS = {signals.thread_created: on_thread_created, signals.thread_retagged: on_thread_retagged,
                  signals.post_created: on_post_created, signals.answer_accepted: on_answer_accepted}


def connect() -> None:
    connect_all(_SUBSCRIPTIONS)


def open_overdue_questions(now: datetime | None = None) -> int:
    """Open a case for every question past its response target that has none (the scheduler runs it)."""
    opened = 0
    for item in db.session.scalars(fb.overdue_query(now).where(FeedbackItem.kind == FeedbackKind.question)):
        thread = item.thread
        if case_for_thread(thread.id) is None and thread.author is not None and thread.author.deleted_at is None:
            open_case(thread.author, thread.title, threads=[thread], source="question", opened_at=now or utcnow())
            opened += 1
    return opened


def open_case_for_thread(thread: Thread, by: Member, *, priority: str = "normal") -> Case:
    """Open (or find) the case for a thread, from the thread page, the feedback list or the response queue."""
    item = fb.item_for(thread.id)
    source = item.kind.value if item is not None else "staff"
    return open_case(thread.author if thread.author is not None and thread.author.deleted_at is None else None,
                     thread.title, threads=[thread], by=by, source=source, priority=priority, owner=by)


# ---- lists and the SLA report -------------------------------------------------------------------------

def cases_query(*, status: str = "", priority: str = "", owner_id: int | None = None, unowned: bool = False,
                board_id: int | None = None, q: str = "", include_merged: bool = False):
    """Cases matching the staff list's filters, the most urgent first, then the longest open."""
    query = select(Case)
    query = query.options(selectinload(Case.member), selectinload(Case.owner))  # a page's rows: three queries
    if not include_merged:
        query = query.where(Case.merged_into_id.is_(None))
    if status == "active":
        query = query.where(Case.status.in_((CaseStatus.new, CaseStatus.open, CaseStatus.waiting)))
    elif status in CaseStatus.__members__:
        query = query.where(Case.status == status)
    if priority in CasePriority.__members__:
        query = query.where(Case.priority == priority)
    if owner_id is not None:
        query = query.where(Case.owner_id == owner_id)
    elif unowned:
        query = query.where(Case.owner_id.is_(None))
    if board_id is not None:
        query = query.where(Case.board_id == board_id)
    if q:
        like = f"%{q.strip().casefold()}%"
        query = query.where(or_(func.lower(Case.title).like(like), func.lower(Case.order_ref).like(like)))
    rank = sql_case({"urgent": 0, "high": 1, "normal": 2, "low": 3}, value=Case.priority, else_=4)
    return query.order_by(rank, Case.opened_at.asc(), Case.id.asc())


def staff_members() -> list[Member]:
    return db.session.scalars(select(Member).where(Member.role.in_((Role.staff, Role.admin)),
                                                   Member.deleted_at.is_(None)).order_by(Member.username_key)).all()


def first_response_hours(case: Case) -> float | None:
    if case.first_response_at is None:
        return None
    return max(0.0, (case.first_response_at - case.opened_at).total_seconds() / 3600)


def resolution_hours(case: Case) -> float | None:
    """Hours from opening to resolution, less the time spent waiting for the customer."""
    if case.resolved_at is None:
        return None
    return max(0.0, ((case.resolved_at - case.opened_at).total_seconds() - (case.paused_seconds or 0)) / 3600)


def _p90(values: list[float]) -> float | None:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * 0.9))], 1) if values else None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def sla_report(weeks: int = 12, now: datetime | None = None) -> dict:
    """Median and 90th percentile first response and resolution hours, by ISO week opened and by board.

    One query over the cases opened in the last `weeks` weeks (merged-away cases left out: their time
    counts in the case they joined).
    """
    now = now or utcnow()
    start = (now - timedelta(weeks=weeks - 1)).date()
    start = start - timedelta(days=start.weekday())
    rows = db.session.execute(
        select(Case.opened_at, Case.first_response_at, Case.resolved_at, Case.paused_seconds, Case.board_id,
               Board.name)
        .outerjoin(Board, Board.id == Case.board_id)
        .where(Case.merged_into_id.is_(None), Case.opened_at >= datetime.combine(start, datetime.min.time(), now.tzinfo))
    ).all()
    weeks_out = []
    by_week: dict = {}
    by_board: dict = {}
    for opened, first, resolved, paused, board_id, board_name in rows:
        week = opened.date() - timedelta(days=opened.date().weekday())
        first_h = (first - opened).total_seconds() / 3600 if first else None
        res_h = max(0.0, ((resolved - opened).total_seconds() - (paused or 0)) / 3600) if resolved else None
        for bucket in (by_week.setdefault(week, {"cases": 0, "first": [], "resolution": []}),
                       by_board.setdefault((board_id, board_name or ""), {"cases": 0, "first": [], "resolution": []})):
            bucket["cases"] += 1
            if first_h is not None:
                bucket["first"].append(max(0.0, first_h))
            if res_h is not None:
                bucket["resolution"].append(res_h)

    def figures(bucket):
        return {"cases": bucket["cases"], "first_median": _median(bucket["first"]), "first_p90": _p90(bucket["first"]),
                "resolution_median": _median(bucket["resolution"]), "resolution_p90": _p90(bucket["resolution"])}
    for n in range(weeks):
        week = start + timedelta(weeks=n)
        weeks_out.append((week, figures(by_week.get(week, {"cases": 0, "first": [], "resolution": []}))))
    boards = sorted(((name, figures(b)) for (_id, name), b in by_board.items()), key=lambda r: str(r[0]))
    return {"weeks": weeks_out, "boards": boards}


def notice_for(thread: Thread) -> dict | None:
    """What the thread page tells the reader about the brand's case: its author and staff only (never cached:
    the page cache serves guests alone)."""
    if not getattr(current_user, "is_authenticated", False):
        return None
    staff = can_view_crm(current_user)
    if not staff and thread.author_id != current_user.id:
        return None
    case = case_for_thread(thread.id)
    if case is None:
        return None
    answer_url = url_for("forum.post", post_id=case.answer_post_id) if case.answer_post_id else None
    return {"id": case.id, "status": case.status.value, "answer_url": answer_url, "staff": staff}
