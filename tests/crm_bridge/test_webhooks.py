"""Outbox and webhooks: events written with the change, signed deliveries, retries, the staff pages."""
from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.dbtypes import utcnow
from community.extensions import db as _db
from community.forum import services as forum
from community.forum.models import Thread, Visibility
from community.members.models import Role
from community.notifications.models import Notification
from crm_bridge import outbox, webhooks
from crm_bridge.models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.conftest import csrf_token_from

from .webhook_receiver import Receiver


@pytest.fixture
def settings(app):
    """Let endpoints on 127.0.0.1 receive (the test receiver); fast retries. Restored afterwards."""
    changed = {"WEBHOOKS_ALLOW_PRIVATE": True, "WEBHOOK_RETRY_BASE_SECONDS": 30, "WEBHOOK_RETRY_CAP_SECONDS": 3600,
               "WEBHOOK_TIMEOUT_SECONDS": 5, "WEBHOOK_MAX_ATTEMPTS": 8, "WEBHOOK_DISABLE_AFTER_FAILURES": 20,
               "WEBHOOK_RETENTION_DAYS": 30}
    before = {k: app.config.get(k) for k in changed}
    app.config.update(changed)
    yield app.config
    app.config.update(before)


def events(type_=None):
    query = select(OutboxEvent).order_by(OutboxEvent.id)
    if type_:
        query = query.where(OutboxEvent.type == type_)
    return _db.session.scalars(query).all()


def endpoint_for(url, types=("thread.created",), staff=None) -> WebhookEndpoint:
    endpoint = webhooks.create_endpoint(staff, url, list(types)) if staff else WebhookEndpoint(
        url=url, event_types=list(types), secret=webhooks.new_secret(), active=True)
    _db.session.add(endpoint)
    _db.session.commit()
    return endpoint


def drain(max_rounds: int = 50) -> None:
    """What `flask crm worker --once` does, in the test's process."""
    for _ in range(max_rounds):
        if not webhooks.work_once():
            break
    _db.session.expire_all()


