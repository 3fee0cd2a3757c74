"""Webhook endpoints and the worker that delivers the outbox to them, signed, with retries.

The worker (`flask crm worker`, or the thread `python wsgi.py` starts) repeats two steps:

1. *dispatch*: claim committed outbox rows not yet fanned out and write one `WebhookDelivery` per
   active endpoint that wants the event's type, in one transaction (a killed worker loses nothing:
   the transaction rolls back and the rows stay undispatched).
2. *deliver*: claim a batch of due deliveries by writing a lease (`claimed_until`, `claim_token`)
   and commit, then POST each one and record the attempt. On PostgreSQL the claim selects with
   FOR UPDATE SKIP LOCKED, so concurrent workers take disjoint rows; on SQLite the claim is one
   UPDATE statement and the database lets one writer in at a time. The lease outlives the batch's
   timeouts; a killed worker's lease runs out and another worker sends its rows again, so delivery
   is at least once and receivers drop duplicates by the event id (header `X-Community-Event-Id`).

Retries: 429, 5xx, connection errors and timeouts back off exponentially (equal jitter, capped)
up to WEBHOOK_MAX_ATTEMPTS; any other answer outside 2xx fails at once. WEBHOOK_DISABLE_AFTER_FAILURES
failed attempts in a row disable the endpoint and notify every staff member and admin.

Retention: once an hour (and in `--once`) the worker deletes events dispatched more than
WEBHOOK_RETENTION_DAYS ago whose deliveries are all finished (delivered or failed), with their
deliveries and attempt log; 0 keeps everything. Pending deliveries are never pruned.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import random
import secrets
import socket
import threading
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3
import urllib3.connection
import urllib3.exceptions
import urllib3.util.connection
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, or_, select, update

from community.dbtypes import utcnow
from community.errors import ValidationFailed
from community.extensions import db
from community.members.models import Member, Role
from community.notifications.services import notify_many

from .models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .outbox import EVENT_TYPES

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Community-Signature"
TIMESTAMP_HEADER = "X-Community-Timestamp"
EVENT_ID_HEADER = "X-Community-Event-Id"
EVENT_TYPE_HEADER = "X-Community-Event"

DEFAULTS = {
    "WEBHOOKS_ALLOW_PRIVATE": False,        # True lets endpoints on loopback/private networks (tests, labs)
    "WEBHOOK_TIMEOUT_SECONDS": 10,
    "WEBHOOK_MAX_ATTEMPTS": 8,
    "WEBHOOK_RETRY_BASE_SECONDS": 30,
    "WEBHOOK_RETRY_CAP_SECONDS": 3600,
    "WEBHOOK_DISABLE_AFTER_FAILURES": 20,
    "WEBHOOK_BATCH_SIZE": 10,
    "WEBHOOK_LEASE_SECONDS": None,          # default: batch size x timeout + 30 s
    "WEBHOOK_POLL_SECONDS": 2,
    "WEBHOOK_WORKER_IN_PROCESS": True,      # `python wsgi.py` runs the worker in a thread
    "WEBHOOK_RETENTION_DAYS": 30,           # finished events, deliveries and attempts older are deleted
}


def _setting(name: str):
    return current_app.config.get(name, DEFAULTS[name])


# ---- the address guard ------------------------------------------------------------------------

class Refused(Exception):
    """A URL the worker must not call (scheme, or an address outside the public internet)."""


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: mapped, IPv4-compatible, NAT64, 6to4, Teredo."""
    found = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:  # ::a.b.c.d (deprecated, but stacks still route it)
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if any(ip in net for net in _NAT64):  # the translator connects to the last 32 bits
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)  # (server, client)
    return found


