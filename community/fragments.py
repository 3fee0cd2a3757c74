"""Each reply's HTML on a thread page, rendered once per post version and kind of reader and kept in the cache store.

A signed-in member gets no shared page (community/pagecache.py is for guests), and rendering 50 posts was
nearly all of their request (bench/README.md, issue 18). Most of a post's markup is the same for every reader:
this module keeps it in the shared cache store (`community.cachestore`: this process's memory, or Redis when
`REDIS_URL` is set) and a thread page puts the page together from the stored pieces.

What keeps it correct:

- **The key says everything the HTML depends on.** A fragment's key is a digest of
  - the post's own columns, its author (name, avatar, staff, deleted) and the group badges beside the name,
    the post it replies to (number, author's name, deleted, and whether this reader may see it), its reaction
    counts, the thread's accepted answer and board kind, the reactions offered on the site now;
  - the reader's **permissions on this post**: every `can.*` predicate the per-post templates ask
    (`POST_PREDICATES`, `THREAD_PREDICATES`; a test holds that the templates ask no other), whether the reader
    is signed in and is the post's author;
  - the reader's **own state on the post**: their vote, their reaction and whether they bookmarked it. So a
    fragment is shared only by readers who would see byte-for-byte the same thing, and another member's vote,
    reaction or bookmark can never show (their state is another key);
  - the language, the time zone and the URL root (times, labels and links are in the HTML; the theme is not);
  - a digest of the templates' source (a deploy with new templates starts afresh);
  - the store's **generation counters** of the post, the post's thread and of everything: every signal of
    `pagecache.INVALIDATING` bumps the post it names, else the thread it names, else everything, at once and
    again after the commit. In Redis those counters are shared by every process and host.
  Since the key is made of what the database says now (read by the page's own queries), a change made by
  another process or host is a new key there too, with or without the counters.
- **Not for everything.** The opening post of a thread with a poll is rendered every time (the poll shows the
  reader's own choice); a question's opening post keys on the accepted answer shown under it, as this reader may
  see it. A whisper or a post waiting for approval that the reader may not see is not rendered at all.
- **The CSRF token is not in the store.** Forms in a fragment carry a placeholder (derived from SECRET_KEY,
  so it is the same in every process and cannot be guessed by a member writing a post); the page puts the
  reader's token in when it assembles the fragments.

`FRAGMENT_CACHE_SECONDS` (default 3600; 0 turns it off) bounds how long an entry lives.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from functools import lru_cache
from operator import itemgetter

from flask import current_app, g, has_app_context, request
from flask_babel import get_locale, get_timezone
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

from . import cachestore, permissions
from .aftercommit import after_commit
from .cachestore import CacheUnavailable
from .dbtypes import utcnow
from .forum.models import Post, Thread
from .groups.badges import name_badges
from .members.models import Member
from .pagecache import INVALIDATING

POST_TEMPLATE = "community/forum/_post.html"
# Every permission predicate the per-post templates ask about `post` (_post.html and the post slots) ...
POST_PREDICATES = ("can_view_post", "can_view_history", "can_edit_post", "can_delete_post", "can_moderate_post",
                   "can_restore_post", "can_vote", "can_react", "can_flag", "can_accept_answer")
_CAN_VIEW = POST_PREDICATES.index("can_view_post")
# ... and about the page's `thread`.
THREAD_PREDICATES = ("can_reply", "can_choose_answer", "can_add_poll")
# The slots rendered inside each post (their templates are checked by tests/community/forum/test_fragments.py).
POST_SLOTS = ("post_before_body", "post_after_body", "post_actions")

# The post's columns in its key; its HTML goes into the digest as UTF-8, after the rest (see `_keys`).
_POST_COLUMNS = tuple(column.key for column in Post.__table__.columns if column.key not in ("body_source", "body_html"))
_MEMBER_COLUMNS = ("id", "username", "display_name", "deleted_at", "avatar_upload_id", "avatar_color")
_ALL = "frag:gen:all"


def _enabled() -> bool:
    return current_app.config.get("FRAGMENT_CACHE_SECONDS", 0) > 0


def _template_digest() -> str:
    """A digest of every template source (computed once per app): fragments of other templates are other keys."""
    digest = current_app.extensions.get("community.fragments.templates")
    if digest is None:
        env = current_app.jinja_env
        h = hashlib.blake2b(digest_size=12)
        for name in sorted(env.loader.list_templates()):
            if name.endswith(".html"):
                source, _filename, _uptodate = env.loader.get_source(env, name)
                h.update(name.encode() + b"\0" + source.encode() + b"\0")
        digest = current_app.extensions["community.fragments.templates"] = h.hexdigest()
    return digest


def csrf_placeholder() -> str:
    """What fragments carry where the reader's CSRF token goes: the same in every process, unguessable."""
    return _placeholder_for(str(current_app.config.get("SECRET_KEY") or ""))


