"""An endpoint failing for the whole streak is switched off and staff are told; a success resets the
streak."""
from __future__ import annotations

from sqlalchemy import select

from community.extensions import db as _db
from community.members.models import Role
from community.notifications.models import Notification
from crm_bridge.models import WebhookDelivery, WebhookEndpoint
from tests.crm_bridge.webhooks.conftest import drain, endpoint_for, make_due
from tests.crm_bridge.webhooks.receiver import Receiver

# ---- failing endpoints are switched off; staff are told ------------------------------------------------

def test_an_endpoint_failing_for_the_streak_is_disabled_and_staff_are_notified(make, settings, client, auth):
    settings["WEBHOOK_DISABLE_AFTER_FAILURES"] = 3
    staff, admin = make.member("sam", role=Role.staff), make.member("ada", role=Role.admin)
    make.member("moe", role=Role.moderator)  # not told
    member = make.member("meg")
    board = make.board()
    with Receiver(answers=[400]) as receiver:
        endpoint = endpoint_for(receiver.url)
        for n in range(2):
            make.thread(board=board, author=member, title=f"Failing number {n}")
        drain()
        assert _db.session.get(WebhookEndpoint, endpoint.id).active  # two failures: still on
        make.thread(board=board, author=member, title="The third failure")
        make.thread(board=board, author=member, title="Not sent at all")
        drain()
        assert len(receiver.requests) == 3
    endpoint = _db.session.get(WebhookEndpoint, endpoint.id)
    assert not endpoint.active and endpoint.disabled_at is not None and endpoint.failure_streak == 3
    told = _db.session.scalars(select(Notification.member_id).where(Notification.kind == "webhook_disabled")).all()
    assert sorted(told) == sorted([staff.id, admin.id])  # staff and admins, once each; not moderators or members
    assert _db.session.scalar(select(WebhookDelivery.status).order_by(WebhookDelivery.id.desc())) == "pending"

    auth.login(staff)
    page = client.get("/notifications").get_data(as_text=True)
    assert "was switched off after 3 failed deliveries" in page and f"/crm/webhooks/{endpoint.id}" in page
    listing = client.get("/crm/webhooks").get_data(as_text=True)
    assert f'data-disabled-endpoint="{endpoint.id}"' in listing

    # switched on again: the streak starts over and the waiting event goes out
    with Receiver() as receiver:
        response = client.post(f"/crm/webhooks/{endpoint.id}", data={
            "url": receiver.url, "event_types": ["*"], "active": "y", "description": ""})
        assert response.status_code == 302
        drain()
        assert len(receiver.requests) == 1
    endpoint = _db.session.get(WebhookEndpoint, endpoint.id)
    assert endpoint.active and endpoint.failure_streak == 0 and endpoint.disabled_at is None


def test_a_success_resets_the_failure_streak(make, settings):
    with Receiver(answers=[500, 200]) as receiver:
        endpoint = endpoint_for(receiver.url)
        make.thread()
        drain()
        assert _db.session.get(WebhookEndpoint, endpoint.id).failure_streak == 1
        make_due()
        drain()
    assert _db.session.get(WebhookEndpoint, endpoint.id).failure_streak == 0
