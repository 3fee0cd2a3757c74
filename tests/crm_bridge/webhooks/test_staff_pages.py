"""The webhook staff pages: staff and admins only, adding an endpoint (its secret shown once), form
errors on the page, the delivery log with redelivery, and a query count that does not grow."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from community.extensions import db as _db
from community.members.models import Role
from crm_bridge.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import csrf_token_from
from tests.crm_bridge.webhooks.conftest import drain, endpoint_for
from tests.crm_bridge.webhooks.receiver import Receiver

# ---- the staff pages -----------------------------------------------------------------------------------

@pytest.mark.parametrize("role,status", [(None, 302), (Role.member, 404), (Role.moderator, 404),
                                         (Role.staff, 200), (Role.admin, 200)])
def test_only_staff_and_admins_see_the_webhook_pages(make, client, auth, role, status, settings):
    endpoint = endpoint_for("http://127.0.0.1:9/hook")
    if role is not None:
        auth.login(make.member(role=role))
    assert client.get("/crm/webhooks").status_code == status
    assert client.get(f"/crm/webhooks/{endpoint.id}").status_code == status
    posted = client.post("/crm/webhooks", data={"url": "http://127.0.0.1:9/other", "event_types": ["*"]})
    assert posted.status_code == (201 if status == 200 else status)
    assert client.post(f"/crm/webhooks/{endpoint.id}/delete").status_code == (302 if status == 200 else status)
    # staff added one and deleted one; nobody else changed anything
    urls = _db.session.scalars(select(WebhookEndpoint.url)).all()
    assert urls == (["http://127.0.0.1:9/other"] if status == 200 else ["http://127.0.0.1:9/hook"])


def test_staff_add_an_endpoint_and_see_its_secret_once(make, client, auth, settings, app):
    staff = make.member("sam", role=Role.staff)
    auth.login(staff)
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/crm/webhooks").get_data(as_text=True)
    assert client.post("/crm/webhooks", data={"url": "http://127.0.0.1:9/x", "event_types": ["*"]}).status_code == 400
    response = client.post("/crm/webhooks", data={"url": "http://127.0.0.1:9/hook", "description": "Help desk",
                                                  "event_types": ["post.created", "thread.created"],
                                                  "csrf_token": csrf_token_from(page)})
    assert response.status_code == 201
    endpoint = _db.session.scalar(select(WebhookEndpoint))
    assert endpoint.secret.startswith("whsec_") and endpoint.secret in response.get_data(as_text=True)
    assert endpoint.event_types == ["post.created", "thread.created"] and endpoint.created_by_id == staff.id
    assert endpoint.secret not in client.get("/crm/webhooks").get_data(as_text=True)
    assert endpoint.secret not in client.get(f"/crm/webhooks/{endpoint.id}").get_data(as_text=True)
    old = endpoint.secret
    detail = client.get(f"/crm/webhooks/{endpoint.id}").get_data(as_text=True)
    rotated = client.post(f"/crm/webhooks/{endpoint.id}/secret", data={"csrf_token": csrf_token_from(detail)})
    _db.session.expire_all()
    endpoint = _db.session.get(WebhookEndpoint, endpoint.id)
    assert endpoint.secret != old and endpoint.secret in rotated.get_data(as_text=True)


@pytest.mark.parametrize("form,field,message", [
    ({"url": "ftp://example.com/hook", "event_types": ["*"]}, "url", "Only http:// and https://"),
    ({"url": "", "event_types": ["*"]}, "url", "Enter the URL"),
    ({"url": "http://127.0.0.1:9/hook", "event_types": []}, "event_types", "Choose at least one"),
    ({"url": "http://127.0.0.1:9/hook", "event_types": ["post.exploded"]}, "event_types", "Unknown event type"),
    ({"url": "http://no-such-host.invalid/hook", "event_types": ["*"]}, "url", "cannot be resolved"),
])
def test_bad_endpoint_forms_show_errors_on_the_page_and_save_nothing(make, client, auth, settings, form, field,
                                                                      message):
    auth.login(make.member(role=Role.staff))
    response = client.post("/crm/webhooks", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'data-field="{field}"' in html and message in html
    assert _db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


def test_the_delivery_log_shows_each_attempt_and_redeliver_sends_again(make, client, auth, settings):
    auth.login(make.member("sam", role=Role.staff))
    with Receiver(answers=[400, 200]) as receiver:
        endpoint = endpoint_for(receiver.url)
        make.thread()
        drain()
        page = client.get(f"/crm/webhooks/{endpoint.id}").get_data(as_text=True)
        assert page.count("data-attempt=") == 1 and 'data-outcome="failed"' in page and ">400" in page.replace(
            "<td>", ">")
        delivery = _db.session.scalar(select(WebhookDelivery))
        response = client.post(f"/crm/webhooks/deliveries/{delivery.id}/redeliver")
        assert response.status_code == 302
        drain()
        assert len(receiver.requests) == 2 and len(set(receiver.event_ids())) == 1
        page = client.get(f"/crm/webhooks/{endpoint.id}").get_data(as_text=True)
        assert page.count("data-attempt=") == 2 and 'data-outcome="delivered"' in page
    assert _db.session.scalar(select(WebhookDelivery.status)) == "delivered"
    assert client.post("/crm/webhooks/deliveries/999999/redeliver").status_code == 404


def test_the_webhook_page_query_count_does_not_grow_with_the_log(make, client, auth, settings, count_queries):
    auth.login(make.member(role=Role.staff))
    with Receiver() as receiver:
        endpoint_id = endpoint_for(receiver.url).id
        make.thread()
        drain()
        client.get(f"/crm/webhooks/{endpoint_id}")
        with count_queries() as few:
            client.get(f"/crm/webhooks/{endpoint_id}")
        board = make.board()
        for n in range(8):
            make.thread(board=board, title=f"More events {n}")
        drain()
        with count_queries() as many:
            assert client.get(f"/crm/webhooks/{endpoint_id}").get_data(as_text=True).count("data-attempt=") == 9
    assert len(many) == len(few), "\n".join(s[:90] for s in many) + "\n---\n" + "\n".join(s[:90] for s in few)
