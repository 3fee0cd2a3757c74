"""Sales leads: a member who asked about buying, pricing or upgrading, with a stage, a value and an owner.

Staff mark a thread as a lead, or a rule (board, tags, keywords) suggests one for staff to confirm
(`confirmed_at` is None until they do). No lead is made for a member who declined marketing contact.

Every change writes an **outbox event** in the same transaction (crm_bridge/outbox.py: `lead.created`,
`lead.changed`), so connectors and webhooks pick it up after commit.
"""
from __future__ import annotations

import enum
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Numeric, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from community import signals
from community.dbtypes import UTCDateTime, enum_type, utcnow
from community.errors import ValidationFailed
from community.extensions import db
from community.forum.models import Thread
from community.members.models import Member, Role

from . import timeline
from .outbox import write
from .subscribe import connect_all


class LeadStage(str, enum.Enum):
    new = "new"
    qualified = "qualified"
    won = "won"
    lost = "lost"


STAGE_LABELS = {LeadStage.new: _l("New"), LeadStage.qualified: _l("Qualified"), LeadStage.won: _l("Won"),
                LeadStage.lost: _l("Lost")}
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
VALUE_MAX = Decimal("9999999999.99")


class Lead(db.Model):
    """A sales opportunity from a member, linked to their profile and (usually) the thread it came from."""
    __tablename__ = "crm_lead"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    stage: Mapped[LeadStage] = mapped_column(enum_type(LeadStage), default=LeadStage.new, index=True)
    value: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    source: Mapped[str] = mapped_column(String(16), default="staff")  # staff, or rule (a suggestion)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # None: a rule's suggestion
    order_ref: Mapped[str | None] = mapped_column(String(64))  # an order number in the external CRM/ERP
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    member: Mapped[Member | None] = relationship(foreign_keys=[member_id])
    owner: Mapped[Member | None] = relationship(foreign_keys=[owner_id])
    thread: Mapped[Thread | None] = relationship(foreign_keys=[thread_id])


# ---- services (they flush, never commit) -------------------------------------------------------------

def _payload(lead: Lead) -> dict:
    return {"id": lead.id, "member_id": lead.member_id, "thread_id": lead.thread_id, "title": lead.title,
            "stage": lead.stage.value, "value": None if lead.value is None else str(lead.value),
            "currency": lead.currency, "owner_id": lead.owner_id, "source": lead.source,
            "confirmed": lead.confirmed_at is not None, "order_ref": lead.order_ref}


def _emit(event_type: str, lead: Lead, by=None, **extra) -> None:
    db.session.flush()
    write(event_type, {"lead": _payload(lead), "by": None if by is None else {"id": by.id, "username": by.username},
                       **extra})


class ContactDeclined(ValidationFailed):
    code = "consent_declined"


def may_contact(member: Member) -> bool:
    """A lead needs a member who did not decline marketing contact (consent asked and refused)."""
    return not (member.consent_marketing_at is not None and not member.consent_marketing)


def lead_for_thread(thread_id: int) -> Lead | None:
    return db.session.scalar(select(Lead).where(Lead.thread_id == thread_id).order_by(Lead.id.desc()).limit(1))


def parse_value(value) -> Decimal | None:
    """A lead's value from a form or JSON: empty for none, else a non-negative amount with two decimals."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", "")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed(_l("The value must be an amount like 1200.50."), {"value": _l("Not an amount.")}) from exc
    if amount < 0 or amount > VALUE_MAX:
        raise ValidationFailed(_l("The value must be between 0 and 9,999,999,999.99."), {"value": _l("Out of range.")})
    return amount


def create_lead(member: Member, *, thread: Thread | None = None, by: Member | None = None, title: str = "",
                value=None, currency: str = "USD", owner: Member | None = None, suggested: bool = False,
                order_ref: str | None = None) -> Lead:
    """Make a lead for `member` (from `thread`); a rule's suggestion waits for staff to confirm it.

    Refused for a member who declined marketing contact; a thread that already has a lead returns it.
    """
    if member is None or member.deleted_at is not None:
        raise ValidationFailed(_l("A lead needs a member."))
    if not may_contact(member):
        raise ContactDeclined(_l("%(name)s declined marketing contact: no lead is made.", name=member.username))
    if thread is not None:
        existing = lead_for_thread(thread.id)
        if existing is not None:
            return existing
    currency = (currency or "USD").strip().upper()
    if not CURRENCY_RE.match(currency):
        raise ValidationFailed(_l("A currency is three letters, like USD."), {"currency": _l("Three letters.")})
    now = utcnow()
    lead = Lead(member_id=member.id, thread_id=getattr(thread, "id", None),
                title=(title or getattr(thread, "title", "") or "").strip()[:200], value=parse_value(value),
                currency=currency, owner_id=getattr(owner, "id", None), source="rule" if suggested else "staff",
                confirmed_at=None if suggested else now, order_ref=(order_ref or None), created_at=now, updated_at=now)
    db.session.add(lead)
    _emit("lead.created", lead, by)
    if not suggested:
        timeline.record(member, "lead_created", at=now, thread=thread, actor=by, active=False, title=lead.title,
                        lead_id=lead.id)
    return lead


def confirm_lead(lead: Lead, by: Member) -> Lead:
    """Staff confirm a rule's suggestion: from now on it is a lead like any other."""
    if lead.confirmed_at is None:
        if lead.member is not None and not may_contact(lead.member):
            raise ContactDeclined(_l("This member declined marketing contact: no lead is made."))
        lead.confirmed_at = utcnow()
        lead.updated_at = lead.confirmed_at
        _emit("lead.changed", lead, by, previous_stage=lead.stage.value)
        if lead.member is not None:
            timeline.record(lead.member, "lead_created", at=lead.confirmed_at, thread=lead.thread, actor=by,
                            active=False, title=lead.title, lead_id=lead.id)
    return lead


