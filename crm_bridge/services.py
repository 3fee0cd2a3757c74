"""CRM operations: profiles, stages with their reasons, notes, tags, owners, exports (audited: `audit.py`)."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from community.dbtypes import utcnow
from community.errors import ValidationFailed
from community.extensions import db
from community.forum.models import Post, Thread
from community.groups.models import GroupMember
from community.members.models import Member, Role

from .audit import audit
from .models import CrmProfile, ProfileTag, StaffNote, Stage, TimelineEvent
from .scores import Scores, compute
from .timeline import KINDS

STAGE_LABELS = {Stage.new: _l("New"), Stage.active: _l("Active"), Stage.engaged: _l("Engaged"),
                Stage.advocate: _l("Advocate"), Stage.dormant: _l("Dormant"), Stage.at_risk: _l("At risk")}
TAG_RE = re.compile(r"^[\w][\w .-]{0,39}$")
NOTE_MAX = 5000
PER_PAGE = 50


def ensure_profile(member: Member) -> CrmProfile:
    """Return the member's profile, making it for members who joined before the CRM existed."""
    profile = db.session.scalar(select(CrmProfile).where(CrmProfile.member_id == member.id))
    if profile is None:
        profile = CrmProfile(member=member, first_seen_at=member.created_at, last_active_at=member.last_seen_at)
        db.session.add(profile)
        db.session.flush()
    return profile


# ---- stages ----------------------------------------------------------------------------------

@dataclass
class StageVerdict:
    stage: Stage
    reasons: list[str]
    overridden: bool = False


def derive_stage(profile: CrmProfile, scores, now: datetime | None = None) -> StageVerdict:
    """Work out the lifecycle stage from the scores and dates, with reasons a staff member can read."""
    now = now or utcnow()
    last = profile.last_active_at or profile.first_seen_at
    idle_days = (now - last).days if last else 0
    joined_days = (now - profile.first_seen_at).days if profile.first_seen_at else 0
    if profile.stage_override is not None:
        return StageVerdict(profile.stage_override, [_("Set by staff.")], overridden=True)
    if scores.risk.value >= 50:
        return StageVerdict(Stage.at_risk, list(scores.risk.reasons))
    if idle_days >= 60:
        return StageVerdict(Stage.dormant, [_("No activity for %(days)d days.", days=idle_days)])
    if scores.advocacy.value >= 40:
        return StageVerdict(Stage.advocate, list(scores.advocacy.reasons))
    if scores.engagement.value >= 30:
        return StageVerdict(Stage.engaged, list(scores.engagement.reasons))
    if joined_days < 14:
        return StageVerdict(Stage.new, [_("Joined %(days)d days ago.", days=joined_days)])
    if idle_days < 30:
        return StageVerdict(Stage.active, [_("Last active %(days)d days ago.", days=idle_days)])
    return StageVerdict(Stage.dormant, [_("No activity for %(days)d days.", days=idle_days)])


def refresh_stage(profile: CrmProfile, scores: Scores | None = None):
    """Recompute (or take, computed just now) and store the profile's scores and stage; return (verdict, scores)."""
    scores = compute(profile) if scores is None else scores
    verdict = derive_stage(profile, scores)
    profile.stage = verdict.stage if not verdict.overridden else derive_stage(_unoverridden(profile), scores).stage
    profile.engagement, profile.advocacy, profile.risk = (scores.engagement.value, scores.advocacy.value,
                                                          scores.risk.value)
    return verdict, scores


def refresh_all_stages(progress=None) -> int:
    """Recompute every member's profile scores and stage (members go dormant without an event); return how many."""
    members = db.session.scalars(select(Member).where(Member.deleted_at.is_(None))).all()
    for member in members:
        refresh_stage(ensure_profile(member))
        if progress is not None:
            progress(1)
    return len(members)


def _unoverridden(profile: CrmProfile):
    """The profile as if staff had not set a stage (the stored stage is always the derived one)."""
    class View:
        stage_override = None
        last_active_at, first_seen_at = profile.last_active_at, profile.first_seen_at
    return View


# ---- staff changes ------------------------------------------------------------------------------

def add_note(staff: Member, profile: CrmProfile, body: str) -> StaffNote:
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(_("Write the note first."), fields={"body": _("Write the note first.")})
    if len(body) > NOTE_MAX:
        raise ValidationFailed(_("A note can be at most %(max)d characters.", max=NOTE_MAX),
                               fields={"body": _("A note can be at most %(max)d characters.", max=NOTE_MAX)})
    note = StaffNote(profile_id=profile.id, author_id=staff.id, body=body)
    db.session.add(note)
    audit(staff, "note_added", profile, length=len(body))
    return note


def parse_tags(text: str) -> list[str]:
    names = []
    for raw in re.split(r"[,\n]", text or ""):
        name = raw.strip().lower()
        if not name:
            continue
        if not TAG_RE.match(name):
            message = _("“%(tag)s” is not a valid tag: letters, digits, spaces, dots and dashes, at most 40.", tag=name[:60])
            raise ValidationFailed(message, fields={"tags": message})
        if name not in names:
            names.append(name)
    if len(names) > 20:
        raise ValidationFailed(_("At most 20 tags."), fields={"tags": _("At most 20 tags.")})
    return names