def _public(address: str) -> bool:
    """Whether `address` (and every IPv4 address embedded in it) is on the public internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    candidates = [ip]
    if ip.version == 6:
        candidates += _embedded_ipv4(ip)
    return all(c.is_global and not c.is_multicast for c in candidates)


def _resolve(url: str, allow_private: bool | None = None) -> tuple[str, int, list[str]]:
    """Check `url` and resolve its host once; return (host, port, the vetted addresses)."""
    if allow_private is None:
        allow_private = bool(_setting("WEBHOOKS_ALLOW_PRIVATE"))
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise Refused(_("This is not a valid URL.")) from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(_("Only http:// and https:// URLs can receive webhooks."))
    if parts.username or parts.password:
        raise Refused(_("A webhook URL cannot carry a user name or password."))
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(_("The host %(host)s cannot be resolved.", host=parts.hostname)) from exc
    addresses = []
    for info in infos:
        address = info[4][0]
        if not allow_private and not _public(address):
            raise Refused(_("%(host)s resolves to a private, loopback or link-local address; webhooks "
                            "only go to public addresses.", host=parts.hostname))
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise Refused(_("The host %(host)s cannot be resolved.", host=parts.hostname))
    return parts.hostname, port, addresses


def check_url(url: str, allow_private: bool | None = None) -> None:
    """Raise Refused unless `url` is http(s) and every address its host resolves to is public."""
    _resolve(url, allow_private)


def _pinned_connection(base, address: str):
    """A urllib3 connection class that connects to `address` instead of resolving the host again;
    the Host header, TLS SNI and certificate check still use the URL's host name."""

    class Pinned(base):
        def _new_conn(self):
            try:
                return urllib3.util.connection.create_connection(
                    (address, self.port), self.timeout, source_address=self.source_address,
                    socket_options=self.socket_options)
            except TimeoutError as exc:
                raise urllib3.exceptions.ConnectTimeoutError(
                    self, f"Connection to {self.host} ({address}) timed out.") from exc
            except OSError as exc:
                raise urllib3.exceptions.NewConnectionError(
                    self, f"Failed to establish a new connection to {address}: {exc}") from exc

    return Pinned


class _PinnedAdapter(requests.adapters.HTTPAdapter):
    """Send every request of a session to one vetted address (no second DNS lookup: no rebinding)."""

    def __init__(self, address: str):
        self._pools = {
            "http": type("PinnedHTTPPool", (urllib3.HTTPConnectionPool,),
                         {"ConnectionCls": _pinned_connection(urllib3.connection.HTTPConnection, address)}),
            "https": type("PinnedHTTPSPool", (urllib3.HTTPSConnectionPool,),
                          {"ConnectionCls": _pinned_connection(urllib3.connection.HTTPSConnection, address)}),
        }
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pools


def pinned_session(address: str) -> requests.Session:
    """A requests session that connects only to `address` and ignores proxy settings of the environment."""
    session = requests.Session()
    session.trust_env = False  # a proxy from the environment would resolve the name again
    adapter = _PinnedAdapter(address)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# ---- endpoints (staff pages) --------------------------------------------------------------------

def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _validated(url: str, event_types, description: str) -> tuple[str, list, str]:
    url = (url or "").strip()
    description = (description or "").strip()
    types = [t for t in (event_types or []) if t]
    fields = {}
    if not url:
        fields["url"] = _("Enter the URL that receives the events.")
    elif len(url) > 500:
        fields["url"] = _("A URL has at most 500 characters.")
    else:
        try:
            check_url(url)
        except Refused as exc:
            fields["url"] = str(exc)
    unknown = [t for t in types if t != "*" and t not in EVENT_TYPES]
    if not types:
        fields["event_types"] = _("Choose at least one event type.")
    elif unknown:
        fields["event_types"] = _("Unknown event type: %(type)s.", type=", ".join(unknown)[:100])
    if len(description) > 200:
        fields["description"] = _("A description has at most 200 characters.")
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    return url, (["*"] if "*" in types else types), description


def create_endpoint(staff: Member, url: str, event_types, description: str = "") -> WebhookEndpoint:
    """Add an endpoint with a fresh secret (shown to staff once)."""
    url, types, description = _validated(url, event_types, description)
    endpoint = WebhookEndpoint(url=url, event_types=types, description=description, secret=new_secret(),
                               active=True, created_by_id=staff.id, created_at=utcnow())
    db.session.add(endpoint)
    db.session.flush()
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, url: str, event_types, description: str, active: bool) -> None:
    """Change an endpoint; switching it back on clears its failure streak."""
    endpoint.url, endpoint.event_types, endpoint.description = _validated(url, event_types, description)
    if active and not endpoint.active:
        endpoint.failure_streak, endpoint.disabled_at, endpoint.disabled_reason = 0, None, ""
    endpoint.active = bool(active)