def make_due() -> None:
    """Skip the backoff wait: every pending delivery is due now."""
    _db.session.execute(WebhookDelivery.__table__.update().where(WebhookDelivery.status == "pending")
                        .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    _db.session.commit()


# ---- the outbox --------------------------------------------------------------------------------------

def test_starting_a_thread_writes_one_outbox_event_with_the_change(make):
    author = make.member("ann")
    before = len(events())
    thread = make.thread(author=author, title="Battery drains overnight", body="Since the update, yes.")
    (event,) = events("thread.created")
    assert [e.type for e in events()[before:]].count("thread.created") == 1
    assert uuid.UUID(event.event_id).version == 4
    payload = event.payload
    assert payload["id"] == event.event_id and payload["type"] == "thread.created" and payload["timestamp"]
    assert payload["data"]["thread"]["id"] == thread.id
    assert payload["data"]["thread"]["title"] == "Battery drains overnight"
    assert payload["data"]["post"]["body"] == "Since the update, yes."
    assert payload["data"]["thread"]["author"] == {"id": author.id, "username": "ann"}
    assert "ann@example.com" not in json.dumps(payload)  # no email addresses leave the system


def test_outbox_event_is_rolled_back_with_the_change(make):
    author, board = make.member(), make.board()
    before = len(events())
    forum.start_thread(author, board, "A thread that never was", "Its body, never committed.")
    _db.session.flush()
    assert len(events("thread.created")) == 1  # written in the same transaction...
    _db.session.rollback()
    assert len(events()) == before and events("thread.created") == []  # ...and gone with it
    assert _db.session.scalar(select(func.count()).select_from(Thread)) == 0


def test_replies_edits_deletes_and_whispers_are_events_without_deleted_bodies(make):
    staff = make.member("sam", role=Role.staff)
    thread = make.thread()
    reply = make.post(thread, body="First version of my reply.")
    forum.edit_post(reply.author, reply, "Second version of my reply.")
    _db.session.commit()
    whisper = forum.reply(staff, thread, "Staff only: this customer is a VIP.", whisper=True)
    _db.session.commit()
    forum.delete_post(reply.author, reply)
    _db.session.commit()
    types = [e.type for e in events()]
    assert types.count("post.created") == 2 and "post.edited" in types and "post.deleted" in types
    edited = events("post.edited")[0].payload["data"]
    assert edited["post"]["body"] == "Second version of my reply."
    whispered = [e for e in events("post.created") if e.payload["data"]["post"]["id"] == whisper.id][0]
    assert whispered.payload["data"]["post"]["whisper"] is True  # marked, so a receiver can filter it
    deleted = events("post.deleted")[0].payload["data"]
    assert deleted["post"]["id"] == reply.id and "body" not in deleted["post"]


def test_staff_board_events_say_their_visibility(make):
    board = make.board(visibility=Visibility.staff)
    make.thread(board=board)
    assert events("thread.created")[-1].payload["data"]["thread"]["board"]["visibility"] == "staff"


# ---- delivery, signature -----------------------------------------------------------------------------

def test_delivery_is_signed_and_the_receiver_can_verify_it(make, settings):
    with Receiver() as receiver:
        endpoint = endpoint_for(receiver.url)
        thread = make.thread(title="Signed and sealed")
        drain()
        assert len(receiver.requests) == 1
        got = receiver.requests[0]
        headers, body = got["headers"], got["body"]
        assert webhooks.verify(endpoint.secret, headers, body)
        assert not webhooks.verify("whsec_wrong", headers, body)
        assert not webhooks.verify(endpoint.secret, headers, body + b" ")  # a changed body fails
        assert not webhooks.verify(endpoint.secret, headers, body, now=time.time() + 3600)  # a replay fails
        payload = json.loads(body)
        assert headers["X-Community-Event-Id"] == payload["id"]
        assert headers["X-Community-Event"] == "thread.created" == payload["type"]
        assert payload["data"]["thread"]["id"] == thread.id
    delivery = _db.session.scalar(select(WebhookDelivery))
    assert delivery.status == "delivered" and delivery.attempts == 1
    (attempt,) = _db.session.scalars(select(WebhookAttempt)).all()
    assert attempt.status_code == 200 and attempt.outcome == "delivered" and '"ok": true' in attempt.response_excerpt


def test_endpoints_get_only_the_types_they_asked_for(make, settings):
    with Receiver() as receiver:
        endpoint_for(receiver.url, types=("post.created",))
        thread = make.thread()
        make.post(thread)
        drain()
        assert [r["headers"]["X-Community-Event"] for r in receiver.requests] == ["post.created"]


def test_events_before_an_endpoint_existed_are_not_sent_to_it(make, settings):
    make.thread()
    drain()  # dispatched to nobody
    with Receiver() as receiver:
        endpoint_for(receiver.url)
        drain()
        assert receiver.requests == []


# ---- retries ------------------------------------------------------------------------------------------

def test_backoff_grows_exponentially_with_jitter_and_a_cap(settings):
    for attempt, (low, high) in {1: (15, 30), 2: (30, 60), 3: (60, 120), 8: (1800, 3600), 20: (1800, 3600)}.items():
        delays = [webhooks.backoff(attempt) for _ in range(50)]
        assert all(low <= d <= high for d in delays), (attempt, min(delays), max(delays))
        assert len(set(delays)) > 1  # jitter: workers retrying together do not stampede together
    assert webhooks.backoff(1, retry_after="600") == 600  # a 429's Retry-After is honoured
    assert webhooks.backoff(1, retry_after="999999") == 3600  # within the cap


@pytest.mark.parametrize("answer", [503, 429, 500])
def test_server_errors_and_rate_limits_are_retried_later_then_delivered(make, settings, answer):
    with Receiver(answers=[answer, answer, 200]) as receiver:
        endpoint_for(receiver.url)
        make.thread()
        drain()
        delivery = _db.session.scalar(select(WebhookDelivery))
        assert delivery.status == "pending" and delivery.attempts == 1
        wait = (delivery.next_attempt_at - utcnow()).total_seconds()
        assert 14 <= wait <= 30  # the first retry waits 15-30 s with base 30 s
        drain()
        assert len(receiver.requests) == 1  # not due yet: nothing sent
        make_due()
        drain()
        delivery = _db.session.scalar(select(WebhookDelivery))
        assert delivery.attempts == 2
        assert 29 <= (delivery.next_attempt_at - utcnow()).total_seconds() <= 60  # the second waits longer
        make_due()
        drain()
        assert len(receiver.requests) == 3
        assert len(set(receiver.event_ids())) == 1  # the same event id every time
    delivery = _db.session.scalar(select(WebhookDelivery))
    assert delivery.status == "delivered" and delivery.attempts == 3
    outcomes = _db.session.scalars(select(WebhookAttempt.outcome).order_by(WebhookAttempt.id)).all()
    assert outcomes == ["retry", "retry", "delivered"]


def test_a_timeout_is_retried(make, settings):
    settings["WEBHOOK_TIMEOUT_SECONDS"] = 0.3
    with Receiver(delay=1.0) as receiver:
        endpoint_for(receiver.url)
        make.thread()
        drain()
    attempt = _db.session.scalar(select(WebhookAttempt))
    assert attempt.status_code is None and attempt.error == "timeout" and attempt.outcome == "retry"
    assert _db.session.scalar(select(WebhookDelivery)).status == "pending"


def test_a_connection_refused_is_retried(make, settings):
    with Receiver() as receiver:
        url = receiver.url
    endpoint_for(url)  # nobody listens there any more
    make.thread()
    drain()
    attempt = _db.session.scalar(select(WebhookAttempt))
    assert attempt.status_code is None and "ConnectionError" in attempt.error and attempt.outcome == "retry"


@pytest.mark.parametrize("answer", [400, 404, 410, 301])
def test_other_client_errors_are_not_retried(make, settings, answer):
    with Receiver(answers=[answer]) as receiver:
        endpoint_for(receiver.url)
        make.thread()
        drain()
        make_due()
        drain()
        assert len(receiver.requests) == 1
    delivery = _db.session.scalar(select(WebhookDelivery))
    assert delivery.status == "failed" and delivery.attempts == 1
    assert _db.session.scalar(select(WebhookAttempt.status_code)) == answer


def test_retries_stop_after_the_last_attempt(make, settings):
    settings["WEBHOOK_MAX_ATTEMPTS"] = 3
    with Receiver(answers=[500]) as receiver:
        endpoint_for(receiver.url)
        make.thread()
        for _ in range(5):
            drain()
            make_due()
        assert len(receiver.requests) == 3
    assert _db.session.scalar(select(WebhookDelivery)).status == "failed"


# ---- failing endpoints are switched off; staff are told ------------------------------------------------

def test_an_endpoint_failing_for_the_streak_is_disabled_and_staff_are_notified(make, settings, client, auth):
    settings["WEBHOOK_DISABLE_AFTER_FAILURES"] = 3
    staff, admin = make.member("sam", role=Role.staff), make.member("ada", role=Role.admin)
    moderator, member = make.member("moe", role=Role.moderator), make.member("meg")
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


# ---- the address guard ----------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["http://127.0.0.1/hook", "http://localhost:8000/hook", "http://10.1.2.3/hook",
                                 "http://192.168.0.10/hook", "http://169.254.169.254/latest/meta-data",
                                 "http://[::1]/hook", "http://0.0.0.0/hook", "http://[::ffff:127.0.0.1]/hook"])
