"""/crm/sync, the staff page of the external CRM sync: who sees it, what it shows, picking a side, retrying."""
from __future__ import annotations

import pytest

from community.dbtypes import utcnow
from community.extensions import db as _db
from community.members.models import Role
from crm_bridge import sync


def _conflict(member_id: int) -> sync.SyncLink:
    link = sync.SyncLink(connector="tryton", kind="member", local_id=member_id, remote_id=7, state="conflict",
                         snapshot={"local": {"company": "Old"}, "remote": {"company": "Old"}},
                         conflict={"company": {"here": "Ours Ltd", "there": "Theirs GmbH"}}, candidates=[])
    _db.session.add(link)
    return link


def _failed() -> sync.SyncItem:
    item = sync.SyncItem(connector="tryton", event_id="evt-1", kind="case", local_id=3, status="failed",
                         attempts=6, payload={}, last_error="Rejected: no way from done to waiting",
                         next_attempt_at=utcnow(), created_at=utcnow())
    _db.session.add(item)
    return item


@pytest.mark.parametrize("role, status", [(None, 302), (Role.member, 404), (Role.moderator, 404),
                                          (Role.staff, 200), (Role.admin, 200)])
def test_only_staff_and_admins_see_the_sync_page(client, auth, make, role, status):
    customer = make.member("cora")
    _conflict(customer.id)
    _failed()
    _db.session.commit()
    if role is not None:
        auth.login(make.member(f"who-{role.value}", role=role))
    response = client.get("/crm/sync")
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert ("Theirs GmbH" in html) is (status == 200)
    assert ("no way from done to waiting" in html) is (status == 200)


@pytest.mark.parametrize("role, status", [(Role.member, 404), (Role.moderator, 404), (Role.staff, 302)])
def test_picking_a_side_is_for_staff_only(client, auth, make, role, status):
    link = _conflict(make.member("cora").id)
    _db.session.commit()
    auth.login(make.member(f"who-{role.value}", role=role))
    response = client.post(f"/crm/sync/conflicts/{link.id}", data={"side": "there"})
    assert response.status_code == status
    _db.session.expire_all()
    assert (_db.session.get(sync.SyncLink, link.id).resolution == "there") is (status == 302)


def test_a_bad_side_is_refused_and_a_failed_item_can_be_retried(client, auth, make):
    link = _conflict(make.member("cora").id)
    item = _failed()
    _db.session.commit()
    auth.login(make.member("sam", role=Role.staff))
    assert client.post(f"/crm/sync/conflicts/{link.id}", data={"side": "both"}).status_code == 303
    assert client.post("/crm/sync/conflicts/999", data={"side": "here"}).status_code == 404
    assert client.post(f"/crm/sync/items/{item.id}/retry").status_code == 302
    _db.session.expire_all()
    assert _db.session.get(sync.SyncItem, item.id).status == "pending"
    assert _db.session.get(sync.SyncLink, link.id).resolution is None


def test_the_page_says_when_no_crm_is_configured_and_when_the_sync_is_paused(client, auth, make):
    _db.session.add(sync.SyncState(connector="tryton", outbox_cursor=0, paused_at=utcnow(),
                                   pause_reason="Tryton cannot be reached: ConnectionError"))
    _db.session.commit()
    auth.login(make.member("sam", role=Role.staff))
    html = client.get("/crm/sync").get_data(as_text=True)
    assert 'id="sync-off"' in html and 'id="sync-paused"' in html and "ConnectionError" in html


def test_the_sync_page_costs_the_same_queries_with_many_rows(client, auth, make, count_queries):
    auth.login(make.member("sam", role=Role.staff))
    client.get("/crm/sync")
    with count_queries() as few:
        client.get("/crm/sync")
    for n in range(30):
        _conflict(make.member(f"member{n}x").id)
        _db.session.add(sync.SyncItem(connector="tryton", event_id=f"e{n}", kind="note", local_id=n, status="failed",
                                      payload={}, next_attempt_at=utcnow(), created_at=utcnow()))
    _db.session.commit()
    with count_queries() as many:
        client.get("/crm/sync")
    assert len(many) == len(few)
