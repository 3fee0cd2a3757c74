"""The member's own "My data" (/me/data and /me/data.json): everything kept about them that they may see.

Every row derived from content (timeline excerpts, notifications, reputation and points lines that
point at a post) is checked at read time with `permissions.can_see_source`: a staff whisper in the
member's thread, a staff reply in a thread later moved to a staff board, a hidden or deleted post
never shows through here, whatever was recorded for staff when it happened. The member's own posts
are theirs: every live one is listed with its full text; the thread it is in is named only when
the member may still read that thread.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from community.api.models import ApiToken
from community.bookmarks.models import Bookmark
from community.composer.services import export_drafts
from community.conversations.services import member_export
from community.extensions import db
from community.follows import services as follows
from community.forum.models import Post, Thread
from community.mail.preferences import preferences
from community.members.models import Member
from community.notifications.models import Notification
from community.permissions import can_see_source, can_view_thread, visible_derived
from community.reactions.models import Reaction
from community.reputation.models import ReputationEntry
from community.rewards.models import PointsEntry

from . import services
from .contacts import contacts_of
from .interactions import export_for as interactions_of
from .moods import member_summary


def _iso(value):
    return value.isoformat() if value is not None else None


def _value(obj):
    return getattr(obj, "value", obj)


def _name(member):
    return member.username if member is not None else None


def my_data(member: Member) -> dict:
    """Everything the community and the brand record about `member` that they may see, JSON-ready."""
    profile = services.ensure_profile(member)
    verdict, scores = services.refresh_stage(profile)
    events = visible_derived(member, db.session.scalars(services.timeline_query(member.id)).all())
    return {
        "member": {"username": member.username, "display_name": member.display_name, "email": member.email,
                   "joined": _iso(member.created_at), "language": member.locale, "bio": member.bio,
                   "reputation": member.reputation, "points": getattr(member, "points", None),
                   "trust_level": member.trust_level},
        "scores": {name: {"value": getattr(scores, name).value, "reasons": getattr(scores, name).reasons}
                   for name in ("engagement", "advocacy", "risk")},
        "profile": {"company": profile.company, "stage": verdict.stage.value, "stage_reasons": verdict.reasons,
                    "tags": [t.name for t in profile.tags], "consent_marketing": profile.consent_marketing,
                    "consent_research": profile.consent_research,
                    "consent_marketing_at": _iso(profile.consent_marketing_at),
                    "consent_research_at": _iso(profile.consent_research_at),
                    "shipping_name": profile.shipping_name, "shipping_address": profile.shipping_address,
                    "shipping_phone": profile.shipping_phone,
                    "first_seen": _iso(profile.first_seen_at), "last_active": _iso(profile.last_active_at)},
        "contacts": [{"external_id": c.external_id, "name": c.name or "", "company": c.company or "",
                      "phone": c.phone or "", "email": c.email, "status": _value(c.status)}
                     for c in contacts_of(member.id)],
        "timeline": [{"kind": e.kind, "at": e.occurred_at.isoformat(), "thread_id": e.thread_id, "post_id": e.post_id,
                      "excerpt": e.excerpt, "data": e.data} for e in events],
        "posts": _posts(member),
        "notifications": _notifications(member),
        "reputation_history": _reputation(member),
        "points_history": _points(member),
        "tokens": _tokens(member),
        "bookmarks": _bookmarks(member),
        "reactions": _reactions(member),
        "mail_preferences": _mail_preferences(member),
        "follows": _follows(member),
        "conversations": member_export(member),
        "interactions": interactions_of(member),
        "sentiment": _sentiment(member.id),
        "drafts": export_drafts(member),
        "staff_notes": _("Staff may keep private notes about members to serve them better; they are not shown here."),
    }


def _posts(member: Member) -> list[dict]:
    posts = db.session.scalars(
        select(Post).where(Post.author_id == member.id, Post.deleted_at.is_(None))
        .options(joinedload(Post.thread).joinedload(Thread.board))
        .order_by(Post.created_at, Post.id)).all()
    rows = []
    for post in posts:
        thread = post.thread if can_view_thread(member, post.thread) else None
        rows.append({"id": post.id, "created_at": _iso(post.created_at), "edited_at": _iso(getattr(post, "edited_at", None)),
                     "thread": {"id": thread.id, "title": thread.title} if thread is not None else None,
                     "number": post.number if thread is not None else None, "body": post.body_source})
    return rows


def _notifications(member: Member) -> list[dict]:
    rows = db.session.scalars(
        select(Notification).where(Notification.member_id == member.id)
        .options(joinedload(Notification.actor), joinedload(Notification.thread).joinedload(Thread.board),
                 joinedload(Notification.post))
        .order_by(Notification.created_at.desc(), Notification.id.desc())).unique().all()
    return [{"kind": n.kind, "at": _iso(n.created_at), "read_at": _iso(n.read_at), "actor": _name(n.actor),
             "thread_id": n.thread_id, "post_id": n.post_id, "data": n.data or {}}
            for n in visible_derived(member, rows)]


def _ledger_source(member, entry) -> dict:
    """The post or thread a ledger line points at, only when the member may see it (the amount always shows)."""
    thread, post = getattr(entry, "thread", None), getattr(entry, "post", None)
    if (thread is None and post is None) or can_see_source(member, thread=thread, post=post):
        return {"thread_id": getattr(entry, "thread_id", None), "post_id": getattr(entry, "post_id", None)}
    return {"thread_id": None, "post_id": None}


def _reputation(member: Member) -> list[dict]:
    rows = db.session.scalars(
        select(ReputationEntry).where(ReputationEntry.member_id == member.id)
        .options(selectinload(ReputationEntry.post).joinedload(Post.thread).joinedload(Thread.board),
                 selectinload(ReputationEntry.thread).joinedload(Thread.board), selectinload(ReputationEntry.badge))
        .order_by(ReputationEntry.created_at, ReputationEntry.id)).all()
    return [{"at": _iso(e.created_at), "delta": e.delta, "reason": _value(e.reason), "note": e.note or "",
             "badge": e.badge.name if e.badge is not None else None, **_ledger_source(member, e)} for e in rows]


def _points(member: Member) -> list[dict]:
    rows = db.session.scalars(
        select(PointsEntry).where(PointsEntry.member_id == member.id).options(joinedload(PointsEntry.actor))
        .order_by(PointsEntry.created_at, PointsEntry.id)).all()
    return [{"at": _iso(e.created_at), "delta": e.delta, "reason": _value(e.reason), "note": e.note or "",
             "by": _name(e.actor), "redemption_id": e.redemption_id} for e in rows]


def _bookmarks(member: Member) -> list[dict]:
    """The member's bookmarks; what one points at is named only while the member may still see it."""
    rows = db.session.scalars(
        select(Bookmark).where(Bookmark.member_id == member.id)
        .options(joinedload(Bookmark.thread).joinedload(Thread.board),
                 joinedload(Bookmark.post).joinedload(Post.thread).joinedload(Thread.board))
        .order_by(Bookmark.created_at, Bookmark.id)).all()
    out = []
    for b in rows:
        seen = can_see_source(member, thread=b.thread, post=b.post)
        title = (b.post.thread.title if b.post is not None else b.thread.title) if seen else None
        out.append({"created_at": _iso(b.created_at), "thread_id": b.thread_id if seen else None,
                    "post_id": b.post_id if seen else None, "title": title, "note": b.note or "",
                    "remind_at": _iso(b.remind_at), "reminded_at": _iso(b.reminded_at)})
    return out


