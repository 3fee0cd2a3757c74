"""The CRM under /api/v1/crm: profiles, a profile's timeline, feedback items. Staff and admins only.

Registered with the API's own `@operation` (community/api/core.py), so the routes, the JSON errors,
the token scopes (`crm`) and the OpenAPI document stay one thing. A member or moderator gets 404, as
on the pages (a CRM record does not exist for them); a token without the `crm` scope gets 403.
Every profile read is written to the audit log, like a profile view on the pages.
"""
from __future__ import annotations

from flask import Blueprint, request, url_for

from community.api.core import (
    api_error_handlers,
    check_csrf,
    choice_arg,
    int_arg,
    next_url,
    not_found,
    ok,
    operation,
    require_member,
)
from community.api.openapi import MEMBER_REF, NINT, NSTR, NTIME, SCHEMAS, STR, TIME, list_schema, object_schema
from community.extensions import csrf, db
from community.permissions import can_see_source

from . import feedback as fb
from . import services
from .audit import audit
from .contacts import contacts_of
from .models import CrmProfile, FeedbackKind, FeedbackStatus, Stage
from .permissions import can_view_crm
from .timeline import KINDS

bp = Blueprint("crm_api", __name__, url_prefix="/api/v1")
api_error_handlers(bp)
PER_PAGE = 50

NUM = {"type": "number"}
SCORE = object_schema({"value": NUM, "reasons": {"type": "array", "items": STR}})
SCHEMAS.update({
    "CrmProfileSummary": object_schema({
        "id": {"type": "integer"}, "member": MEMBER_REF, "company": STR,
        "stage": {"enum": [s.value for s in Stage]}, "tags": {"type": "array", "items": STR},
        "engagement": NUM, "advocacy": NUM, "risk": NUM, "first_seen_at": TIME, "last_active_at": NTIME,
        "url": STR}),
    "CrmProfileList": list_schema("CrmProfileSummary"),
    "CrmProfile": object_schema({
        "id": {"type": "integer"}, "member": MEMBER_REF, "email": STR, "email_verified": {"type": "boolean"},
        "email_domain": STR, "company": STR, "stage": {"enum": [s.value for s in Stage]},
        "stage_overridden": {"type": "boolean"}, "stage_reasons": {"type": "array", "items": STR},
        "scores": object_schema({"engagement": SCORE, "advocacy": SCORE, "risk": SCORE}),
        "tags": {"type": "array", "items": STR}, "owner": MEMBER_REF,
        "consent": object_schema({"marketing": {"type": "boolean"}, "research": {"type": "boolean"},
                                  "marketing_at": NTIME, "research_at": NTIME}),
        "first_seen_at": TIME, "last_active_at": NTIME,
        "contacts": {"type": "array", "items": object_schema({"id": {"type": "integer"}, "external_id": NSTR, "email": STR,
                                                     "name": STR, "company": STR, "status": STR})},
        "url": STR}),
    "CrmTimelineEvent": object_schema({"id": {"type": "integer"}, "kind": {"enum": list(KINDS)}, "occurred_at": TIME,
                              "thread_id": NINT, "post_id": NINT, "actor": MEMBER_REF, "excerpt": STR,
                              "data": {"type": "object"}, "url": NSTR}),
    "CrmTimeline": list_schema("CrmTimelineEvent"),
    "CrmFeedbackItem": object_schema({"id": {"type": "integer"}, "kind": {"enum": [k.value for k in FeedbackKind]},
                             "status": {"enum": [s.value for s in FeedbackStatus]}, "thread_id": {"type": "integer"},
                             "title": STR, "member": MEMBER_REF, "votes": {"type": "integer"}, "created_at": TIME,
                             "first_reply_at": NTIME, "first_official_reply_at": NTIME, "url": STR}),
    "CrmFeedbackList": list_schema("CrmFeedbackItem"),
})

PAGE = {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}
PROFILE_ID = {"name": "profile_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def iso(value):
    return value.isoformat() if value is not None else None


def ref_json(member):
    return None if member is None else {"id": member.id, "username": member.username, "name": member.name}


def require_staff():
    member = require_member("crm")
    if not can_view_crm(member):
        not_found()
    return member


def page_of(query):
    page = int_arg("page")
    rows = db.session.scalars(query.limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)).all()
    if page > 1 and not rows:
        not_found()
    return rows[:PER_PAGE], next_url(len(rows) > PER_PAGE, page)


def _summary(profile: CrmProfile) -> dict:
    stage = profile.stage_override or profile.stage
    return {"id": profile.id, "member": ref_json(profile.member), "company": profile.company or "",
            "stage": Stage(stage).value, "tags": [t.name for t in profile.tags],
            "engagement": float(profile.engagement or 0), "advocacy": float(profile.advocacy or 0),
            "risk": float(profile.risk or 0), "first_seen_at": iso(profile.first_seen_at),
            "last_active_at": iso(profile.last_active_at),
            "url": url_for("crm.profile", username=profile.member.username)}


def _profile(profile_id: int) -> CrmProfile:
    profile = db.session.get(CrmProfile, profile_id)
    if profile is None or profile.member.deleted_at is not None:
        not_found()
    return profile


@operation("GET", "/crm/profiles", summary="CRM profiles, most recently active first (staff)", tag="crm",
           auth="crm", blueprint=bp, response="CrmProfileList", errors=(400, 404),
           params=[{"name": "q", "in": "query", "schema": {"type": "string"}},
                   {"name": "stage", "in": "query", "schema": {"enum": [s.value for s in Stage]}},
                   {"name": "tag", "in": "query", "schema": {"type": "string"}}, PAGE])
