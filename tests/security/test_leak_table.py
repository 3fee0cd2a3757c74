"""The leak truth table: every kind of restricted content, every role, every output channel (issue 13).

One world is built once for the module: a unique marker word is planted in each kind of restricted
content (`ITEMS`), and each item says which roles may see its source. Then, for every role and every
output channel, the test fetches what that role gets and asserts that each marker appears exactly
where the role may see the source, and nowhere else.

The rule it checks (docs/architecture.md, "One visibility rule for every output channel"): anything
derived from content (pages, search, the API, feeds, notifications, the moderation log, My data, CRM
pages and exports, mails, socket events) asks the permission predicates at read time whether this
reader may see the source.

How to extend it
----------------
- A new output channel is ONE entry in `CHANNELS`: a function `channel(client, role, world) -> str`
  returning everything that role gets from it as text (a page, JSON, a mail, a CSV file...). `client`
  is a test client signed in as the role (or a guest's); `world` holds the planted ids and names.
  Conversations, uploads, cases, interactions and sitemaps (`seo`) join this way the day they are written.
- A new kind of restricted content is ONE entry in `ITEMS` (its marker, who may see it) plus the few
  lines in `build_world` that plant it (both in tests/security/leak_world.py).
- A channel that names posts by id rather than by text (socket events) writes each id it received
  as the token `«post:<id>»`; the item's `locate` roles decide there (a deleted or hidden public post
  leaves a marker on the thread page, so its id is not secret, but its words are).
- A member's own words may come back to them in their own data export (`OWN_DATA_CHANNELS`).

Each (role, channel) pair is its own test case, so one leak names itself and a case fixed on a
colleague's branch can be marked `xfail(strict=True)` precisely (`PENDING_ELSEWHERE`).
It runs on SQLite and on PostgreSQL (TEST_DATABASE_URL): the world is built through the real
services once per module; the socket channel serves the same database from a real `python wsgi.py`
process and listens with a real python-socketio client.
"""
from __future__ import annotations

import email
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from community.bookmarks import services as bookmark_services
from community.bookmarks.models import Bookmark
from community.dbtypes import utcnow
from community.extensions import db as _db
from community.extensions import limiter
from community.forum.models import Post, Thread
from community.members.models import Member
from community.moderation.models import ModerationAction
from community.notifications.models import Notification
from community.reputation import services as ledger
from community.trust.models import ThreadRead
from tests import factories
from tests.community.realtime import servers
from tests.community.realtime.test_live_server import Listener
from tests.community.uploads.conftest import plant_attachments
from tests.conftest import Auth, _empty_tables, _quiet_search_writer
from tests.security.leak_world import _DEBUG, ITEMS, ROLES, STAFF, USERS, Item, build_world

# ---- the channels ---------------------------------------------------------------------------------

def _get(client, path) -> str:
    response = client.get(path)
    assert response.status_code < 500, (path, response.status_code)
    if response.status_code in (301, 302, 303):
        return ""
    return response.get_data(as_text=True)


def _without_echo(text: str, query: str) -> str:
    """Drop the places a page repeats what the reader asked for (search box, title, sign-in link)."""
    return re.sub(rf'(value="|Search: |q=|q%3D|title=|/tag/){query}', "", text)


def pages(client, role, world) -> str:
    paths = ["/", "/latest", *(f"/b/{slug}" for slug in world.boards),
             *(f"/t/{tid}" for tid in world.threads.values()),
             *(f"/u/{name}{tail}" for name in world.usernames for tail in ("", "/reputation")), "/leaderboard",
             "/roadmap", "/badges"]
    return "\n".join(_get(client, path) for path in paths) + _without_echo(_get(client, "/tag/zqstafftag"), "zqstafftag")


def thread_pages_after_privileged_readers(client, role, world) -> str:
    """The thread pages once the author, a moderator, staff and an admin read them first: each post's HTML is then
    in the fragment store (community/fragments.py) as they see it, and must never reach this role."""
    from flask import current_app  # noqa: PLC0415

    for privileged in ("author", "moderator", "staff", "admin"):
        reader = current_app.test_client()
        Auth(reader).login(_FakeMember(USERS[privileged]))
        for tid in world.threads.values():
            _get(reader, f"/t/{tid}")
    return "\n".join(_get(client, f"/t/{tid}") for tid in world.threads.values())


def post_permalinks(client, role, world) -> str:
    """/p/<id> follows to the thread page; /p/<id>/history and /live/posts/<id> show the post itself."""
    out = []
    for post_id in world.posts.values():
        if post_id is None:
            continue
        out.append(_get(client, f"/p/{post_id}/history"))
        out.append(_get(client, f"/live/posts/{post_id}"))
    return "\n".join(out)