def rotate_secret(endpoint: WebhookEndpoint) -> str:
    endpoint.secret = new_secret()
    return endpoint.secret


def redeliver(delivery: WebhookDelivery) -> None:
    """Queue a delivery to be sent again now, whatever became of it (attempts start over)."""
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, utcnow()
    delivery.claimed_until, delivery.claim_token = None, None


# ---- signing ----------------------------------------------------------------------------------------

def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Return the hex HMAC-SHA256 of "<timestamp>.<body>" with the endpoint's secret."""
    return hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def verify(secret: str, headers, body: bytes, tolerance: int = 300, now: float | None = None) -> bool:
    """What a receiver does: check the signature and that the timestamp is recent (replays)."""
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    given = headers.get(SIGNATURE_HEADER, "")
    if not timestamp.isdigit() or not given.startswith("sha256="):
        return False
    if abs((now or time.time()) - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(given[len("sha256="):], signature(secret, timestamp, body))


def body_of(event: OutboxEvent) -> bytes:
    return json.dumps(event.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def signed_request(endpoint: WebhookEndpoint, event: OutboxEvent, now: float | None = None) -> tuple[bytes, dict]:
    body = body_of(event)
    timestamp = str(int(now or time.time()))
    return body, {"Content-Type": "application/json", "User-Agent": "community-webhooks/1",
                  EVENT_ID_HEADER: event.event_id, EVENT_TYPE_HEADER: event.type, TIMESTAMP_HEADER: timestamp,
                  SIGNATURE_HEADER: "sha256=" + signature(endpoint.secret, timestamp, body)}


# ---- retries ----------------------------------------------------------------------------------------

def retryable(status_code: int | None) -> bool:
    """Timeouts and connection errors (no status), 429 and 5xx are worth another try; nothing else."""
    return status_code is None or status_code == 429 or 500 <= status_code <= 599


def backoff(attempt: int, retry_after: str | None = None) -> float:
    """Seconds to wait after failed try number `attempt` (1-based): exponential, equal jitter, capped."""
    base, cap = float(_setting("WEBHOOK_RETRY_BASE_SECONDS")), float(_setting("WEBHOOK_RETRY_CAP_SECONDS"))
    delay = min(cap, base * 2 ** (attempt - 1))
    delay = delay / 2 + random.uniform(0, delay / 2)
    if retry_after and retry_after.strip().isdigit():
        delay = max(delay, min(cap, float(retry_after)))
    return delay


# ---- the worker ---------------------------------------------------------------------------------------

def dispatch(limit: int = 200) -> int:
    """Fan undispatched outbox rows out into deliveries; return how many events were handled."""
    token_time = utcnow()
    # PostgreSQL: lock the rows (skipping those another worker holds) and mark them in this transaction.
    # SQLite: the SELECT runs outside a transaction and the UPDATE re-checks `dispatched_at IS NULL`
    # under the database's single write lock, so two workers never both fan out one event.
    candidates = db.session.scalars(select(OutboxEvent.id).where(OutboxEvent.dispatched_at.is_(None))
                                    .order_by(OutboxEvent.id).limit(limit).with_for_update(skip_locked=True)).all()
    if not candidates:
        db.session.commit()
        return 0
    claimed = db.session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(candidates))
                                 .where(OutboxEvent.dispatched_at.is_(None))
                                 .values(dispatched_at=token_time).returning(OutboxEvent.id)
                                 .execution_options(synchronize_session=False)).scalars().all()
    if not claimed:
        db.session.commit()
        return 0
    events = db.session.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(claimed))
                                .order_by(OutboxEvent.id)).all()
    endpoints = db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True))).all()
    for event in events:
        for endpoint in endpoints:
            if endpoint.wants(event.type):
                db.session.add(WebhookDelivery(event_id=event.id, endpoint_id=endpoint.id, status="pending",
                                               attempts=0, next_attempt_at=token_time, created_at=token_time))
    db.session.commit()
    return len(events)