def test_private_and_loopback_urls_are_refused_unless_allowed(make, client, auth, settings, url):
    settings["WEBHOOKS_ALLOW_PRIVATE"] = False
    auth.login(make.member(role=Role.staff))
    response = client.post("/crm/webhooks", data={"url": url, "event_types": ["*"]})
    assert response.status_code == 422 and "private, loopback or link-local" in response.get_data(as_text=True)
    settings["WEBHOOKS_ALLOW_PRIVATE"] = True
    assert client.post("/crm/webhooks", data={"url": url, "event_types": ["*"]}).status_code == 201


def test_public_addresses_pass_the_guard(settings):
    settings["WEBHOOKS_ALLOW_PRIVATE"] = False
    webhooks.check_url("https://93.184.215.14/hook")  # a literal public address needs no DNS
    with pytest.raises(webhooks.Refused):
        webhooks.check_url("https://user:pw@93.184.215.14/hook")


def test_the_guard_is_checked_again_at_delivery_time(make, settings):
    with Receiver() as receiver:
        endpoint = endpoint_for(receiver.url)  # saved while private addresses were allowed
        settings["WEBHOOKS_ALLOW_PRIVATE"] = False
        make.thread()
        drain()
        assert receiver.requests == []  # nothing reached the loopback address
    attempt = _db.session.scalar(select(WebhookAttempt))
    assert attempt.outcome == "failed" and "private, loopback or link-local" in attempt.error
    assert _db.session.get(WebhookEndpoint, endpoint.id).failure_streak == 1


