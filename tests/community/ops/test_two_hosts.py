"""Two hosts: two `python wsgi.py` processes with separate instance folders, one PostgreSQL database, one Redis.

What a second host must not break (docs/architecture.md, "From one host to many"): search finds on B what
was posted on A; a live event reaches a reader on B; a rate limit counts across both; an edit on A turns B's
cached guest page into a miss; a site setting saved elsewhere shows on B's next signed-in page (B keeps the settings
between requests while their token stays the same); an upload made on A is served by B (one shared UPLOADS_PATH); and the mail
sender and webhook worker that run on both hosts deliver every message exactly once.

PostgreSQL only (skipped on the SQLite run: one SQLite file is not shared between hosts). Without Redis it is
skipped locally and fails under CI=true. The servers are started once for the module.
"""
from __future__ import annotations

import http.server
import io
import json
import os
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import redis
from cryptography.fernet import Fernet
from PIL import Image
from sqlalchemy import create_engine, make_url, text

from tests.community.realtime import servers
from tests.community.realtime.servers import Listener

REDIS_URL = "redis://127.0.0.1:6379/0"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")

MAIL_SCRIPT = r"""
import sys
from application import create_app
from community.extensions import db
from community.mail.models import MailMessage

app = create_app()
with app.app_context():
    for i in range(int(sys.argv[1])):
        db.session.add(MailMessage(kind="test", to_address=f"reader{i}@example.com", subject=f"Two hosts {i}",
                                   text_body="Hello from one of two hosts.", html_body="<p>Hello.</p>",
                                   message_id=f"<two-hosts-{sys.argv[2]}-{i}@example.com>"))
    db.session.commit()
"""

ENDPOINT_SCRIPT = r"""
import sys
from application import create_app
from community.extensions import db
from crm_bridge.models import WebhookEndpoint

app = create_app()
with app.app_context():
    db.session.add(WebhookEndpoint(url=sys.argv[1], event_types=["*"], secret="s" * 40, description="two hosts"))
    db.session.commit()
"""

REPLIES_SCRIPT = r"""
import sys
from application import create_app
from community.extensions import db
from community.forum import services as forum
from community.forum.models import Thread
from community.members.models import Member
from sqlalchemy import select

app = create_app()
with app.app_context():
    member = db.session.scalar(select(Member).where(Member.username == "sam"))
    thread = db.session.get(Thread, int(sys.argv[1]))
    for i in range(int(sys.argv[2])):
        forum.reply(member, thread, f"Webhook fan-out reply number {i}.")
        db.session.commit()
"""

SETTING_SCRIPT = r"""
import sys
from application import create_app
from community import settings
from community.extensions import db

app = create_app()
with app.app_context():
    settings.save({"site.name": sys.argv[1]})
    db.session.commit()
"""


@pytest.fixture(autouse=True)
def db():
    """These tests talk to their own server processes, never to the in-process test database."""
    yield None


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"needs Redis at {REDIS_URL}")