def search_page(client, role, world) -> str:
    return "\n".join(_without_echo(_get(client, f"/search?q={item.marker}"), item.marker) for item in ITEMS)


def search_api(client, role, world) -> str:
    return "\n".join(_get(client, f"/api/v1/search?q={item.marker}") for item in ITEMS)


def similar_threads(client, role, world) -> str:
    return "\n".join(_without_echo(_get(client, f"/search/similar?title={item.marker}"), item.marker)
                     for item in ITEMS)


def api(client, role, world) -> str:
    paths = ["/api/v1/boards", *(f"/api/v1/boards/{slug}/threads" for slug in world.boards),
             *(f"/api/v1/threads/{tid}" for tid in world.threads.values()),
             *(f"/api/v1/posts/{pid}" for pid in world.posts.values() if pid is not None),
             *(f"/api/v1/members/{name}" for name in world.usernames), "/api/v1/me", "/api/v1/review"]
    return "\n".join(_get(client, path) for path in paths)


def feeds(client, role, world) -> str:
    return "\n".join(_get(client, path) for path in ["/latest.atom", *(f"/b/{slug}.atom" for slug in world.boards)])


def notifications(client, role, world) -> str:
    text = _get(client, "/notifications") + _get(client, "/api/v1/notifications")
    if role == "guest":
        return text

    member_id = _db.session.scalar(select(Member.id).where(Member.username == USERS[role]))
    ids = _db.session.scalars(select(Notification.id).where(Notification.member_id == member_id)).all()
    return text + "\n".join(_get(client, f"/live/notifications/{nid}") for nid in ids)


def moderation_pages(client, role, world) -> str:
    return _get(client, "/mod/log") + _get(client, "/review") + _get(client, "/transparency")


def my_data(client, role, world) -> str:
    return _get(client, "/me/data")


def my_data_json(client, role, world) -> str:
    return _get(client, "/me/data.json")


def crm_pages(client, role, world) -> str:
    paths = ["/crm/", "/crm/members", *(f"/crm/members/{name}" for name in world.usernames), "/crm/feedback",
             "/crm/response-queue", "/crm/contacts", "/crm/audit", "/crm/interactions", "/crm/sync", "/api/v1/crm/profiles",
             "/api/v1/crm/feedback",
             *(f"/api/v1/crm/profiles/{pid}{tail}" for pid in world.profiles for tail in ("", "/timeline")),
             "/crm/cases?status=all", f"/crm/cases/{world.crm_records['case']}", "/crm/cases/report", "/crm/leads",
             "/crm/leads?view=suggested", "/crm/segments", f"/crm/segments/{world.crm_records['segment']}",
             "/api/v1/crm/cases", f"/api/v1/crm/cases/{world.crm_records['case']}", "/api/v1/crm/leads",
             "/api/v1/crm/segments"]
    return "\n".join(_get(client, path) for path in paths)


def csv_exports(client, role, world) -> str:
    return (_get(client, "/crm/members?format=csv") + _get(client, f"/crm/segments/{world.crm_records['segment']}.csv")
            + _get(client, "/crm/sentiment/corrections.tsv"))


def mails(client, role, world) -> str:
    """The mails written to the instance folder for this role's address, decoded (all parts)."""
    if role == "guest" or world.mail_folder is None or not world.mail_folder.exists():
        return ""
    address = f"{USERS[role]}@example.com"
    out = []
    for path in sorted(set(world.mail_folder.glob("*.eml")) - world.mails_before):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if address not in str(message["To"]):
            continue
        out.append(str(message["Subject"]))
        for part in message.walk():
            if part.get_content_maintype() == "text":
                out.append(part.get_content())
    return "\n".join(out)


def private_messages(client, role, world) -> str:
    """/messages and each conversation (page, live message markup, API), the staff inbox."""
    paths = ["/messages", "/messages/staff?state=all", "/api/v1/conversations"]
    for cid, message_ids in world.conversations.items():
        paths += [f"/messages/{cid}", f"/api/v1/conversations/{cid}", *(f"/messages/{cid}/live/{mid}" for mid in message_ids)]
    return "\n".join(_get(client, path) for path in paths)


def socket_events(client, role, world) -> str:
    return world.sockets.get(role, "")


def user_cards(client, role, world) -> str:
    """The card shown on hover over a name (community/avatars): /u/<name>/card for every member."""
    return "\n".join(_get(client, f"/u/{name}/card") for name in world.usernames)