@pytest.mark.parametrize("url", [
    "http://[64:ff9b::7f00:1]/hook",              # NAT64 of 127.0.0.1
    "http://[64:ff9b:1::a00:1]/hook",             # local-use NAT64 of 10.0.0.1
    "http://[2002:7f00:1::1]/hook",               # 6to4 of 127.0.0.1
    "http://[2002:a9fe:a9fe::1]/hook",            # 6to4 of 169.254.169.254 (cloud metadata)
    "http://[::127.0.0.1]/hook",                  # IPv4-compatible
    "http://[::ffff:127.0.0.1]/hook",             # IPv4-mapped
    "http://[::ffff:7f00:1]/hook",                # IPv4-mapped, hex
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook",  # Teredo (2001::/32)
    "http://2130706433/hook", "http://0177.0.0.1/hook", "http://0x7f.0.0.1/hook", "http://0x7f000001/hook",
    "http://127.1/hook", "http://017700000001/hook", "http://0/hook",
])
def test_ipv6_and_numeric_forms_of_private_addresses_are_refused(make, client, auth, settings, url):
    settings["WEBHOOKS_ALLOW_PRIVATE"] = False
    auth.login(make.member(role=Role.staff))
    response = client.post("/crm/webhooks", data={"url": url, "event_types": ["*"]})
    assert response.status_code == 422 and "private, loopback or link-local" in response.get_data(as_text=True)
    assert _db.session.scalar(select(func.count(WebhookEndpoint.id))) == 0


@pytest.mark.parametrize("url", ["https://[64:ff9b::808:808]/hook", "https://[2002:808:808::1]/hook",
                                 "https://[2606:4700:4700::1111]/hook"])
def test_ipv6_forms_of_public_addresses_pass_the_guard(settings, url):
    settings["WEBHOOKS_ALLOW_PRIVATE"] = False
    webhooks.check_url(url)


class FakeDNS:
    """A resolver we control: `name` resolves to each of `answers` in turn (the last one repeats)."""

    def __init__(self, monkeypatch, name, answers):
        import socket
        self.real, self.name, self.answers, self.asked = socket.getaddrinfo, name, list(answers), 0
        monkeypatch.setattr(socket, "getaddrinfo", self)

    def __call__(self, host, port, *args, **kwargs):
        if host != self.name:
            return self.real(host, port, *args, **kwargs)
        import socket
        address = self.answers[min(self.asked, len(self.answers) - 1)]
        self.asked += 1
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sockaddr = (address, port, 0, 0) if family == socket.AF_INET6 else (address, port)
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]


def test_dns_rebinding_after_the_check_does_not_reach_loopback(make, settings, monkeypatch):
    """The name answers a public address to the check and 127.0.0.1 to any later lookup: the worker
    connects to the public address it checked, never to loopback."""
    with Receiver() as receiver:
        port = receiver.server.server_address[1]
        endpoint_for(f"http://rebind.test:{port}/hook")
        settings["WEBHOOKS_ALLOW_PRIVATE"] = False
        settings["WEBHOOK_TIMEOUT_SECONDS"] = 1
        dns = FakeDNS(monkeypatch, "rebind.test", ["93.184.215.14", "127.0.0.1"])
        make.thread()
        drain()
        assert dns.asked == 1  # resolved once, at delivery
        assert receiver.requests == []
    attempt = _db.session.scalar(select(WebhookAttempt))
    assert attempt.status_code is None and attempt.outcome == "retry"