def update_profile(staff: Member, profile: CrmProfile, *, tags: str | None = None, owner: str | None = None,
                   stage: str | None = None, company: str | None = None) -> None:
    """Change tags, owner (a staff username, or empty), stage override (or empty) and company."""
    changes: dict = {}
    if tags is not None:
        names = parse_tags(tags)
        before = [t.name for t in profile.tags]
        if names != before:
            profile.tags = [ProfileTag(name=n) for n in names]
            changes["tags"] = {"before": before, "after": names}
    if owner is not None:
        owner = owner.strip()
        member = None
        if owner:
            member = db.session.scalar(select(Member).where(Member.username_key == owner.casefold()))
            if member is None or member.role not in (Role.staff, Role.admin):
                message = _("The owner must be a member of staff.")
                raise ValidationFailed(message, fields={"owner": message})
        if (member.id if member else None) != profile.owner_id:
            changes["owner"] = {"before": profile.owner_id, "after": member.id if member else None}
            profile.owner_id = member.id if member else None
    if stage is not None:
        if stage and stage not in Stage.__members__:
            message = _("Unknown stage.")
            raise ValidationFailed(message, fields={"stage": message})
        new = Stage(stage) if stage else None
        if new != profile.stage_override:
            changes["stage"] = {"before": getattr(profile.stage_override, "value", None), "after": stage or None}
            profile.stage_override = new
    if company is not None and company.strip()[:120] != profile.company:
        changes["company"] = {"before": profile.company, "after": company.strip()[:120]}
        profile.company = company.strip()[:120]
    if changes:
        audit(staff, "profile_changed", profile, **changes)


# ---- lists ---------------------------------------------------------------------------------------

def profiles_query(*, q: str = "", stage: str = "", tag: str = "", active_within: int | None = None,
                   minimum: dict[str, float] | None = None, group_id: int | None = None, consent: str = ""):
    """Profiles matching the staff list's filters, most recently active first.

    `consent` ("marketing" or "research") keeps only members who said yes to it in /settings: the list to
    export for a campaign or a study.
    """
    query = select(CrmProfile).join(CrmProfile.member)
    if consent in CONSENTS:
        query = query.where(getattr(CrmProfile, f"consent_{consent}").is_(True))
    if group_id is not None:  # members of one group (community/groups)
        query = query.where(CrmProfile.member_id.in_(
            select(GroupMember.member_id).where(GroupMember.group_id == group_id)))
    if q:
        like = f"%{q.strip().casefold()}%"
        query = query.where(or_(Member.username_key.like(like), Member.email_key.like(like),
                                func.lower(Member.display_name).like(like), func.lower(CrmProfile.company).like(like)))
    if stage in Stage.__members__:
        query = query.where(func.coalesce(CrmProfile.stage_override, CrmProfile.stage) == stage)
    if tag:
        query = query.where(CrmProfile.id.in_(select(ProfileTag.profile_id).where(ProfileTag.name == tag.strip().lower())))
    if active_within:
        query = query.where(CrmProfile.last_active_at >= utcnow() - timedelta(days=active_within))
    for name, value in (minimum or {}).items():  # score ranges: engagement, advocacy, risk at least
        query = query.where(getattr(CrmProfile, name) >= value)
    return query.order_by(CrmProfile.last_active_at.desc().nulls_last(), CrmProfile.id.desc())


CONSENTS = ("marketing", "research")


# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """Return `value` safe for a spreadsheet: text that would start a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def export_csv(profiles) -> str:
    """The member list as CSV (one row per profile), for spreadsheets and other CRMs."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["username", "display_name", "email", "company", "stage", "tags", "owner", "first_seen",
                     "last_active", "posts", "reputation", "trust_level", "engagement", "advocacy", "risk",
                     "consent_marketing", "consent_marketing_at", "consent_research", "consent_research_at"])
    for p in profiles:
        m = p.member
        writer.writerow([csv_cell(value) for value in [m.username, m.display_name, m.email, p.company,
                         (p.stage_override or p.stage).value, " ".join(t.name for t in p.tags),
                         p.owner.username if p.owner else "", p.first_seen_at.isoformat() if p.first_seen_at else "",
                         p.last_active_at.isoformat() if p.last_active_at else "", m.post_count, m.reputation,
                         m.trust_level, p.engagement, p.advocacy, p.risk,
                         "yes" if p.consent_marketing else "no", _iso(p.consent_marketing_at),
                         "yes" if p.consent_research else "no", _iso(p.consent_research_at)]])
    return out.getvalue()


def _iso(moment) -> str:
    return moment.isoformat() if moment else ""


def timeline_query(member_id: int, kind: str = "", since: datetime | None = None, until: datetime | None = None):
    query = select(TimelineEvent).where(TimelineEvent.member_id == member_id).options(
        selectinload(TimelineEvent.thread).selectinload(Thread.board),  # the reader's check of the source
        selectinload(TimelineEvent.post).selectinload(Post.thread).selectinload(Thread.board),
        selectinload(TimelineEvent.actor))
    if kind in KINDS:
        query = query.where(TimelineEvent.kind == kind)
    if since:
        query = query.where(TimelineEvent.occurred_at >= since)
    if until:
        query = query.where(TimelineEvent.occurred_at < until)
    return query.order_by(TimelineEvent.occurred_at.desc(), TimelineEvent.id.desc())