def uploads(client, role, world) -> str:
    """Each planted attachment's URL, fetched as a reader who guessed it (the file holds the post's marker)."""
    return "\n".join(_get(client, url) for url in world.uploads)


def _plant_uploads(world) -> list[str]:
    """A .txt attachment holding each restricted post's marker, owned by its author and used by that post
    (after the socket phase: its edits rewrite some bodies, and a saved body decides what it uses)."""
    firsts = {m: _db.session.scalar(select(Post.id).where(Post.thread_id == world.threads[name], Post.number == 1))
              for m, name in (("zqstaffbody", "secret"), ("zqmembersonly", "lounge"), ("zqgroupboard", "beta"),
                              ("zqmovedtitle", "moved"))}
    replies = {m: world.posts[m] for m in ("zqwhisper", "zqpending", "zqhidden", "zqdeleted", "zqmovedreply")}
    return plant_attachments({**firsts, **replies})


def bookmarks(client, role, world) -> str:
    """/bookmarks, after the role bookmarked every thread and post (as if while it could still see them), and
    the reminders of those bookmarks, all due: the notifications they became."""
    if role == "guest":
        return _get(client, "/bookmarks")
    member_id = _db.session.scalar(select(Member.id).where(Member.username == USERS[role]))
    due = utcnow() - timedelta(minutes=1)
    targets = [("thread", tid) for tid in world.threads.values()] + \
        [("post", pid) for pid in world.posts.values() if pid is not None]
    for kind, ident in targets:
        ledger.insert_once(Bookmark, {"member_id": member_id, f"{kind}_id": ident,
                                                 "target": f"{kind}:{ident}", "note": "", "remind_at": due,
                                                 "created_at": utcnow()}, ["member_id", "target"])
    bookmark_services.send_due_reminders()
    _db.session.commit()
    return _get(client, "/bookmarks") + _get(client, "/notifications")


def reactions_who(client, role, world) -> str:
    """Who reacted to each post ("liked by": the page and its fragment)."""
    return "\n".join(_get(client, f"/posts/{pid}/reactions{tail}") for pid in world.posts.values()
                     if pid is not None for tail in ("", "?fragment=1"))


def drafts(client, role, world) -> str:
    """A draft for every planted thread, post and board: /drafts names their places; and #tag completion."""
    keys = [*(f"thread:{tid}" for tid in world.threads.values()),
            *(f"post:{pid}" for pid in world.posts.values() if pid is not None),
            *(f"board:{bid}" for bid in world.boards.values())]
    for key in keys:
        assert client.put(f"/api/v1/drafts/{key}", json={"body": "A draft."}).status_code < 500
    out = [_get(client, "/drafts"), _get(client, "/api/v1/tags/suggest?q=zq")]
    for key in keys:
        client.delete(f"/api/v1/drafts/{key}")
    return "\n".join(out)



def seo(client, role, world) -> str:
    """robots.txt, the manifest, the service worker and every sitemap page, each thread address written with
    its title (what a crawler would find there). Meta and Open Graph tags are on the pages (`pages`)."""
    out = [_get(client, path) for path in ("/robots.txt", "/manifest.webmanifest", "/sw.js", "/offline")]
    index = _get(client, "/sitemap.xml")
    out.append(index)
    for loc in re.findall(r"<loc>http://localhost(/[^<]+)</loc>", index):
        page = _get(client, loc)
        out.append(page)
        for thread_id in re.findall(r"<loc>http://localhost/t/(\d+)</loc>", page):
            out.append(_db.session.get(Thread, int(thread_id)).title)
    return "\n".join(out)


def unread_lists(client, role, world) -> str:
    """/new and /unread (community/unread), as if the role had read nothing yet (other channels opened the
    threads already): every thread it may see is new to it then. Guests are sent to sign in."""
    if role != "guest":
        member_id = _db.session.scalar(select(Member.id).where(Member.username == USERS[role]))
        _db.session.execute(delete(ThreadRead).where(ThreadRead.member_id == member_id))
        _db.session.commit()
    return _get(client, "/new") + _get(client, "/unread")


def appeals(client, role, world) -> str:
    """The appeal page of every moderation action (community/moderation/appeal_views.py): only the affected
    author's answers, and it names their thread or post only while they may still see it."""
    ids = _db.session.scalars(select(ModerationAction.id)).all()
    return "\n".join(_get(client, f"/appeal/{action_id}") for action_id in ids)


