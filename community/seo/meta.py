"""What a page says about itself to search engines and link previews, and whether it may be kept offline.

`seo_meta()` (a template global, read once in base.html's <head>) answers for the page being rendered:
- `robots`: "noindex" for every page that is not one of `INDEXABLE` or that a guest could not see (private
  boards, search results, settings, messages, admin, CRM ...).
- for the pages of `INDEXABLE` that a guest can see: `description`, `canonical` (absolute, only the path and
  `?page=` when past the first) and the Open Graph / Twitter card fields. Everything is worked out from what
  a **guest** sees, whoever reads: a signed-in reader of a private board gets `noindex` and no card at all,
  so nothing private ever reaches a tag (and signed-in answers are `no-store`, never in the guests' cache).
- `og:image`: the first picture of the opening post when it is an upload a guest may read (a private one
  never), else the logo, else the app icon.

`X-Offline-Cache: public` marks the answers the service worker may keep for offline reading (static/js/sw.js):
the pages of `OFFLINE` that a guest could see too. Nothing else is ever stored in the browser. Every page also
names its reader (`X-Offline-Reader`, opaque): a page for another reader makes the worker forget all it kept.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from flask import current_app, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from jinja2 import pass_context
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from .. import text
from ..extensions import db
from ..forum.models import Board, Post, Thread
from ..members.models import Member
from ..members.sessions import session_version
from ..permissions import can_view_board, can_view_post, can_view_thread
from ..site import branding
from ..uploads import services as uploads
from ..uploads import storage
from ..uploads.models import Upload
from . import icons

INDEXABLE = {"site.home", "site.latest", "forum.thread", "forum.board", "members.profile", "forum.tag",
             "site.terms", "site.privacy"}
OFFLINE = {"site.home", "site.latest", "forum.thread", "forum.board"}
DESCRIPTION_LENGTH = 200
_UPLOAD_SRC = re.compile(r'<img[^>]+src="/uploads/([0-9a-f]{32}\.[a-z]+)"')


class Guest:
    is_authenticated = False
    id = None


@dataclass
class Meta:
    robots: str | None = None
    canonical: str | None = None
    description: str | None = None
    og: dict = field(default_factory=dict)
    twitter_card: str | None = None


def _canonical() -> str:
    args = dict(request.view_args or {})
    page = request.args.get("page", "")
    if page.isdigit() and int(page) > 1:
        args["page"] = int(page)
    return url_for(request.endpoint, **args, _external=True)


def _absolute(path: str) -> str:
    return path if path.startswith(("http://", "https://")) else request.host_url.rstrip("/") + path


def _opening_post(thread: Thread, context) -> Post | None:
    """The thread's opening post when a guest may read it (taken from the page when it shows it: no query)."""
    posts = getattr(context.get("posts"), "items", None) or []
    first = posts[0] if posts and posts[0].number == 1 else db.session.scalar(
        select(Post).where(Post.thread_id == thread.id, Post.number == 1))
    return first if first is not None and can_view_post(Guest(), first) else None


def _first_public_image(first: Post | None) -> str | None:
    """The first picture of the opening post that a guest may read (a private upload never)."""
    for upload_id in _UPLOAD_SRC.findall(first.body_html or "") if first is not None else ():
        row = db.session.get(Upload, upload_id)
        if row is not None and row.kind == "image" and uploads.may_read(Guest(), row)[1]:
            return storage.url_of(upload_id)
    return None


def _subject(context) -> tuple[str, object] | None:
    """(kind, object) of the page, when it is one a guest may see."""
    endpoint = request.endpoint
    if endpoint == "forum.thread":
        thread = context.get("thread")
        if isinstance(thread, Thread) and can_view_thread(Guest(), thread) and not thread.is_deleted:
            return "thread", thread
        return None
    if endpoint == "forum.board":
        board = context.get("board")
        return ("board", board) if isinstance(board, Board) and can_view_board(Guest(), board) else None
    if endpoint == "members.profile":
        member = context.get("member")
        return ("profile", member) if isinstance(member, Member) else None
    return ("page", None) if endpoint in INDEXABLE else None


def page_meta(context) -> Meta:
    subject = _subject(context)
    if subject is None:
        return Meta(robots="noindex")
    kind, item = subject
    site = branding.brand()
    image = None
    meta = Meta(canonical=_canonical())
    title = context.get("seo_title") or site.name
    og_type = "website"
    if kind == "thread":
        title, og_type = item.title, "article"
        first = _opening_post(item, context)
        meta.description = text.excerpt(first.body_html or "", DESCRIPTION_LENGTH) if first is not None else ""
        image = _first_public_image(first)
    elif kind == "board":
        title = item.local_name
        meta.description = text.plain_text(item.local_description or "")[:DESCRIPTION_LENGTH]
    elif kind == "profile":
        title, og_type = item.name, "profile"
        bio = (item.bio or "").strip().splitlines()
        since = _("Member since %(date)s", date=item.created_at.strftime("%Y-%m-%d"))
        meta.description = f"{bio[0][:150]} · {since}" if bio else since
    else:
        meta.description = site.tagline
    meta.description = meta.description or site.tagline or site.name
    meta.twitter_card = "summary_large_image" if image else "summary"
    image = image or site.logo_url or url_for("seo.icon", size=512)
    meta.og = {"og:title": title, "og:description": meta.description, "og:url": meta.canonical,
               "og:type": og_type, "og:image": _absolute(image), "og:site_name": site.name}
    return meta


def seo_meta(context) -> Meta:
    found = g.get("_seo_meta")
    if found is None:
        found = g._seo_meta = page_meta(context)
    return found


def offline_cacheable() -> bool:
    """Whether this answer is a page a guest could see too (the service worker keeps only those).

    A guest's page is one by definition (a guest gets nothing else); a signed-in reader's page was rendered,
    and `seo_meta` decided then whether a guest could see its subject (no query of its own).
    """
    if request.method != "GET" or request.endpoint not in OFFLINE:
        return False
    if not current_user.is_authenticated:
        return True
    found = g.get("_seo_meta")
    return found is not None and found.robots is None


def reader_key() -> str:
    """Who the page was made for, opaque: "guest", or a digest of the member and their session version (the
    service worker forgets every kept page when a page comes for another reader, a session ended elsewhere)."""
    if not current_user.is_authenticated:
        return "guest"
    # the identity and the version loaded with the session: no reload of the member after a commit (a POST)
    member = current_user._get_current_object()
    identity = sa_inspect(member).identity if isinstance(member, Member) else None
    if identity is None:
        source = f"{current_app.secret_key}|{current_user.id}|{getattr(current_user, 'session_version', 0)}"
    else:
        source = f"{current_app.secret_key}|{identity[0]}|{session_version(member)}"
    return hashlib.sha256(source.encode()).hexdigest()[:20]


def _mark_offline(response):
    if response.mimetype != "text/html":
        return response
    response.headers["X-Offline-Reader"] = reader_key()
    if response.status_code == 200 and offline_cacheable():
        response.headers["X-Offline-Cache"] = "public"
    return response


def init_app(app) -> None:

    app.jinja_env.globals["seo_meta"] = pass_context(seo_meta)
    app.jinja_env.globals["seo_theme_colour"] = icons.theme_colour
    app.after_request(_mark_offline)