def _lease_seconds() -> float:
    given = _setting("WEBHOOK_LEASE_SECONDS")
    if given:
        return float(given)
    return float(_setting("WEBHOOK_BATCH_SIZE")) * float(_setting("WEBHOOK_TIMEOUT_SECONDS")) + 30


def claim(limit: int | None = None) -> list[WebhookDelivery]:
    """Lease a batch of due deliveries of active endpoints to this worker and commit the lease."""
    now = utcnow()
    token = str(uuid.uuid4())
    due = db.session.scalars(
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now,
               WebhookEndpoint.active.is_(True),
               or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit or int(_setting("WEBHOOK_BATCH_SIZE")))
        .with_for_update(of=WebhookDelivery, skip_locked=True)).all()
    if not due:
        db.session.commit()
        return []
    # the UPDATE checks the lease again: on SQLite another worker may have claimed a row since the SELECT
    db.session.execute(update(WebhookDelivery)
                       .where(WebhookDelivery.id.in_(due), WebhookDelivery.status == "pending",
                              or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now))
                       .values(claimed_until=now + timedelta(seconds=_lease_seconds()), claim_token=token)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    return db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.claim_token == token)
                              .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)).all()


def _post(endpoint: WebhookEndpoint, event: OutboxEvent) -> dict:
    """Send one request; return what the attempt log records (never raises)."""
    started = time.monotonic()
    result = {"status_code": None, "response_excerpt": "", "error": "", "retry_after": None, "refused": False}
    try:
        # resolved again at delivery (DNS may have changed since the endpoint was saved), once: the
        # request goes to the address that was checked, so a second answer (rebinding) is never used
        _host, _port, addresses = _resolve(endpoint.url)
        body, headers = signed_request(endpoint, event)
        with pinned_session(addresses[0]) as session, \
                session.post(endpoint.url, data=body, headers=headers, allow_redirects=False, stream=True,
                             timeout=float(_setting("WEBHOOK_TIMEOUT_SECONDS"))) as response:
            result["status_code"] = response.status_code
            result["retry_after"] = response.headers.get("Retry-After")
            raw = response.raw.read(500, decode_content=True) or b""
            result["response_excerpt"] = raw.decode("utf-8", "replace")[:500]
    except Refused as exc:
        result["error"], result["refused"] = str(exc)[:300], True
    except requests.Timeout:
        result["error"] = "timeout"
    except requests.RequestException as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"[:300]
    result["duration_ms"] = int((time.monotonic() - started) * 1000)
    return result


def deliver(delivery: WebhookDelivery) -> str:
    """POST one claimed delivery, log the attempt, schedule a retry or finish it; commit. Return the outcome."""
    endpoint, event, token = delivery.endpoint, delivery.event, delivery.claim_token
    if not endpoint.active:  # switched off during this batch (by staff, or by its failure streak)
        db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery.id,
                                                         WebhookDelivery.claim_token == token)
                           .values(claimed_until=None, claim_token=None).execution_options(synchronize_session=False))
        db.session.commit()
        return "skipped"
    result = _post(endpoint, event)
    code = result["status_code"]
    attempt_no = delivery.attempts + 1
    now = utcnow()
    if code is not None and 200 <= code <= 299:
        outcome = "delivered"
        values = {"status": "delivered", "delivered_at": now}
    elif not result["refused"] and retryable(code) and attempt_no < int(_setting("WEBHOOK_MAX_ATTEMPTS")):
        outcome = "retry"
        values = {"next_attempt_at": now + timedelta(seconds=backoff(attempt_no, result["retry_after"]))}
    else:
        outcome = "failed"
        values = {"status": "failed"}
    # only the lease holder writes the outcome: a worker whose lease ran out leaves the row to the next
    db.session.execute(update(WebhookDelivery)
                       .where(WebhookDelivery.id == delivery.id, WebhookDelivery.claim_token == token)
                       .values(attempts=attempt_no, claimed_until=None, claim_token=None, **values)
                       .execution_options(synchronize_session=False))
    db.session.add(WebhookAttempt(delivery_id=delivery.id, endpoint_id=endpoint.id, attempted_at=now,
                                  status_code=code, duration_ms=result["duration_ms"],
                                  response_excerpt=result["response_excerpt"], error=result["error"], outcome=outcome))
    if outcome == "delivered":
        db.session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id,
                                                         WebhookEndpoint.failure_streak != 0)
                           .values(failure_streak=0).execution_options(synchronize_session=False))
    else:
        _count_failure(endpoint.id)
    db.session.commit()
    return outcome