CHANNELS = [pages, thread_pages_after_privileged_readers, post_permalinks, search_page, search_api, similar_threads, api, feeds, notifications,
            moderation_pages, my_data, my_data_json, crm_pages, csv_exports, mails, socket_events, user_cards,
            uploads, bookmarks, reactions_who, private_messages, appeals,
            drafts, seo, unread_lists]
OWN_DATA_CHANNELS = {"my_data", "my_data_json"}
ID_CHANNELS = {"socket_events"}

# Cases a colleague's branch fixes, as {(role, channel name): "fixed on branch X"}: each is marked
# xfail(strict=True) until that branch is merged, and the integrator removes it then (s1's My data and
# CRM timeline cases were removed this way once main carried can_see_source).
PENDING_ELSEWHERE: dict[tuple[str, str], str] = {}


# ---- the socket channel: a real server process, real python-socketio clients ---------------------

def _socket_texts(app, world, tmp_path) -> dict:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    server = servers.start(tmp_path, DATABASE_URL=url)
    listeners = {}
    texts = {}
    try:
        browsers = {}
        for role in ROLES:
            cookie = None
            if role != "guest":
                browser = servers.Browser(server.url)
                browser.login(USERS[role], factories.PASSWORD)
                browsers[role] = browser
                cookie = browser.cookie_header()
            listener = listeners[role] = Listener(server.url, cookie=cookie)
            acks = []
            for thread_id in world.threads.values():
                for last_seen in (0, 2**31 - 1):  # catch up from the start: new posts, and changes since 0
                    acks.append(listener.sio.call("join_thread", {"thread_id": thread_id, "since": 0,
                                                                  "last_seen_post_id": last_seen}, timeout=10))
            texts[role] = [json.dumps(acks)]
        # Live events: votes on every post a moderator may vote on, edits by their authors.
        admin = browsers["admin"]
        for marker in ("zqwhisper", "zqpending", "zqhidden"):
            admin.request(f"/p/{world.posts[marker]}/vote", {"value": "1"})
            admin.request(f"/p/{world.posts[marker]}/react", {"kind": "like"})  # live reaction counts
        browsers["author"].request(f"/p/{world.posts['zqhidden']}/edit", {"body": "Reply zqhidden, reworded."})
        browsers["newbie"].request(f"/p/{world.posts['zqpending']}/edit", {"body": "First post zqpending, fixed."})
        sue = servers.Browser(server.url)
        sue.login("lt_sue", factories.PASSWORD)
        sue.request(f"/p/{world.posts['zqwhisper']}/edit", {"body": "Whisper zqwhisper, reworded."})
        status, _ = sue.request(f"/t/{world.threads['open']}/reply", {"body": "Live zqlivewhisper note.", "whisper": "y"})
        assert status == 302, status
        # The last event: once a client has it, everything sent before has arrived (one connection, in order).
        status, _ = admin.request(f"/p/{world.posts['public']}/vote", {"value": "1"})
        assert status in (200, 302), status
        for role, listener in listeners.items():
            events = []
            while True:
                name, data = listener.events.get(timeout=15)
                events.append((name, data))
                if name == "score" and data.get("post_id") == world.posts["public"]:
                    break
            while not listener.events.empty():
                events.append(listener.events.get_nowait())
            texts[role].append(json.dumps(events))
    finally:
        for listener in listeners.values():
            listener.close()
        server.stop()

    world.posts["zqlivewhisper"] = _db.session.scalar(select(Post.id).where(Post.body_source.contains("zqlivewhisper")))
    assert world.posts["zqlivewhisper"] is not None
    return {role: _ids_as_tokens("\n".join(parts)) for role, parts in texts.items()}


def _ids_as_tokens(text: str) -> str:
    """Write every post id named in socket payloads as «post:<id>» (see the module docstring)."""
    tokens = []

    def walk(value, key=None):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, int) and not isinstance(value, bool) and key in (
                "post_id", "previous_id", "missed", "changed", "accepted_post_id"):
            tokens.append(f"«post:{value}»")

    for line in text.splitlines():
        walk(json.loads(line))
    return " ".join(tokens)


# ---- fixtures ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def db(app, tmp_path_factory):
    """The world, built once for the module (overrides the per-test `db` of tests/conftest.py)."""
    limiter.enabled = False
    with app.app_context():
        _empty_tables()
        try:
            world = build_world(app)
            _db.session.remove()
            world.sockets = _socket_texts(app, world, tmp_path_factory.mktemp("leak-table-server"))
            with app.test_request_context():
                world.uploads = _plant_uploads(world)
            yield world
        finally:
            _db.session.rollback()
            _quiet_search_writer(app)
            _empty_tables()
            _db.session.remove()
            for url in world.uploads if "world" in locals() else ():  # the planted files (a backup counts them)
                (Path(app.config["UPLOADS_PATH"]) / url.rsplit("/", 1)[1][:2] / url.rsplit("/", 1)[1]).unlink(
                    missing_ok=True)