class Receiver(http.server.ThreadingHTTPServer):
    """A webhook receiver on loopback that counts each event id it is sent."""

    def __init__(self):
        self.seen: Counter = Counter()
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the http.server name)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.seen[self.headers.get("X-Community-Event-Id")] += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/hook"
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    """Hosts A and B on a fresh PostgreSQL database and one Redis (keys and channel of this run only)."""
    if not TEST_DATABASE_URL.startswith("postgresql"):
        pytest.skip("two hosts share one PostgreSQL database (set TEST_DATABASE_URL=postgresql+psycopg://...)")
    _redis_or_skip()
    url = make_url(TEST_DATABASE_URL)
    name = f"{url.database}_two_hosts"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database_url = url.set(database=name).render_as_string(hide_password=False)
    workdir = tmp_path_factory.mktemp("two-hosts")
    run = uuid.uuid4().hex[:10]
    receiver = Receiver()
    shared = {
        "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, "SEARCH_BACKEND": "postgres",
        "SECRET_KEY": f"two-hosts-{run}", "DATA_ENCRYPTION_KEY": Fernet.generate_key().decode(), "UPLOADS_PATH": str(workdir / "shared-uploads"),
        "COMMUNITY_SOCKETIO_CHANNEL": f"community-test-{run}", "COMMUNITY_CACHE_KEY_PREFIX": f"test:{run}:cache:",
        "RATELIMIT_ENABLED": "true", "COMMUNITY_RATELIMIT_KEY_PREFIX": f"test-{run}",
        "TRUSTED_PROXIES": "1",  # each client names its own address (X-Forwarded-For): limits per client
        "COMMUNITY_MODERATION_SECONDS_BETWEEN_POSTS": "0",  # maya posts in several tests, seconds apart
        "COMMUNITY_PAGE_CACHE_SECONDS": "60", "COMMUNITY_MAIL_POLL_SECONDS": "0.2",
        "COMMUNITY_WEBHOOK_POLL_SECONDS": "0.2", "COMMUNITY_WEBHOOKS_ALLOW_PRIVATE": "true",
    }
    started = []
    try:
        ids = servers.prepare(workdir, **shared)
        servers.run([servers.sys.executable, "-c", ENDPOINT_SCRIPT, receiver.url], servers.base_env(workdir, **shared),
                    workdir)
        for host in ("a", "b"):
            instance = workdir / host / "instance"  # each host its own instance folder, as on two machines
            started.append(servers.start(workdir, COMMUNITY_INSTANCE_PATH=instance,
                                         COMMUNITY_SEARCH_INDEX_DIR=workdir / host / "search-index", **shared))
        yield {"a": started[0], "b": started[1], "ids": ids, "workdir": workdir, "env": shared, "run": run,
               "database_url": database_url, "receiver": receiver}
    finally:
        for server in started:
            server.stop()
        receiver.shutdown()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        keys = redis.Redis.from_url(REDIS_URL)
        for key in keys.scan_iter(match=f"*{run}*", count=1000):
            keys.delete(key)


_addresses = iter(range(1, 250))


def client(server, *, signed_in_as: str | None = None) -> servers.Browser:
    """A browser on `server` with an address of its own (so one test's sign-ins do not spend another's limit)."""
    browser = servers.Browser(server.url, headers={"X-Forwarded-For": f"198.51.100.{next(_addresses)}"})
    if signed_in_as:
        browser.login(signed_in_as)
    return browser


def on(browser: servers.Browser, server) -> servers.Browser:
    """The same browser (cookies, address) talking to another host."""
    other = servers.Browser(server.url, headers=browser.headers)
    other.jar = browser.jar
    other.opener = servers.urllib.request.build_opener(servers.urllib.request.HTTPCookieProcessor(other.jar),
                                                       servers._NoRedirect())
    return other


def test_a_reply_posted_on_a_is_found_by_search_on_b_at_once(hosts):
    pytest.importorskip("community.search.backends.postgres")  # SEARCH_BACKEND=postgres (the search issue)
    word = f"lighthouse{uuid.uuid4().hex[:6]}"
    writer = client(hosts["a"], signed_in_as="maya")
    status, _ = writer.request(f"/t/{hosts['ids']['thread_id']}/reply", {"body": f"The {word} keeps blinking."})
    assert status == 302
    status, body = client(hosts["b"]).request(f"/api/v1/search?q={word}")
    assert status == 200
    assert [item for item in json.loads(body)["items"] if word in json.dumps(item)]


def test_a_live_event_from_a_reaches_a_reader_on_b(hosts):
    reader = Listener(hosts["b"].url)
    try:
        assert reader.sio.call("join_thread", {"thread_id": hosts["ids"]["thread_id"]}, timeout=10)["ok"] is True
        writer = client(hosts["a"], signed_in_as="maya")
        status, _ = writer.request(f"/t/{hosts['ids']['thread_id']}/reply", {"body": "Posted on host A, live on B."})
        assert status == 302
        created = reader.wait_for("post_created")
        status, html = client(hosts["b"]).request(f"/live/posts/{created['post_id']}")
        assert status == 200 and "Posted on host A, live on B." in html
    finally:
        reader.close()


def test_a_rate_limit_counts_requests_on_both_hosts(hosts):
    """Sign-in allows 6 tries a minute per address: 3 on A and 3 on B spend it, the 7th is refused on either."""
    guest = client(hosts["a"])
    wrong = {"login": f"nobody{hosts['run']}", "password": "not the password"}
    answers = [guest.request("/login", wrong)[0] for _ in range(3)]
    answers += [on(guest, hosts["b"]).request("/login", wrong)[0] for _ in range(3)]
    assert answers == [422] * 6
    assert on(guest, hosts["b"]).request("/login", wrong)[0] == 429
    assert guest.request("/login", wrong)[0] == 429
    assert client(hosts["a"]).request("/login", wrong)[0] == 422  # another address has its own count