@lru_cache(maxsize=8)
def _placeholder_for(secret: str) -> str:
    """The placeholder of one SECRET_KEY (an HMAC: once per key, not once per post of every page)."""
    return "csrf" + hmac.new(secret.encode(), b"community.fragments.csrf", hashlib.sha256).hexdigest()[:40]


def _readers_token(env) -> str:
    """The reader's CSRF token, asked of the template global once per page (not once per post)."""
    token = g.get("_fragment_csrf_token")
    if token is None:
        token = g._fragment_csrf_token = env.globals["csrf_token"]()
    return token


def _reader():
    """The signed-in member (or the guest) itself: the predicates below ask it dozens of times per page."""
    return current_user._get_current_object()


def _columns(obj, names) -> tuple:
    """The loaded values of `names` (straight from the row's dict: the instrumented getattr cost a tenth of the keys)."""
    try:
        return _getter(names)(obj.__dict__)  # every one loaded: one C call
    except KeyError:
        loaded = obj.__dict__
        return tuple(loaded[name] if name in loaded else getattr(obj, name) for name in names)


@lru_cache(maxsize=8)
def _getter(names: tuple):
    """The values of `names` of a dict, as a tuple (also for a single name)."""
    getter = itemgetter(*names)
    return getter if len(names) > 1 else lambda loaded: (getter(loaded),)


def _member_state(member, known: dict | None = None) -> tuple:
    """A member as a post shows them (name, avatar, staff, badges): once per member and request."""
    if member is None:
        return ()
    if known is None:
        known = g.setdefault("_fragment_members", {})
    state = known.get(member.id)
    if state is None:
        state = known[member.id] = (_columns(member, _MEMBER_COLUMNS), member.is_staff,
                                    tuple((group.id, group.local_name) for group in name_badges(member)))
    return state


def _page_state(context) -> tuple:
    """What every post of the page shares: reader-independent page facts and the reader's page-wide rights."""
    state = g.get("_fragment_page_state")
    if state is None:
        thread, user = context["thread"], _reader()
        reaction_kinds = context.resolve_or_missing("reaction_kinds")
        offered = tuple(kind.code for kind in reaction_kinds()) if callable(reaction_kinds) else ()
        state = g._fragment_page_state = (
            _template_digest(), str(get_locale()), str(get_timezone()), request.script_root,
            current_app.config.get("POSTS_PER_PAGE"), thread.id, thread.accepted_post_id, thread.board_id,
            thread.board.kind.value, thread.is_locked, thread.is_deleted, offered,
            user.is_authenticated,
            tuple(getattr(permissions, name)(user, thread) for name in THREAD_PREDICATES))
    return state


_KIND_COLUMNS = ("thread_id", "thread", "author_id", "deleted_at", "hidden_at", "pending", "is_whisper", "number")