def _reactions(member: Member) -> list[dict]:
    """The reactions the member gave; the post is named only while the member may still see it."""
    rows = db.session.scalars(
        select(Reaction).where(Reaction.member_id == member.id)
        .options(joinedload(Reaction.post).joinedload(Post.thread).joinedload(Thread.board))
        .order_by(Reaction.created_at, Reaction.id)).all()
    return [{"kind": r.kind, "at": _iso(r.updated_at),
             "post_id": r.post_id if can_see_source(member, post=r.post) else None} for r in rows]


def _tokens(member: Member) -> list[dict]:
    """The member's API tokens: names, kinds, scopes and dates; never a secret nor its hash or prefix."""
    rows = db.session.scalars(select(ApiToken).where(ApiToken.member_id == member.id)
                              .order_by(ApiToken.created_at, ApiToken.id)).all()
    return [{"name": t.name or "", "kind": _value(t.kind), "scopes": (t.scopes or "").split(),
             "created_at": _iso(t.created_at), "expires_at": _iso(t.expires_at),
             "last_used_at": _iso(t.last_used_at), "revoked_at": _iso(t.revoked_at)} for t in rows]


def _mail_preferences(member: Member) -> dict:
    prefs = preferences(member)
    return {"kinds": sorted(prefs["kinds"]), "digest": prefs["digest"]}


def _follows(member: Member) -> dict:
    """Whom the member follows (with when) and who follows them (live accounts)."""
    return {"following": [{"username": m.username, "since": _iso(f.created_at)}
                          for m, f in follows.following_of(member) if m.deleted_at is None],
            "followers": sorted(m.username for m in follows.followers_of(member))}


def _sentiment(member_id: int) -> dict:
    return member_summary(member_id)
