"""Cases, leads and segments under /api/v1/crm (staff; token scope `crm`), in the list shape {"items", "next"}.

Registered on the CRM API's blueprint (crm_bridge/api.py) with the API's `@operation`, so every route is in
the OpenAPI document. As on the pages, a member or moderator gets 404; a token without `crm` gets 403.
Writes go through the same services as the pages (crm_bridge/cases.py, leads.py, segments.py), audited.
"""
from __future__ import annotations

from flask import url_for

from community.api.core import ApiError, choice_arg, json_body, not_found, ok, operation
from community.api.openapi import MEMBER_REF, NINT, NSTR, NTIME, SCHEMAS, STR, TIME, list_schema, object_schema
from community.extensions import db
from community.forum.models import Thread
from community.members.models import Member

from . import cases, leads, segments
from .api import PAGE, bp, iso, page_of, ref_json, require_staff
from .audit import audit
from .case_views import staff_named

INT = {"type": "integer"}
SCHEMAS.update({
    "CrmCase": object_schema({
        "id": INT, "member": MEMBER_REF, "title": STR, "status": {"enum": [s.value for s in cases.CaseStatus]},
        "priority": {"enum": [p.value for p in cases.CasePriority]}, "owner": MEMBER_REF, "source": STR,
        "board_id": NINT, "thread_ids": {"type": "array", "items": INT}, "order_ref": NSTR, "opened_at": TIME,
        "first_response_at": NTIME, "resolved_at": NTIME, "closed_at": NTIME, "paused_seconds": INT,
        "waiting_since": NTIME, "merged_into_id": NINT, "answer_post_id": NINT,
        "first_response_hours": {"type": ["number", "null"]}, "resolution_hours": {"type": ["number", "null"]},
        "url": STR}),
    "CrmCaseList": list_schema("CrmCase"),
    "CrmLead": object_schema({
        "id": INT, "member": MEMBER_REF, "thread_id": NINT, "title": STR,
        "stage": {"enum": [s.value for s in leads.LeadStage]}, "value": NSTR, "currency": STR, "owner": MEMBER_REF,
        "source": STR, "confirmed": {"type": "boolean"}, "order_ref": NSTR, "created_at": TIME, "updated_at": TIME}),
    "CrmLeadList": list_schema("CrmLead"),
    "CrmSegment": object_schema({"id": INT, "name": STR, "filters": {"type": "object"}, "members": INT,
                                 "reachable": INT, "created_at": TIME, "url": STR}),
    "CrmSegmentList": list_schema("CrmSegment"),
})

CASE_ID = {"name": "case_id", "in": "path", "required": True, "schema": INT}
LEAD_ID = {"name": "lead_id", "in": "path", "required": True, "schema": INT}
OWNER = {"type": ["string", "null"], "maxLength": 40, "description": "a staff member's username, or null for nobody"}
CASE_CREATE = {"type": "object", "required": ["thread_id"], "properties": {
    "thread_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
    "priority": {"enum": [p.value for p in cases.CasePriority]}}}
CASE_UPDATE = {"type": "object", "properties": {
    "status": {"enum": [s.value for s in cases.CaseStatus]}, "priority": {"enum": [p.value for p in cases.CasePriority]},
    "owner": OWNER, "title": {"type": "string", "maxLength": 200}, "order_ref": {"type": ["string", "null"], "maxLength": 64}}}
LEAD_CREATE = {"type": "object", "required": ["thread_id"], "properties": {
    "thread_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, "value": {"type": ["string", "null"], "maxLength": 20},
    "currency": {"type": "string", "maxLength": 3}}}
LEAD_UPDATE = {"type": "object", "properties": {
    "stage": {"enum": [s.value for s in leads.LeadStage]}, "value": {"type": ["string", "null"], "maxLength": 20},
    "currency": {"type": "string", "maxLength": 3}, "owner": OWNER, "order_ref": {"type": ["string", "null"], "maxLength": 64}}}
SEGMENT_CREATE = {"type": "object", "required": ["name"], "properties": {
    "name": {"type": "string", "maxLength": 80},
    "filters": {"type": "object", "properties": {key: {"type": ["string", "integer"]} for key in segments.FILTER_KEYS}}}}