def crm_profiles():
    staff = require_staff()
    q, tag = (request.args.get(k, "").strip()[:100] for k in ("q", "tag"))
    stage = choice_arg("stage", [s.value for s in Stage], "")
    rows, next_link = page_of(services.profiles_query(q=q, stage=stage, tag=tag))
    audit(staff, "api_listed", None, count=len(rows), q=q, stage=stage, tag=tag)
    db.session.commit()
    return ok({"items": [_summary(p) for p in rows], "next": next_link})


@operation("GET", "/crm/profiles/{profile_id}", summary="One CRM profile: identity, stage, scores, tags (staff)",
           tag="crm", auth="crm", blueprint=bp, response="CrmProfile", errors=(404,), params=[PROFILE_ID])
def crm_profile(profile_id: int):
    staff = require_staff()
    profile = _profile(profile_id)
    verdict, scores = services.refresh_stage(profile)
    audit(staff, "viewed", profile, via="api")
    db.session.commit()
    member = profile.member
    data = {
        "id": profile.id, "member": ref_json(member), "email": member.email,
        "email_verified": bool(member.email_verified), "email_domain": member.email.rsplit("@", 1)[-1],
        "company": profile.company or "", "stage": verdict.stage.value, "stage_overridden": bool(verdict.overridden),
        "stage_reasons": [str(r) for r in verdict.reasons],
        "scores": {name: {"value": float(getattr(scores, name).value),
                          "reasons": [str(r) for r in getattr(scores, name).reasons]}
                   for name in ("engagement", "advocacy", "risk")},
        "tags": [t.name for t in profile.tags], "owner": ref_json(profile.owner),
        "consent": {"marketing": bool(profile.consent_marketing), "research": bool(profile.consent_research),
                    "marketing_at": iso(profile.consent_marketing_at), "research_at": iso(profile.consent_research_at)},
        "first_seen_at": iso(profile.first_seen_at), "last_active_at": iso(profile.last_active_at),
        "contacts": [{"id": c.id, "external_id": c.external_id, "email": c.email, "name": c.name or "",
                      "company": c.company or "", "status": c.status.value} for c in contacts_of(member.id)],
        "url": url_for("crm.profile", username=member.username),
    }
    return ok(data)


@operation("GET", "/crm/profiles/{profile_id}/timeline", summary="A member's CRM timeline, newest first (staff)",
           tag="crm", auth="crm", blueprint=bp, response="CrmTimeline", errors=(400, 404),
           params=[PROFILE_ID, {"name": "kind", "in": "query", "schema": {"enum": list(KINDS)}}, PAGE])
def crm_profile_timeline(profile_id: int):
    staff = require_staff()
    profile = _profile(profile_id)
    kind = choice_arg("kind", list(KINDS), "")
    rows, next_link = page_of(services.timeline_query(profile.member_id, kind))
    audit(staff, "viewed_timeline", profile, via="api")
    db.session.commit()
    items = [{"id": e.id, "kind": e.kind, "occurred_at": iso(e.occurred_at), "thread_id": e.thread_id,
              "post_id": e.post_id, "actor": ref_json(e.actor),
              "excerpt": (e.excerpt or "") if can_see_source(staff, thread=e.thread, post=e.post) else "",
              "data": e.data or {},
              "url": url_for("forum.thread", thread_id=e.thread_id) if e.thread_id else None} for e in rows]
    return ok({"items": items, "next": next_link})


@operation("GET", "/crm/feedback", summary="Feedback items: ideas, bugs, complaints, questions, praise (staff)",
           tag="crm", auth="crm", blueprint=bp, response="CrmFeedbackList", errors=(400, 404),
           params=[{"name": "kind", "in": "query", "schema": {"enum": [k.value for k in FeedbackKind]}},
                   {"name": "status", "in": "query", "schema": {"enum": [s.value for s in FeedbackStatus]}},
                   {"name": "sort", "in": "query", "schema": {"enum": ["votes", "newest"]}}, PAGE])
def crm_feedback():
    staff = require_staff()
    kind = choice_arg("kind", [k.value for k in FeedbackKind], "")
    status = choice_arg("status", [s.value for s in FeedbackStatus], "")
    sort = choice_arg("sort", ["votes", "newest"], "votes")
    rows, next_link = page_of(fb.feedback_query(kind, status, sort))
    items = [{"id": i.id, "kind": i.kind.value, "status": i.status.value, "thread_id": i.thread_id,
              "title": i.thread.title, "member": ref_json(i.member), "votes": int(i.thread.score or 0),
              "created_at": iso(i.created_at), "first_reply_at": iso(i.first_reply_at),
              "first_official_reply_at": iso(i.first_official_reply_at),
              "url": url_for("forum.thread", thread_id=i.thread_id)} for i in rows]
    audit(staff, "api_feedback_listed", None, count=len(rows), kind=kind, status=status, sort=sort)
    db.session.commit()
    return ok({"items": items, "next": next_link})


def init_app(app) -> None:
    csrf.exempt(bp)  # the API's bearer authentication runs app-wide before this; cookie sessions checked below
    if check_csrf not in bp.before_request_funcs.get(None, []):
        bp.before_request(check_csrf)  # the writes of crm_bridge/records_api.py
    app.register_blueprint(bp)