def dismiss_suggestion(lead: Lead, by: Member) -> None:
    """Staff turn down a rule's suggestion: it is deleted (a suggestion was never a lead, nor synced)."""
    if lead.confirmed_at is not None:
        raise ValidationFailed(_l("Only a suggestion can be dismissed; set a lead's stage to lost instead."))
    db.session.delete(lead)
    db.session.flush()


def set_lead_stage(lead: Lead, stage: LeadStage | str, by: Member | None = None) -> Lead:
    """Move a lead to another stage (new, qualified, won, lost)."""
    try:
        stage = LeadStage(getattr(stage, "value", stage))
    except ValueError as exc:
        raise ValidationFailed(_l("Unknown stage."), {"stage": _l("Unknown stage.")}) from exc
    if stage is not lead.stage:
        previous = lead.stage
        lead.stage = stage
        lead.updated_at = utcnow()
        _emit("lead.changed", lead, by, previous_stage=previous.value)
    return lead


def set_lead_value(lead: Lead, value, currency: str | None = None, by: Member | None = None, *, owner=...,
                   order_ref=...) -> Lead:
    """Set a lead's value (and currency), and optionally its owner and order reference."""
    lead.value = parse_value(value)
    if currency is not None:
        currency = currency.strip().upper()
        if not CURRENCY_RE.match(currency):
            raise ValidationFailed(_l("A currency is three letters, like USD."), {"currency": _l("Three letters.")})
        lead.currency = currency
    if owner is not ...:
        lead.owner_id = getattr(owner, "id", None)
    if order_ref is not ...:
        lead.order_ref = (order_ref or "").strip()[:64] or None
    lead.updated_at = utcnow()
    _emit("lead.changed", lead, by, previous_stage=lead.stage.value)
    return lead


# ---- the suggestion rule ------------------------------------------------------------------------------------

# A thread that asks about buying is suggested as a lead when its board, a tag or a word says so
# (CRM_LEAD_RULES overrides these; matching is case-insensitive, words anywhere in the title or opening post).
DEFAULT_RULES = {
    "boards": [],
    "tags": ["sales", "pricing", "purchase", "upgrade", "quote", "销售", "价格", "购买", "升级"],
    "keywords": ["pricing", "price", "how much", "buy ", "purchase", "upgrade", "quote", "bulk order", "discount",
                 "多少钱", "价格", "报价", "购买", "升级", "批量"],
}


def rules() -> dict:
    return {**DEFAULT_RULES, **(current_app.config.get("CRM_LEAD_RULES") or {})}


def matches_rule(thread: Thread, body: str = "") -> str | None:
    """The rule a thread matches (for staff to read on the suggestion), or None."""
    config = rules()
    if thread.board is not None and thread.board.slug in config["boards"]:
        return f"board:{thread.board.slug}"
    tags = {t.name.casefold() for t in (thread.tags or [])}
    for tag in config["tags"]:
        if tag.casefold() in tags:
            return f"tag:{tag}"
    text = f" {thread.title} {body} ".casefold()
    for word in config["keywords"]:
        if word.casefold() in text:
            return f"keyword:{word.strip()}"
    return None


def on_thread_created(thread, post=None, **_kw):
    """Suggest a lead for staff to confirm when a new thread asks about buying (never for staff, nor for a
    member who declined contact)."""
    author = thread.author
    if author is None or author.deleted_at is not None or author.role in (Role.staff, Role.admin):
        return
    if not may_contact(author) or lead_for_thread(thread.id) is not None:
        return
    if matches_rule(thread, getattr(post, "body_source", "") or "") is not None:
        create_lead(author, thread=thread, suggested=True)


def connect() -> None:
    connect_all({signals.thread_created: on_thread_created})


def leads_query(*, stage: str = "", owner_id: int | None = None, suggested: bool = False, member_id: int | None = None):
    """Leads for the staff list: confirmed ones (or the rule's suggestions), newest first."""
    query = select(Lead).options(selectinload(Lead.member), selectinload(Lead.owner), selectinload(Lead.thread))
    query = query.where(Lead.confirmed_at.is_(None) if suggested else Lead.confirmed_at.is_not(None))
    if stage in LeadStage.__members__:
        query = query.where(Lead.stage == stage)
    if owner_id is not None:
        query = query.where(Lead.owner_id == owner_id)
    if member_id is not None:
        query = query.where(Lead.member_id == member_id)
    return query.order_by(Lead.created_at.desc(), Lead.id.desc())