def case_json(case: cases.Case) -> dict:
    return {"id": case.id, "member": ref_json(case.member), "title": case.title, "status": case.status.value,
            "priority": case.priority.value, "owner": ref_json(case.owner), "source": case.source,
            "board_id": case.board_id, "thread_ids": [t.id for t in case.threads], "order_ref": case.order_ref,
            "opened_at": iso(case.opened_at), "first_response_at": iso(case.first_response_at),
            "resolved_at": iso(case.resolved_at), "closed_at": iso(case.closed_at),
            "paused_seconds": int(case.paused_seconds or 0), "waiting_since": iso(case.waiting_since),
            "merged_into_id": case.merged_into_id, "answer_post_id": case.answer_post_id,
            "first_response_hours": cases.first_response_hours(case), "resolution_hours": cases.resolution_hours(case),
            "url": url_for("crm_cases.show", case_id=case.id)}


def lead_json(lead: leads.Lead) -> dict:
    return {"id": lead.id, "member": ref_json(lead.member), "thread_id": lead.thread_id, "title": lead.title,
            "stage": lead.stage.value, "value": None if lead.value is None else str(lead.value),
            "currency": lead.currency, "owner": ref_json(lead.owner), "source": lead.source,
            "confirmed": lead.confirmed_at is not None, "order_ref": lead.order_ref,
            "created_at": iso(lead.created_at), "updated_at": iso(lead.updated_at)}


def segment_json(segment: segments.Segment, counts: tuple[int, int] | None = None) -> dict:
    """One segment; `counts` (members, reachable) from `segments.segment_counts` when a list gathered them."""
    members, reachable = counts or segments.segment_counts([segment])[segment.id]
    return {"id": segment.id, "name": segment.name, "filters": dict(segment.filters or {}),
            "members": members, "reachable": reachable,
            "created_at": iso(segment.created_at), "url": url_for("crm_segments.show", segment_id=segment.id)}


def _thread(thread_id: int) -> Thread:
    thread = db.session.get(Thread, thread_id)
    if thread is None or thread.deleted_at is not None:
        raise ApiError(422, "No thread with that id.", code="validation_failed", fields={"thread_id": "Unknown thread."})
    return thread


def _owner(data: dict):
    return staff_named(data.get("owner") or "") if "owner" in data else ...


# ---- cases ------------------------------------------------------------------------------------------------

@operation("GET", "/crm/cases", summary="Service cases, most urgent and longest open first (staff)", tag="crm",
           auth="crm", blueprint=bp, response="CrmCaseList", errors=(400, 404),
           params=[{"name": "status", "in": "query", "schema": {"enum": ["active", "all", *[s.value for s in cases.CaseStatus]]}},
                   {"name": "priority", "in": "query", "schema": {"enum": [p.value for p in cases.CasePriority]}}, PAGE])
def crm_cases():
    staff = require_staff()
    status = choice_arg("status", ["active", "all", *[s.value for s in cases.CaseStatus]], "all")
    priority = choice_arg("priority", [p.value for p in cases.CasePriority], "")
    rows, next_link = page_of(cases.cases_query(status=status, priority=priority))
    audit(staff, "api_cases_listed", None, count=len(rows), status=status)
    db.session.commit()
    return ok({"items": [case_json(c) for c in rows], "next": next_link})


@operation("POST", "/crm/cases", summary="Open a case for a thread (or get the thread's open case) (staff)", tag="crm",
           auth="crm", blueprint=bp, body=CASE_CREATE, response="CrmCase", status=201, errors=(401, 403, 404, 422))
def crm_open_case():
    staff = require_staff()
    data = json_body(CASE_CREATE)
    case = cases.open_case_for_thread(_thread(data["thread_id"]), staff, priority=data.get("priority") or "normal")
    audit(staff, "case_opened", None, case_id=case.id, via="api")
    db.session.commit()
    return ok(case_json(case), 201)


def _case(case_id: int) -> cases.Case:
    case = db.session.get(cases.Case, case_id)
    if case is None:
        not_found()
    return case


@operation("GET", "/crm/cases/{case_id}", summary="One service case (staff)", tag="crm", auth="crm", blueprint=bp,
           response="CrmCase", errors=(404,), params=[CASE_ID])
def crm_case(case_id: int):
    staff = require_staff()
    case = _case(case_id)
    audit(staff, "case_viewed", None, case_id=case.id, via="api")
    db.session.commit()
    return ok(case_json(case))


@operation("PATCH", "/crm/cases/{case_id}", summary="Change a case: status, priority, owner, title, order (staff)",
           tag="crm", auth="crm", blueprint=bp, body=CASE_UPDATE, response="CrmCase", errors=(401, 403, 404, 422),
           params=[CASE_ID])