def post_kind(post: Post, thread: Thread | None, user) -> tuple | None:
    """What the per-post predicates read of `post` besides the reader and the thread, or None: ask per post.

    `POST_PREDICATES` look at a post's thread, whether it is deleted, hidden, pending, a whisper or the
    opening post, and whether the reader wrote it; only for its author do they read more (whether the edit
    window is still open, from its time). So two posts of the page's thread by someone else with the same answers to those
    questions get the same answers from every predicate, and a page asks them once per kind of post
    instead of once per post (tests/community/forum/test_fragments.py holds the two equal).
    """
    if thread is None:
        return None
    try:  # straight from the loaded row (the instrumented getattr of eight attributes was most of this)
        post_thread_id, post_thread, author_id, deleted_at, hidden_at, pending, whisper, number = \
            _getter(_KIND_COLUMNS)(post.__dict__)
    except KeyError:
        post_thread_id, post_thread, author_id, deleted_at, hidden_at, pending, whisper, number = (
            getattr(post, name) for name in _KIND_COLUMNS)
    if post_thread_id != thread.id or post_thread is not thread:
        return None
    user_id = getattr(user, "id", None)
    own = None  # another's post: its time matters to no predicate
    if author_id is not None and author_id == user_id and user.is_authenticated:  # the reader's own: still editable?
        own = utcnow() - post.created_at <= timedelta(minutes=current_app.config["EDIT_WINDOW_MINUTES"])
    return (user_id, thread.id, deleted_at is None, hidden_at is None, bool(pending), bool(whisper), number == 1, own)


def post_rights(post: Post, thread: Thread | None, user=None, known: dict | None = None) -> tuple:
    """The reader's answers to every `POST_PREDICATES` on `post`, asked once per kind of post and request."""
    user = _reader() if user is None else user
    kind = post_kind(post, thread, user)
    if kind is None:
        return tuple(getattr(permissions, name)(user, post) for name in POST_PREDICATES)
    if known is None:
        known = g.setdefault("_fragment_rights", {})
    rights = known.get(kind)
    if rights is None:
        rights = known[kind] = tuple(getattr(permissions, name)(user, post) for name in POST_PREDICATES)
    return rights


# The page's `my_vote`, `post_reactions` and `bookmark_of` for all its posts at once (the same queries and values:
# one call each per page; asked per post, their request-context lookups were a tenth of the keys).
_PAGE_HELPERS = ("my_votes_of_page", "post_reactions_of_page", "bookmarks_of_page")


def _helpers(context) -> tuple:
    """{post id: value} of each of `_PAGE_HELPERS` for the page's posts (None when its area is off): once."""
    return tuple(helper(context) if callable(helper) else None for helper in
                 (context.resolve_or_missing(name) for name in _PAGE_HELPERS))


def _reader_state(post: Post, user, thread, helpers, signed_in: bool, known: tuple) -> tuple:
    """The reader's rights on `post` and their own vote, reaction and bookmark on it."""
    rights = post_rights(post, thread, user, known[1])
    post_id, author_id = post.id, post.author_id
    mine = ()
    if signed_in and post.deleted_at is None:
        votes, reactions, bookmarks = helpers
        mine = (votes[post_id] if votes is not None else None,
                reactions[post_id].mine if reactions is not None else None,
                bool(bookmarks[post_id]) if bookmarks is not None else None)
    return rights, author_id is not None and author_id == getattr(user, "id", None), mine


def _content_state(post: Post, user, thread, reactions, known: tuple) -> tuple:
    """The post as the database has it now, with what the page shows beside it (`known`: the request's member
    states and rights, see `_known`)."""
    loaded = post.__dict__
    reply_to = loaded["reply_to"] if "reply_to" in loaded else post.reply_to
    replied = None
    if reply_to is not None:
        replied = (reply_to.id, reply_to.number, reply_to.is_deleted, reply_to.is_public,
                   post_rights(reply_to, thread, user, known[1])[_CAN_VIEW], _member_state(reply_to.author, known[0]))
    columns = _columns(post, _POST_COLUMNS)
    counts = (tuple(sorted(reactions[post.id].counts.items()))
              if reactions is not None and post.deleted_at is None else ())
    author = loaded["author"] if "author" in loaded else post.author
    return (columns, _member_state(author, known[0]), replied, counts)