def test_an_edit_on_a_invalidates_the_page_b_keeps_for_guests(hosts):
    thread_id = hosts["ids"]["thread_id"]
    status, body = client(hosts["a"]).request(f"/api/v1/threads/{thread_id}")
    opening = json.loads(body)["posts"][0]["id"]
    guest_on_b = client(hosts["b"])
    status, page = guest_on_b.request(f"/t/{thread_id}")
    assert status == 200 and "Opening post." in page
    stored = redis.Redis.from_url(REDIS_URL).keys(f"test:{hosts['run']}:cache:page:{thread_id}:*")
    assert stored, "host B kept the guest page in Redis"
    author = client(hosts["a"], signed_in_as="maya")
    status, _ = author.request(f"/p/{opening}/edit", {"title": "Live thread for sockets",
                                                       "body": "Opening post, edited on host A.", "reason": ""})
    assert status == 302
    status, page = guest_on_b.request(f"/t/{thread_id}")
    assert status == 200 and "Opening post, edited on host A." in page


def test_a_setting_saved_elsewhere_shows_on_bs_next_signed_in_page(hosts):
    member_on_b = client(hosts["b"], signed_in_as="maya")
    for _ in range(2):  # B reads the settings under the current token, then keeps them
        status, page = member_on_b.request("/")
        assert status == 200
    name = f"Harbour {hosts['run']}"
    assert name not in page
    servers.run([servers.sys.executable, "-c", SETTING_SCRIPT, name], servers.base_env(hosts["workdir"], **hosts["env"]),
                hosts["workdir"])
    status, page = member_on_b.request("/")
    assert status == 200 and name in page
    status, page = on(member_on_b, hosts["a"]).request("/")
    assert status == 200 and name in page


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 80, 40)).save(out, "PNG")
    return out.getvalue()


def test_a_file_uploaded_on_a_is_served_by_b(hosts):
    staff = client(hosts["a"], signed_in_as="sam")
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"lamp.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + _png() + f"\r\n--{boundary}--\r\n".encode()
    status, answer = staff.request("/api/v1/uploads", body,
                                   headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 201, answer
    url = json.loads(answer)["url"]
    status, _ = on(staff, hosts["b"]).request(url)
    assert status == 200


def _wait(check, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def test_the_mail_senders_of_both_hosts_deliver_each_message_once(hosts):
    count = 60
    tag = uuid.uuid4().hex[:8]
    env = servers.base_env(hosts["workdir"], **hosts["env"])
    servers.run([servers.sys.executable, "-c", MAIL_SCRIPT, str(count), tag], env, hosts["workdir"])
    engine = create_engine(hosts["database_url"])
    try:
        def all_sent():
            with engine.connect() as connection:
                return connection.scalar(text("SELECT count(*) FROM mail_messages WHERE message_id LIKE :p "
                                              "AND sent_at IS NOT NULL"), {"p": f"<two-hosts-{tag}-%"}) == count
        assert _wait(all_sent), "not every message was sent"
    finally:
        engine.dispose()
    written = Counter()
    for host in ("a", "b"):
        for path in Path(hosts["workdir"], host, "instance", "mail").glob(f"two-hosts-{tag}-*.eml"):
            written[path.name] += 1
    assert len(written) == count and set(written.values()) == {1}  # each message in one host's folder, once


def test_the_webhook_workers_of_both_hosts_deliver_each_event_once(hosts):
    receiver = hosts["receiver"]
    env = servers.base_env(hosts["workdir"], **hosts["env"])
    servers.run([servers.sys.executable, "-c", REPLIES_SCRIPT, str(hosts["ids"]["thread_id"]), "30"], env,
                hosts["workdir"])
    engine = create_engine(hosts["database_url"])
    try:
        def all_delivered():
            with engine.connect() as connection:
                waiting = connection.scalar(text("SELECT count(*) FROM crm_outbox WHERE dispatched_at IS NULL"))
                pending = connection.scalar(text("SELECT count(*) FROM crm_webhook_deliveries WHERE status <> 'delivered'"))
                return waiting == 0 and pending == 0
        assert _wait(all_delivered, 60), "not every webhook was delivered"
        with engine.connect() as connection:
            events = connection.scalar(text("SELECT count(*) FROM crm_outbox WHERE dispatched_at IS NOT NULL"))
    finally:
        engine.dispose()
    assert events >= 30
    with receiver.lock:
        seen = dict(receiver.seen)
    assert len(seen) == events and set(seen.values()) == {1}