def crm_update_case(case_id: int):
    staff = require_staff()
    case = _case(case_id)
    data = json_body(CASE_UPDATE)
    cases.set_case_fields(case, staff, owner=_owner(data), priority=data.get("priority"), title=data.get("title"),
                          order_ref=data["order_ref"] if "order_ref" in data else ...)
    if data.get("status"):
        cases.set_case_status(case, data["status"], staff)
    audit(staff, "case_changed", None, case_id=case.id, via="api", status=case.status.value)
    db.session.commit()
    return ok(case_json(case))


# ---- leads ------------------------------------------------------------------------------------------------

@operation("GET", "/crm/leads", summary="Sales leads, newest first; suggested=true lists the rule's suggestions (staff)",
           tag="crm", auth="crm", blueprint=bp, response="CrmLeadList", errors=(400, 404),
           params=[{"name": "stage", "in": "query", "schema": {"enum": [s.value for s in leads.LeadStage]}},
                   {"name": "suggested", "in": "query", "schema": {"enum": ["true", "false"]}}, PAGE])
def crm_leads():
    staff = require_staff()
    stage = choice_arg("stage", [s.value for s in leads.LeadStage], "")
    suggested = choice_arg("suggested", ["true", "false"], "false") == "true"
    rows, next_link = page_of(leads.leads_query(stage=stage, suggested=suggested))
    audit(staff, "api_leads_listed", None, count=len(rows), stage=stage)
    db.session.commit()
    return ok({"items": [lead_json(lead) for lead in rows], "next": next_link})


@operation("POST", "/crm/leads", summary="Mark a thread's author as a lead (refused when they declined contact) (staff)",
           tag="crm", auth="crm", blueprint=bp, body=LEAD_CREATE, response="CrmLead", status=201,
           errors=(401, 403, 404, 422))
def crm_create_lead():
    staff = require_staff()
    data = json_body(LEAD_CREATE)
    thread = _thread(data["thread_id"])
    author = thread.author if isinstance(thread.author, Member) else None
    lead = leads.create_lead(author, thread=thread, by=staff, owner=staff, value=data.get("value"),
                             currency=data.get("currency") or "USD")
    leads.confirm_lead(lead, staff)
    audit(staff, "lead_marked", None, lead_id=lead.id, via="api")
    db.session.commit()
    return ok(lead_json(lead), 201)


@operation("PATCH", "/crm/leads/{lead_id}", summary="Change a lead: stage, value, currency, owner, order (staff)",
           tag="crm", auth="crm", blueprint=bp, body=LEAD_UPDATE, response="CrmLead", errors=(401, 403, 404, 422),
           params=[LEAD_ID])
def crm_update_lead(lead_id: int):
    staff = require_staff()
    lead = db.session.get(leads.Lead, lead_id)
    if lead is None:
        not_found()
    data = json_body(LEAD_UPDATE)
    if "value" in data or "currency" in data or "owner" in data or "order_ref" in data:
        leads.set_lead_value(lead, data["value"] if "value" in data else lead.value, data.get("currency"), staff,
                             owner=_owner(data), order_ref=data["order_ref"] if "order_ref" in data else ...)
    if data.get("stage"):
        leads.set_lead_stage(lead, data["stage"], staff)
    audit(staff, "lead_changed", None, lead_id=lead.id, via="api")
    db.session.commit()
    return ok(lead_json(lead))


# ---- segments -------------------------------------------------------------------------------------------

@operation("GET", "/crm/segments", summary="Saved segments with their live member counts (staff)", tag="crm",
           auth="crm", blueprint=bp, response="CrmSegmentList", errors=(400, 404), params=[PAGE])
def crm_segments():
    staff = require_staff()
    rows, next_link = page_of(db.select(segments.Segment).order_by(segments.Segment.name, segments.Segment.id))
    counts = segments.segment_counts(rows)
    items = [segment_json(s, counts[s.id]) for s in rows]  # before the commit expires the rows (one reload each)
    audit(staff, "api_segments_listed", None, count=len(rows))
    db.session.commit()
    return ok({"items": items, "next": next_link})


@operation("POST", "/crm/segments", summary="Save a segment from member filters (staff)", tag="crm", auth="crm",
           blueprint=bp, body=SEGMENT_CREATE, response="CrmSegment", status=201, errors=(401, 403, 404, 409, 422))
def crm_create_segment():
    staff = require_staff()
    data = json_body(SEGMENT_CREATE)
    segment = segments.save_segment(data["name"], {k: str(v) for k, v in (data.get("filters") or {}).items()}, staff)
    audit(staff, "segment_saved", None, segment_id=segment.id, via="api")
    db.session.commit()
    return ok(segment_json(segment), 201)