def test_the_request_goes_to_the_checked_address_with_the_host_name_in_the_host_header(make, settings, monkeypatch):
    with Receiver() as receiver:
        port = receiver.server.server_address[1]
        endpoint_for(f"http://pinned.test:{port}/hook")
        # checked: 127.0.0.1 (allowed here); any second lookup would send it to a closed address
        dns = FakeDNS(monkeypatch, "pinned.test", ["127.0.0.1", "127.0.0.2"])
        make.thread()
        drain()
        assert dns.asked == 1
        assert len(receiver.requests) == 1
        assert receiver.requests[0]["headers"]["Host"] == f"pinned.test:{port}"
    assert _db.session.scalar(select(WebhookAttempt)).outcome == "delivered"


def _certificate(tmp_path, name: str):
    """A self-signed certificate for `name` only (no IP address in it), made by openssl."""
    import subprocess

    cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


@pytest.mark.parametrize("certified_name, outcome", [("pinned.test", "delivered"), ("other.test", "retry")])
def test_https_to_the_checked_address_sends_the_host_name_as_sni_and_verifies_it(
        make, settings, monkeypatch, tmp_path, certified_name, outcome):
    import ssl

    import requests.adapters

    cert, key = _certificate(tmp_path, certified_name)
    monkeypatch.setattr(requests.adapters, "DEFAULT_CA_BUNDLE_PATH", str(cert))  # trust our self-signed CA
    server_names = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda _sock, name, _ctx: server_names.append(name)
    with Receiver() as receiver:
        receiver.server.socket = context.wrap_socket(receiver.server.socket, server_side=True)
        port = receiver.server.server_address[1]
        endpoint_for(f"https://pinned.test:{port}/hook")
        FakeDNS(monkeypatch, "pinned.test", ["127.0.0.1", "127.0.0.2"])
        make.thread()
        drain(max_rounds=1)
        assert server_names and set(server_names) == {"pinned.test"}  # SNI: the name, not 127.0.0.1
        assert len(receiver.requests) == (1 if outcome == "delivered" else 0)
    attempt = _db.session.scalar(select(WebhookAttempt))
    assert attempt.outcome == outcome
    if outcome != "delivered":
        assert "certificate" in attempt.error.lower() or "SSL" in attempt.error, attempt.error


# ---- claiming ---------------------------------------------------------------------------------------------

def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_runs_out(make, settings):
    endpoint_for("http://127.0.0.1:9/hook")
    board = make.board()
    for n in range(3):
        make.thread(board=board, title=f"Claim me {n}")
    webhooks.dispatch()
    first = {d.id for d in webhooks.claim(limit=2)}
    second = {d.id for d in webhooks.claim(limit=2)}
    assert len(first) == 2 and len(second) == 1 and not first & second  # disjoint batches
    assert webhooks.claim() == []
    _db.session.execute(WebhookDelivery.__table__.update().values(claimed_until=utcnow() - timedelta(seconds=1)))
    _db.session.commit()
    assert {d.id for d in webhooks.claim()} == first | second  # a dead worker's lease expired


def test_the_cli_worker_once_drains_the_outbox(make, settings, app):
    with Receiver() as receiver:
        endpoint_for(receiver.url)
        make.thread()
        make.thread()
        result = app.test_cli_runner().invoke(args=["crm", "worker", "--once"])
        assert result.exit_code == 0, result.output
        assert len(receiver.requests) == 2
    assert _db.session.scalar(select(func.count()).select_from(OutboxEvent)
                              .where(OutboxEvent.dispatched_at.is_(None))) == 0