def _body_html(post: Post) -> str:
    loaded = post.__dict__
    return loaded["body_html"] if "body_html" in loaded else post.body_html


def _known() -> tuple[dict, dict]:
    """The request's member states and rights per kind of post (looked up in `g` once per page, not per post)."""
    return g.setdefault("_fragment_members", {}), g.setdefault("_fragment_rights", {})


def _cacheable(context, post: Post) -> bool:
    """Every reply; the opening post unless the thread has a poll (it shows the reader's own choice)."""
    if post.number != 1:  # (`is_opening` is number 1)
        return True
    poll_view = context.resolve_or_missing("thread_poll_view")
    return callable(poll_view) and poll_view(context["thread"]) is None


def _opening_state(context, post: Post) -> tuple:
    """The opening post of a question shows the accepted answer (as this reader may see it) under it."""
    if not (post.number == 1 or post.is_opening):
        return ()
    accepted = context.resolve_or_missing("accepted_answer")
    answer = accepted(context, context["thread"]) if callable(accepted) else None
    if answer is None:
        return ("opening", None)
    # what qa/_post_marks.html shows of it (no more: its reply target or reactions would cost queries)
    return ("opening", answer.id, answer.thread_id, answer.number, answer.body_html, _member_state(answer.author))


def _keys(context, posts: list[Post]) -> dict[int, str]:
    """The store key of each cacheable post of the page (one read of the generation counters for all)."""
    posts = [post for post in posts if _cacheable(context, post)]
    if not posts:
        return {}
    store = cachestore.store()
    # each post with its id and the names of its generation counters
    named = [(post, post.id, f"frag:gen:t:{post.thread_id}", f"frag:gen:p:{post.id}") for post in posts]
    wanted = sorted({_ALL, *(counter for _post, _id, *counters in named for counter in counters)})
    try:
        generations = dict(zip(wanted, store.counters(wanted), strict=True))
    except CacheUnavailable:
        return {}  # without the shared generations nothing is served from the store
    page = _page_state(context)
    # the accepted answer first: loaded before the group badges, its author's badges come with the page's
    opening = {post_id: _opening_state(context, post) for post, post_id, _t, _p in named if post.number == 1}
    # the page's part of every digest once, not once per post (its repr was a tenth of the keys)
    page = hashlib.blake2b(repr(page).encode(), digest_size=20)
    user, thread, helpers = _reader(), context.get("thread"), _helpers(context)
    signed_in, known, reactions = user.is_authenticated, _known(), helpers[1]
    everything = generations[_ALL]
    keys = {}
    for post, post_id, thread_counter, post_counter in named:
        parts = (_content_state(post, user, thread, reactions, known), opening.get(post_id, ()),
                 _reader_state(post, user, thread, helpers, signed_in, known),
                 (everything, generations[thread_counter], generations[post_counter]))
        digest = page.copy()
        digest.update(repr(parts).encode())
        # the post's HTML as it is, not its repr (which checks every character: a tenth of the keys for Chinese
        # text); a repr never holds a NUL, so the two parts cannot be told apart any other way
        digest.update(b"\0")
        digest.update(_body_html(post).encode())
        keys[post_id] = "frag:post:" + digest.hexdigest()
    return keys


def _fill(context) -> dict[int, Markup | str]:
    """Look up every post of the page at once: post id -> its HTML for this reader (the reader's CSRF token in
    place), or its store key when the store does not have it. Posts not in the answer are rendered afresh
    (fragments off, not cacheable, or the store could not be asked). Once per page: the flag, the placeholder
    and the reader's token are asked here, not once per post."""
    found = g.get("_fragments")
    if found is None:
        found = {}
        if _enabled():
            items = getattr(context.get("posts"), "items", None)
            posts = [p for p in items if isinstance(p, Post)] if isinstance(items, (list, tuple)) else []
            keys = _keys(context, posts)
            ids = list(keys)
            values = cachestore.store().get_many([keys[i] for i in ids]) if ids else []
            placeholder, token = csrf_placeholder(), None
            for post_id, value in zip(ids, values, strict=True):
                if value is None:
                    found[post_id] = keys[post_id]
                    continue
                html = value.decode()
                if placeholder in html:
                    token = _readers_token(context.environment) if token is None else token
                    html = html.replace(placeholder, token)
                found[post_id] = Markup(html)
        g._fragments = found
    return found


