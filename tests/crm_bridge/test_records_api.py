"""Cases, leads and segments under /api/v1/crm: staff only, in the OpenAPI document, clear errors."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from community.extensions import db as _db
from community.members.models import Role
from community.members.services import set_consent
from crm_bridge.cases import Case, open_case
from crm_bridge.leads import Lead, create_lead
from crm_bridge.segments import Segment, save_segment
from tests.community.api.conftest import Api, token_for
from tests.crm_bridge.test_segments import tagged


@pytest.fixture
def api(app):
    def make(member=None, scopes=None):
        return Api(app.test_client(), token_for(member, scopes) if member is not None else None)
    return make


@pytest.fixture
def records(make):
    customer = make.member("cora")
    thread = make.thread(board=make.board(), author=customer, title="Secret: my order 4411 never came")
    case = open_case(customer, thread.title, threads=[thread])
    lead = create_lead(customer, thread=thread, title="Secret lead for 40 cameras")
    segment = save_segment("Secret segment", {"stage": "new"})
    _db.session.commit()
    return {"case": case, "lead": lead, "segment": segment, "thread": thread}


@pytest.mark.parametrize("role,status", [(None, 401), (Role.member, 403), (Role.moderator, 403),
                                         (Role.staff, 200), (Role.admin, 200)])
def test_only_staff_and_admins_reach_the_records_api(api, make, records, role, status):
    caller = api(make.member("caller", role=role)) if role is not None else api()
    case_id, lead_id = records["case"].id, records["lead"].id
    for path in ("/api/v1/crm/cases", f"/api/v1/crm/cases/{case_id}", "/api/v1/crm/leads",
                 "/api/v1/crm/leads?suggested=true", "/api/v1/crm/segments"):
        response = caller.get(path)
        assert response.status_code == status, (path, response.get_data(as_text=True)[:300])
        if status != 200:
            assert set(response.get_json()) == {"error"} and "Secret" not in response.get_data(as_text=True)
    writes = (("PATCH", f"/api/v1/crm/cases/{case_id}", {"status": "waiting"}),
              ("PATCH", f"/api/v1/crm/leads/{lead_id}", {"stage": "qualified"}),
              ("POST", "/api/v1/crm/cases", {"thread_id": records["thread"].id}),
              ("POST", "/api/v1/crm/segments", {"name": "Fans", "filters": {"stage": "advocate"}}))
    for method, path, body in writes:
        response = caller.call(method, path, json=body)
        assert response.status_code in ((200, 201) if status == 200 else (status,)), (path, response.get_json())
    assert (_db.session.scalar(select(func.count()).select_from(Segment)) == 2) == (status == 200)


def test_staff_read_and_change_records_with_clear_errors(api, make, records):
    staffer = make.member("sam", role=Role.staff)
    caller = api(staffer)
    listed = caller.get("/api/v1/crm/cases").get_json()
    assert [c["title"] for c in listed["items"]] == ["Secret: my order 4411 never came"] and listed["next"] is None
    changed = caller.call("PATCH", f"/api/v1/crm/cases/{records['case'].id}",
                          json={"status": "resolved", "owner": "sam", "order_ref": "SO-4411"}).get_json()
    assert changed["status"] == "resolved" and changed["owner"]["username"] == "sam" and changed["order_ref"] == "SO-4411"
    bad = caller.call("PATCH", f"/api/v1/crm/cases/{records['case'].id}", json={"status": "done"})
    assert bad.status_code == 422 and "status" in bad.get_json()["error"]["fields"]
    not_staff = caller.call("PATCH", f"/api/v1/crm/cases/{records['case'].id}", json={"owner": "cora"})
    assert not_staff.status_code == 422 and "staff" in not_staff.get_json()["error"]["message"]
    assert caller.get("/api/v1/crm/cases/999999").status_code == 404
    lead = caller.call("PATCH", f"/api/v1/crm/leads/{records['lead'].id}",
                       json={"stage": "won", "value": "1999.99", "currency": "EUR"}).get_json()
    assert lead["stage"] == "won" and lead["value"] == "1999.99" and lead["currency"] == "EUR"
    assert caller.call("PATCH", f"/api/v1/crm/leads/{records['lead'].id}",
                       json={"value": "lots"}).status_code == 422
    shy = make.member("shy")
    set_consent(shy, marketing=False, research=False)
    _db.session.commit()
    thread = make.thread(author=shy, title="Pricing for the Pro plan?")
    refused = caller.post("/api/v1/crm/leads", json={"thread_id": thread.id})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "consent_declined"
    assert _db.session.scalar(select(func.count()).select_from(Lead).where(Lead.member_id == shy.id)) == 0
    segments = caller.get("/api/v1/crm/segments").get_json()["items"]
    assert segments[0]["name"] == "Secret segment" and segments[0]["members"] >= 1
    clash = caller.post("/api/v1/crm/segments", json={"name": "secret SEGMENT"})
    assert clash.status_code == 409
    assert caller.post("/api/v1/crm/segments", json={"name": "X", "filters": {"stage": "royal"}}).status_code == 422
    assert _db.session.scalar(select(func.count()).select_from(Case)) == 1


def test_the_records_api_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, methods in (("/crm/cases", {"get", "post"}), ("/crm/cases/{case_id}", {"get", "patch"}),
                          ("/crm/leads", {"get", "post"}), ("/crm/leads/{lead_id}", {"patch"}),
                          ("/crm/segments", {"get", "post"})):
        key = path if path in paths else "/api/v1" + path
        assert methods <= set(paths[key]), path


def test_the_segment_list_and_its_api_count_every_segment_in_one_statement(client, auth, api, make, count_queries):
    """Live counts stay exact per segment, and listing 2 or 6 segments runs the same number of statements."""
    staffer = make.member("sam", role=Role.staff)
    for name, tag in (("ann", "vip"), ("bob", "vip"), ("cat", "beta")):
        member = tagged(make.member(name), tag)
        if name == "ann":
            set_consent(member, marketing=True, research=False)
    _db.session.commit()
    auth.login(staffer)
    caller = api(staffer)

    def statements(path, call):
        call(path)  # warm: the first request loads settings and catalogues
        with count_queries() as seen:
            response = call(path)
        assert response.status_code == 200, path
        return len(seen), response

    save_segment("VIPs", {"tag": "vip"})
    save_segment("Beta", {"tag": "beta"})
    _db.session.commit()
    page_two, _ = statements("/crm/segments", client.get)
    api_two, _ = statements("/api/v1/crm/segments", caller.get)
    for i in range(4):
        save_segment(f"More {i}", {"tag": "vip" if i % 2 else "nobody"})
    _db.session.commit()
    page_six, page = statements("/crm/segments", client.get)
    api_six, listed = statements("/api/v1/crm/segments", caller.get)
    assert (page_six, api_six) == (page_two, api_two)
    counts = {s["name"]: (s["members"], s["reachable"]) for s in listed.get_json()["items"]}
    assert counts == {"Beta": (1, 0), "VIPs": (2, 1), "More 0": (0, 0), "More 1": (2, 1), "More 2": (0, 0),
                      "More 3": (2, 1)}
    assert page.get_data(as_text=True).count("<td class=\"segment-count\">2</td>") == 3