def test_two_workers_at_once_never_deliver_the_same_row_twice(app, settings):
    import threading

    with Receiver(delay=0.02) as receiver:
        endpoint_for(receiver.url, types=("*",))
        sent = {outbox.write("post.created", {"n": n}).event_id for n in range(30)}
        _db.session.commit()
        settings["WEBHOOK_BATCH_SIZE"] = 3
        errors = []

        def work():
            try:
                with app.app_context():
                    webhooks.run(once=True)
            except Exception as exc:  # pragma: no cover - shown by the assertion below
                errors.append(exc)

        workers = [threading.Thread(target=work) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(120)
        assert errors == []
        ids = receiver.event_ids()
        assert sorted(ids) == sorted(sent)  # every event exactly once: no row was claimed by both


def test_postgresql_claims_skip_rows_another_worker_has_locked(make, settings):
    if _db.engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite lets one writer in at a time")
    endpoint_for("http://127.0.0.1:9/hook", types=("*",))
    for n in range(4):
        outbox.write("post.created", {"n": n})
    _db.session.commit()
    webhooks.dispatch()
    ids = _db.session.scalars(select(WebhookDelivery.id).order_by(WebhookDelivery.id)).all()
    with _db.engine.connect() as other:  # another worker, mid-claim: it holds the first two rows
        other.execute(select(WebhookDelivery.id).where(WebhookDelivery.id.in_(ids[:2]))
                      .with_for_update()).all()
        claimed = {d.id for d in webhooks.claim(limit=10)}
        other.rollback()
    assert claimed == set(ids[2:])


def test_votes_flags_and_moderation_are_events_without_flag_notes(make):
    from community.moderation import flags as moderation
    from community.votes.services import cast_vote

    thread = make.thread()
    reply = make.post(thread, body="Have you tried turning it off and on again?")
    voter, flagger = make.member("vic"), make.member("fay", role=Role.moderator)
    cast_vote(voter, reply, 1)
    _db.session.commit()
    moderation.flag_post(flagger, reply, "other", note="Private note: I know this person at work.")
    _db.session.commit()
    vote = events("vote.cast")[-1].payload["data"]
    assert vote["post"]["id"] == reply.id and vote["value"] == 1 and vote["voter"]["username"] == "vic"
    flag = events("content.flagged")[-1].payload
    assert flag["data"]["reason"] == "other" and flag["data"]["flagger"]["username"] == "fay"
    assert flag["data"]["post"]["id"] == reply.id
    assert all("I know this person" not in json.dumps(e.payload) for e in events())  # the note stays inside
    (logged,) = [e.payload["data"] for e in events("moderation.action") if e.payload["data"]["action"] == "flag"]
    assert logged["action"] == "flag" and logged["reason_code"] == "other" and logged["reason"] == ""


def test_finished_events_past_the_retention_are_pruned_with_their_log(make, settings, app):
    settings["WEBHOOK_MAX_ATTEMPTS"] = 1
    with Receiver(answers=[200, 500, 503]) as receiver:
        endpoint = endpoint_for(receiver.url, types=("thread.created",))
        delivered, failed, waiting = (make.thread(title=t) for t in ("Delivered", "Failed", "Still waiting"))
        drain()
    _db.session.execute(WebhookDelivery.__table__.update().where(WebhookDelivery.event_id == _event_of(waiting).id)
                        .values(status="pending", next_attempt_at=utcnow() + timedelta(days=1)))
    endpoint.active = False
    _db.session.commit()
    recent = make.thread(title="Dispatched lately")  # finished (no endpoint wants it) but within the retention
    webhooks.dispatch()
    make.thread(title="Not dispatched yet")
    _db.session.expire_all()
    old = utcnow() - timedelta(days=31)
    for thread in (delivered, failed, waiting):
        _db.session.execute(OutboxEvent.__table__.update().where(OutboxEvent.id == _event_of(thread).id)
                            .values(dispatched_at=old))
    _db.session.commit()
    assert {d.status for d in _db.session.scalars(select(WebhookDelivery))} == {"delivered", "failed", "pending"}

    assert webhooks.prune() == 2
    left = {e.payload["data"]["thread"]["title"] for e in events("thread.created")}
    assert left == {"Still waiting", "Dispatched lately", "Not dispatched yet"}
    assert _event_of(recent).dispatched_at is not None
    assert [d.status for d in _db.session.scalars(select(WebhookDelivery))] == ["pending"]
    assert _db.session.scalar(select(func.count()).select_from(WebhookAttempt)) == 1  # the waiting one's try

    settings["WEBHOOK_RETENTION_DAYS"] = 0  # keeps everything
    _db.session.execute(WebhookDelivery.__table__.update().values(status="failed"))
    _db.session.commit()
    assert webhooks.prune() == 0
    settings["WEBHOOK_RETENTION_DAYS"] = 30
    webhooks.run(once=True)  # what `flask crm worker --once` runs: it prunes too
    assert "Still waiting" not in {e.payload["data"]["thread"]["title"] for e in events("thread.created")}


def _event_of(thread) -> OutboxEvent:
    return next(e for e in events("thread.created") if e.payload["data"]["thread"]["id"] == thread.id)
