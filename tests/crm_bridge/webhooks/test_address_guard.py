"""The address guard: private, loopback, IPv6 and numeric forms refused unless allowed, public ones
pass; checked again at delivery; DNS rebinding cannot reach loopback; the request goes to the checked
address with the host name in the Host header and as the TLS SNI."""
from __future__ import annotations

import socket
import ssl
import subprocess

import pytest
import requests.adapters
from sqlalchemy import func, select

from community.extensions import db as _db
from community.members.models import Role
from crm_bridge import webhooks
from crm_bridge.models import WebhookAttempt, WebhookEndpoint
from tests.crm_bridge.webhooks.conftest import drain, endpoint_for
from tests.crm_bridge.webhooks.receiver import Receiver

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
        self.real, self.name, self.answers, self.asked = socket.getaddrinfo, name, list(answers), 0
        monkeypatch.setattr(socket, "getaddrinfo", self)

    def __call__(self, host, port, *args, **kwargs):
        if host != self.name:
            return self.real(host, port, *args, **kwargs)
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
    cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


@pytest.mark.parametrize("certified_name, outcome", [("pinned.test", "delivered"), ("other.test", "retry")])
def test_https_to_the_checked_address_sends_the_host_name_as_sni_and_verifies_it(
        make, settings, monkeypatch, tmp_path, certified_name, outcome):
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