def _count_failure(endpoint_id: int) -> None:
    streak = db.session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
                                .values(failure_streak=WebhookEndpoint.failure_streak + 1)
                                .returning(WebhookEndpoint.failure_streak)
                                .execution_options(synchronize_session=False)).scalar()
    limit = int(_setting("WEBHOOK_DISABLE_AFTER_FAILURES"))
    if not limit or streak is None or streak < limit:
        return
    disabled = db.session.execute(update(WebhookEndpoint)
                                  .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.active.is_(True))
                                  .values(active=False, disabled_at=utcnow(),
                                          disabled_reason=f"{streak} failed deliveries in a row")
                                  .execution_options(synchronize_session=False)).rowcount
    if disabled:
        _tell_staff(endpoint_id, streak)


def _tell_staff(endpoint_id: int, streak: int) -> None:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    staff = db.session.scalars(select(Member).where(Member.role.in_((Role.staff, Role.admin)),
                                                    Member.deleted_at.is_(None))).all()
    notify_many(staff, "webhook_disabled", data={"endpoint_id": endpoint_id, "url": endpoint.url[:200],
                                                 "failures": streak})
    log.warning("webhook endpoint %s (%s) disabled after %s failures", endpoint_id, endpoint.url, streak)


def work_once() -> int:
    """One round: dispatch new events, deliver one claimed batch. Return how much was done."""
    done = dispatch()
    for delivery in claim():
        deliver(delivery)
        done += 1
    return done


def prune(now=None, batch: int = 500) -> int:
    """Delete finished events dispatched over WEBHOOK_RETENTION_DAYS ago, with their deliveries and
    attempts (in batches, each its own transaction). Return how many events were deleted."""
    days = float(_setting("WEBHOOK_RETENTION_DAYS") or 0)
    if days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    unfinished = select(WebhookDelivery.event_id).where(WebhookDelivery.status == "pending")
    total = 0
    while True:
        ids = db.session.scalars(select(OutboxEvent.id).where(OutboxEvent.dispatched_at < cutoff,
                                                               OutboxEvent.id.not_in(unfinished))
                                 .order_by(OutboxEvent.id).limit(batch)).all()
        if not ids:
            return total
        deliveries = select(WebhookDelivery.id).where(WebhookDelivery.event_id.in_(ids))
        db.session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
        db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.event_id.in_(ids)))
        db.session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(ids)))
        db.session.commit()
        total += len(ids)


PRUNE_EVERY_SECONDS = 3600


def run(once: bool = False, stop: threading.Event | None = None) -> int:
    """Deliver until stopped; with `once`, until nothing is due. Return the rounds that did work."""
    rounds = 0
    stop = stop or threading.Event()
    pruned_at = None
    while not stop.is_set():
        try:
            if pruned_at is None or time.monotonic() - pruned_at > PRUNE_EVERY_SECONDS:
                pruned_at = time.monotonic()
                prune()
            done = work_once()
        except Exception:  # the worker keeps going: a database blip must not end delivery for good
            db.session.rollback()
            if once:
                raise
            log.exception("webhook worker round failed")
            done = 0
        finally:
            db.session.remove()
        if done:
            rounds += 1
            continue
        if once:
            break
        stop.wait(float(_setting("WEBHOOK_POLL_SECONDS")))
    return rounds


def start_in_thread(app) -> threading.Thread | None:
    """Run the worker in a daemon thread of this process (what `python wsgi.py` does)."""
    if not app.config.get("WEBHOOK_WORKER_IN_PROCESS", DEFAULTS["WEBHOOK_WORKER_IN_PROCESS"]):
        return None

    def loop():
        with app.app_context():
            run()

    thread = threading.Thread(target=loop, name="webhook-worker", daemon=True)
    thread.start()
    return thread
