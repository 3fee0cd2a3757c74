"""CRM exports cannot carry live spreadsheet formulas; every staff read of member records is audited."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from community.extensions import db as _db
from community.members.models import Role
from crm_bridge.models import AuditEntry
from crm_bridge.services import csv_cell

HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1:A2)"]


def _audit():
    return [(e.action, e.detail) for e in _db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


@pytest.mark.parametrize("value", HOSTILE)
def test_member_csv_neutralises_formula_cells(client, auth, make, value):
    staffer = make.member("sam", role=Role.staff)
    make.member("ivy", display_name=value[:60])
    auth.login(staffer)
    assert client.post("/crm/members/ivy/profile", data={"company": value, "tags": "vip"}).status_code == 302
    exported = client.get("/crm/members?tag=vip&format=csv")
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True), newline="")))
    assert len(rows) == 1
    assert rows[0]["display_name"] == "'" + value[:60] and rows[0]["company"] == "'" + value
    formula_starts = ("=", "+", "-", "@", "\t", "\r")
    assert not any(cell.startswith(formula_starts) for cell in rows[0].values())
    # ordinary values are left as they are
    assert rows[0]["username"] == "ivy" and rows[0]["tags"] == "vip"


def test_csv_cells_starting_with_tab_or_carriage_return_are_neutralised_too():
    assert [csv_cell(v) for v in ("\tcmd", "\rcmd", "plain", "a=b", 3, None)] == ["'\tcmd", "'\rcmd", "plain", "a=b", 3, None]


def test_member_searches_contact_lists_and_api_feedback_are_audited(client, auth, make):
    staffer = make.member("sam", role=Role.staff)
    make.member("ivy", display_name="Ivy Lin")
    auth.login(staffer)
    assert client.get("/crm/members?q=ivy").status_code == 200
    assert client.get("/crm/contacts?q=acme").status_code == 200
    assert client.get("/api/v1/crm/feedback").status_code == 200
    entries = _audit()
    assert ("searched", {"q": "ivy", "stage": "", "tag": ""}) in entries
    assert ("contacts_listed", {"q": "acme", "status": ""}) in entries
    assert any(action == "api_feedback_listed" for action, _detail in entries)
    # paging through the plain list without a search is not a search for anyone
    before = len(entries)
    client.get("/crm/members")
    assert len(_audit()) == before