@pytest.fixture(scope="module")
def clients(app, db):
    made = {}
    for role in ROLES:
        client = app.test_client()
        if role != "guest":
            Auth(client).login(_FakeMember(USERS[role]))
        made[role] = client
    return made


@dataclass
class _FakeMember:
    username: str


def _cases():
    for role in ROLES:
        for channel in CHANNELS:
            reason = PENDING_ELSEWHERE.get((role, channel.__name__))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(role, channel, id=f"{role}-{channel.__name__}", marks=marks)


def _fetch(app, world, clients, role, channel) -> str:
    key = (role, channel.__name__)
    if key not in world.seen:
        with app.app_context():
            world.seen[key] = channel(clients[role], role, world)
    return world.seen[key]


@pytest.mark.parametrize("role, channel", list(_cases()))
def test_markers_appear_exactly_where_the_role_may_see_them(app, db, clients, role, channel):
    world = db
    text = _fetch(app, world, clients, role, channel)
    wrong = []
    for item in ITEMS:
        if channel.__name__ in ID_CHANNELS:
            post_id = world.posts.get(item.marker)
            if post_id is None:
                continue
            may, found = role in item.locators, f"«post:{post_id}»" in text
        else:
            may = role in item.see or (channel.__name__ in OWN_DATA_CHANNELS and item.owner == role)
            found = item.marker in text.lower()
        if found and not may:
            wrong.append(f"LEAK {item.name} ({item.marker})")
        elif may and not found and _must_show(channel.__name__, item, role):
            wrong.append(f"MISSING {item.name} ({item.marker})")
    if wrong and _DEBUG:
        for item in ITEMS:
            for m in re.finditer(item.marker, text, re.I):
                print(role, channel.__name__, repr(text[max(0, m.start() - 150):m.end() + 50]))
    assert not wrong, f"{role} / {channel.__name__}: " + "; ".join(wrong)


# Where a role that may see an item must also find it (the positive half of the table): pages and
# search show what one may read. Other channels show only some things (a feed is a guest's view).
MUST_SHOW = {
    "pages": {"zqstafftitle", "zqstaffbody", "zqmembersonly", "zqwhisper", "zqlockreason", "zqmovedtitle",
              "zqmovedreply", "zqgroupboard"},
    "search_page": {"zqstaffbody", "zqmembersonly", "zqwhisper", "zqgroupboard"},
    "search_api": {"zqstaffbody", "zqmembersonly", "zqwhisper", "zqgroupboard"},
    "moderation_pages": {"zqflagnote"},
    "crm_pages": {"zqcrmnote", "zqcasenote", "zqcaseorder", "zqleadorder", "zqsegment"},
    "socket_events": {"zqwhisper", "zqlivewhisper", "zqpending", "zqhidden", "zqdeleted"},
    "uploads": {"zqstaffbody", "zqmembersonly", "zqgroupboard", "zqwhisper", "zqpending", "zqhidden", "zqdeleted",
                "zqmovedtitle", "zqmovedreply"},
    "private_messages": {"zqdirectmsg", "zqteammsg"},
}


def _must_show(channel: str, item: Item, role: str) -> bool:
    return item.marker in MUST_SHOW.get(channel, ()) and not (channel == "crm_pages" and role not in STAFF)


def test_every_channel_gives_the_table_something_to_search(app, db, clients):
    """A channel that returns nothing proves nothing: each must carry a marker for some role."""
    world = db
    for channel in CHANNELS:
        found = set()
        for role in ROLES:
            text = _fetch(app, world, clients, role, channel)
            found |= {item.marker for item in ITEMS
                      if item.marker in text.lower() or f"«post:{world.posts.get(item.marker)}»" in text}
        if channel is feeds:  # a guest's view: restricted markers never, the public thread always
            assert "Router keeps rebooting" in text
            continue
        if channel is seo:  # a guest's view for everyone: restricted markers never, the public thread always
            assert "Router keeps rebooting" in text
            continue
        if channel is appeals:  # the decision and its reason for the author, never anyone's hidden words
            assert any("Appeal a moderation decision" in _fetch(app, world, clients, r, channel) for r in ROLES)
            continue
        if channel is user_cards:  # a card shows the member, never their content: no marker, ever
            assert "<bdi>lt_ann</bdi>" in text
            continue
        assert found, channel.__name__