@pass_context
def post_html(context, post: Post) -> Markup:
    """Template helper: `post` as _post.html renders it for this reader, from the store when it is there."""
    return _post_html(context, post, _fill(context))


def _post_html(context, post: Post, fragments: dict) -> Markup:
    """`post_html`, with the page's `_fill`."""
    # a whisper or a post waiting for approval that the reader may not see is not on the page at all
    if (post.is_whisper or post.pending) and not permissions.can_view_post(_reader(), post):
        return Markup("")
    found = fragments.get(post.id)
    if type(found) is Markup:  # noqa: E721  (a stored fragment; a key is a plain str)
        return found
    env = context.environment
    if found is None:  # fragments off, not cacheable, or the store could not be asked
        return Markup(env.get_template(POST_TEMPLATE).render(context.get_all(), post=post))
    placeholder = csrf_placeholder()
    html = env.get_template(POST_TEMPLATE).render(context.get_all(), post=post, csrf_token=lambda: placeholder)
    cachestore.store().set(found, html.encode(), current_app.config["FRAGMENT_CACHE_SECONDS"])
    g.setdefault("_fragments_rendered", []).append(post.id)
    if placeholder in html:
        html = html.replace(placeholder, _readers_token(env))
    return Markup(html)


@pass_context
def posts_html(context, posts) -> Markup:
    """Template helper: `post_html` of each of `posts` in order, each on a line of its own (as a template loop over
    `post_html` laid them out): one call per page, not one Jinja call per post."""
    fragments = _fill(context)
    return Markup("".join([f"\n    {_post_html(context, post, fragments)}\n  " for post in posts]))


# ---- invalidation ---------------------------------------------------------------------------------

def _targets(sender, kwargs) -> list[str]:
    """The generation counters a signal bumps: the posts it names, else its threads, else everything."""
    posts, threads = set(), set()
    for value in (sender, *kwargs.values()):
        for item in value if isinstance(value, (list, tuple, set)) else (value,):
            if isinstance(item, Post):
                posts.add(item.id)
            elif isinstance(item, Thread):
                threads.add(item.id)
            elif isinstance(getattr(item, "post_id", None), int):
                posts.add(item.post_id)
            elif isinstance(getattr(item, "thread_id", None), int) and not isinstance(item, Member):
                threads.add(item.thread_id)
    if posts:
        return [f"frag:gen:p:{i}" for i in sorted(posts) if i is not None]
    if threads:
        return [f"frag:gen:t:{i}" for i in sorted(threads) if i is not None]
    return [_ALL]


def bump(keys: list[str]) -> None:
    """Bump generation counters (a store that cannot be reached serves nothing, see `_keys`)."""
    store = cachestore.store()
    for key in keys:
        try:
            store.incr(key)
        except CacheUnavailable:
            return


def _invalidate(sender, **kwargs) -> None:
    if not has_app_context() or "community.cachestore" not in current_app.extensions:
        return
    keys = _targets(sender, kwargs)
    bump(keys)
    after_commit(bump, keys)  # again: a render racing the transaction may have read the old rows


_connected = False


def init_app(app) -> None:
    app.config.setdefault("FRAGMENT_CACHE_SECONDS", 3600)
    app.add_template_global(post_html, "post_html")
    app.add_template_global(posts_html, "posts_html")
    global _connected
    if not _connected:
        for signal in INVALIDATING:
            signal.connect(_invalidate, weak=False)
        _connected = True
