"""What the brand records about a member: the CRM profile, its timeline, staff notes, tags, the audit log."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.crypto import EncryptedText
from community.dbtypes import UTCDateTime, enum_type, utcnow
from community.extensions import db
from community.forum.models import Post, Thread
from community.members.models import Member


class Stage(str, enum.Enum):
    """Lifecycle stages, from a member's first visit to their loss."""
    new = "new"
    active = "active"
    engaged = "engaged"
    advocate = "advocate"
    dormant = "dormant"
    at_risk = "at_risk"


class CrmProfile(db.Model):
    """One per member, made when they register; erased with their account."""
    __tablename__ = "crm_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), unique=True)
    company: Mapped[str] = mapped_column(String(120), default="")
    # the name the brand knows the member by (from the external CRM, crm_bridge/sync.py); never shown publicly
    full_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    # a stage staff chose by hand wins over the derived one until they clear it
    stage_override: Mapped[Stage | None] = mapped_column(enum_type(Stage))
    # the derived stage as last computed (on a profile view and by `flask crm refresh-stages`), for filters
    stage: Mapped[Stage] = mapped_column(enum_type(Stage), default=Stage.new, index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    consent_marketing: Mapped[bool] = mapped_column(default=False)
    consent_research: Mapped[bool] = mapped_column(default=False)
    # when the member last chose in /settings (None: never asked; the default is no)
    consent_marketing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_research_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # where the member last asked a reward to be sent (community.rewards, through `reward_redeemed`)
    # encrypted at rest (community/crypto.py), as every sensitive field below
    shipping_name: Mapped[str] = mapped_column(EncryptedText, default="")
    shipping_address: Mapped[str] = mapped_column(EncryptedText, default="")
    shipping_phone: Mapped[str] = mapped_column(EncryptedText, default="")
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_active_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    # scores as last computed with the stage (0-100 each; their reasons are worked out on display)
    engagement: Mapped[float] = mapped_column(db.Float, default=0.0)
    advocacy: Mapped[float] = mapped_column(db.Float, default=0.0)
    risk: Mapped[float] = mapped_column(db.Float, default=0.0)

    member: Mapped[Member] = relationship(foreign_keys=[member_id], lazy="joined", innerjoin=True)
    owner: Mapped[Member | None] = relationship(foreign_keys=[owner_id])
    tags: Mapped[list[ProfileTag]] = relationship(order_by="ProfileTag.name", lazy="selectin",
                                                  cascade="all, delete-orphan")


class ProfileTag(db.Model):
    __tablename__ = "crm_profile_tags"
    __table_args__ = (UniqueConstraint("profile_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("crm_profiles.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))


class TimelineEvent(db.Model):
    """Something a member did or that happened to them in the community, written in the same transaction."""
    __tablename__ = "crm_timeline_events"
    __table_args__ = (Index("ix_crm_timeline_events_member_occurred", "member_id", "occurred_at"),
                      Index("ix_crm_timeline_events_kind_occurred", "kind", "occurred_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    excerpt: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    actor: Mapped[Member | None] = relationship(foreign_keys=[actor_id])
    thread: Mapped[Thread | None] = relationship(foreign_keys=[thread_id])
    post: Mapped[Post | None] = relationship(foreign_keys=[post_id])


class StaffNote(db.Model):
    """A private note by staff about a member: never shown to the member, nor to moderators."""
    __tablename__ = "crm_staff_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("crm_profiles.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[Member | None] = relationship(foreign_keys=[author_id])


class AuditEntry(db.Model):
    """Every profile view and change by staff: who, what, whose profile, when."""
    __tablename__ = "crm_audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("crm_profiles.id", ondelete="SET NULL"), index=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    staff: Mapped[Member | None] = relationship(foreign_keys=[staff_id])


class FeedbackKind(str, enum.Enum):
    idea = "idea"
    bug = "bug"
    complaint = "complaint"
    question = "question"
    praise = "praise"


class FeedbackStatus(str, enum.Enum):
    open = "open"          # nobody from the brand has answered yet
    answered = "answered"  # staff replied
    resolved = "resolved"  # an accepted answer, or an idea shipped
    closed = "closed"      # declined, duplicate, or closed by staff


class FeedbackItem(db.Model):
    """A member's voice the brand should act on: one per thread that is an idea, bug, complaint, question or praise."""
    __tablename__ = "crm_feedback_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), unique=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    kind: Mapped[FeedbackKind] = mapped_column(enum_type(FeedbackKind), index=True)
    kind_set_by_staff: Mapped[bool] = mapped_column(default=False)
    status: Mapped[FeedbackStatus] = mapped_column(enum_type(FeedbackStatus),
                                                   default=FeedbackStatus.open, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_official_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    thread: Mapped[Thread] = relationship(foreign_keys=[thread_id], lazy="joined", innerjoin=True)
    member: Mapped[Member | None] = relationship(foreign_keys=[member_id])


class PostSentiment(db.Model):
    """The sentiment of one post, computed when it is written or edited (staff see it; so does its author)."""
    __tablename__ = "crm_post_sentiments"
    __table_args__ = (Index("ix_crm_post_sentiments_member_created", "member_id", "created_at"),
                      Index("ix_crm_post_sentiments_board_created", "board_id", "created_at"),
                      Index("ix_crm_post_sentiments_created", "created_at"))

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(db.Float)
    label: Mapped[str] = mapped_column(String(8))
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the words or phrases that pushed the score, strongest first: [[phrase, push], ...]
    reasons: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    model_version: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # the model's own reading; `score` and `label` above are what every figure uses: the model's, or a
    # staff correction's when there is one (then score is 1, 0 or -1)
    model_score: Mapped[float | None] = mapped_column(db.Float)
    model_label: Mapped[str | None] = mapped_column(String(8))
    corrected_label: Mapped[str | None] = mapped_column(String(8))
    corrected_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    corrected_by: Mapped[Member | None] = relationship(foreign_keys=[corrected_by_id])


class ContactStatus(str, enum.Enum):
    unlinked = "unlinked"    # no member with this verified address (yet)
    linked = "linked"        # exactly one member, and that member matches no other contact
    ambiguous = "ambiguous"  # two candidate members, or the member matches several contacts: staff decide


class CrmContact(db.Model):
    """A contact imported from the brand's own CRM, linked to a member by verified email, never guessed."""
    __tablename__ = "crm_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)  # the id in the brand's CRM
    email: Mapped[str] = mapped_column(String(254))
    match_key: Mapped[str] = mapped_column(String(254), index=True)  # crm_bridge.contacts.match_key(email)
    name: Mapped[str] = mapped_column(String(120), default="")
    company: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(EncryptedText, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)  # the other columns of the imported row
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    status: Mapped[ContactStatus] = mapped_column(enum_type(ContactStatus),
                                                  default=ContactStatus.unlinked, index=True)
    candidates: Mapped[list] = mapped_column(JSON, default=list)  # member ids when ambiguous
    # set when staff decided the link by hand: imports and verifications leave it alone from then on
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member | None] = relationship(foreign_keys=[member_id])


class DailyMood(db.Model):
    """Per UTC day and board: posts scored, how many read negative, the sum of their scores.

    Kept with every sentiment row written or re-scored (crm_bridge/rollups.py), so the dashboard reads
    30 x boards rows instead of scanning every post of the month.
    """
    __tablename__ = "crm_daily_mood"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, UTC
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True)
    posts: Mapped[int] = mapped_column(Integer, default=0)
    negative: Mapped[int] = mapped_column(Integer, default=0)
    score_sum: Mapped[float] = mapped_column(db.Float, default=0.0)


class DailyActive(db.Model):
    """A member was active (posted, voted, cast a ballot, flagged, redeemed) on a UTC day."""
    __tablename__ = "crm_daily_active"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)


class OutboxEvent(db.Model):
    """A community event bound for the outside world, written in the transaction of the event itself.

    `dispatched_at` is set when the worker has fanned the event out into one delivery per subscribed
    endpoint (crm_bridge/outbox.py); the payload is the JSON body every endpoint receives.
    """
    __tablename__ = "crm_outbox"
    __table_args__ = (Index("ix_crm_outbox_pending", "dispatched_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)  # uuid4: receivers drop duplicates by it
    type: Mapped[str] = mapped_column(String(48))
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookEndpoint(db.Model):
    """Where staff want events sent: a URL, the event types it takes, its signing secret."""
    __tablename__ = "crm_webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(200), default="")
    event_types: Mapped[list] = mapped_column(JSON, default=list)  # "*" means every type
    # signing needs it, so it is kept decryptable (encrypted at rest, community/crypto.py); shown once
    secret: Mapped[str] = mapped_column(EncryptedText)
    active: Mapped[bool] = mapped_column(default=True)
    failure_streak: Mapped[int] = mapped_column(Integer, default=0)  # failed attempts since the last success
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def wants(self, event_type: str) -> bool:
        return "*" in (self.event_types or ()) or event_type in (self.event_types or ())


class WebhookDelivery(db.Model):
    """One event for one endpoint: pending until delivered, or failed after the last retry.

    A worker claims a row by writing a lease (`claimed_until`, `claim_token`); a killed worker's
    lease runs out and another worker sends the row again (at least once).
    """
    __tablename__ = "crm_webhook_deliveries"
    __table_args__ = (UniqueConstraint("event_id", "endpoint_id"),
                      Index("ix_crm_webhook_deliveries_due", "status", "next_attempt_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("crm_outbox.id", ondelete="CASCADE"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("crm_webhook_endpoints.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # tries since created or redelivered
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(36))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[OutboxEvent] = relationship(lazy="joined", innerjoin=True)
    endpoint: Mapped[WebhookEndpoint] = relationship(lazy="joined", innerjoin=True)


class WebhookAttempt(db.Model):
    """The log line of one HTTP attempt: what came back and how long it took."""
    __tablename__ = "crm_webhook_attempts"
    __table_args__ = (Index("ix_crm_webhook_attempts_endpoint_at", "endpoint_id", "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("crm_webhook_deliveries.id", ondelete="CASCADE"), index=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("crm_webhook_endpoints.id", ondelete="CASCADE"))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    response_excerpt: Mapped[str] = mapped_column(String(500), default="")
    error: Mapped[str] = mapped_column(String(300), default="")
    outcome: Mapped[str] = mapped_column(String(16))  # delivered, retry, failed

    delivery: Mapped[WebhookDelivery] = relationship(lazy="joined", innerjoin=True)
