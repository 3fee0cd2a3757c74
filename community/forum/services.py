"""What can happen in the forum: start a thread, reply, edit, delete; and the reads pages need.

Services flush and signal; they never commit (the request, socket handler or CLI command does).
Counters move with atomic SQL so that concurrent requests never lose an update.

Row locks (PostgreSQL holds them to the commit): a new post takes its thread's row (for its number, after
the rendering and content checks), then its author's; its board's row, which every post on the board
shares, is the transaction's last statement (`at_commit`, with the CRM's day rollup after it), so concurrent
replies queue on the board for a commit's length, not for the whole of each other's signal subscribers;
the order is the same in every reply (thread, author, ..., board).
"""
from __future__ import annotations

import re
from functools import lru_cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.orm import aliased, contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from .. import dbbatch, registry, text
from ..aftercommit import at_commit
from ..dbtypes import utcnow
from ..errors import NotPermitted, ValidationFailed
from ..extensions import db
from ..members.models import Member
from ..permissions import (
    can_moderate,
    can_reply,
    can_start_thread,
    can_whisper,
    public_post_clause,
    public_thread_clause,
    readable_board_bound_clause,
    readable_board_clause,
    readable_board_shape,
    visible_post_bound_clause,
    visible_post_clause,
    visible_post_shape,
)
from ..signals import post_created, post_deleted, post_edited, thread_created, thread_deleted
from ..web import Page, page_count, paginate
from .models import Board, BoardKind, IdeaStatus, Post, PostMention, PostRevision, Tag, Thread, ThreadTag

# ---- writing -------------------------------------------------------------------------------

def check_title(title: str) -> str:
    """Return the title with its whitespace folded; raise ValidationFailed when too short or too long."""
    title = " ".join((title or "").split())
    config = current_app.config
    if len(title) < config["TITLE_MIN_LENGTH"]:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"title": _l("The title needs at least %(n)d characters.", n=config["TITLE_MIN_LENGTH"])})
    if len(title) > config["TITLE_MAX_LENGTH"]:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"title": _l("The title may have at most %(n)d characters.", n=config["TITLE_MAX_LENGTH"])})
    return title


def _check_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    config = current_app.config
    if len(body) < config["BODY_MIN_LENGTH"]:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"body": _l("Please write at least %(n)d characters.", n=config["BODY_MIN_LENGTH"])})
    if len(body) > config["BODY_MAX_LENGTH"]:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"body": _l("A post may have at most %(n)d characters; this one has %(m)d.",
                                           n=config["BODY_MAX_LENGTH"], m=len(body))})
    return body


TAG_RE = re.compile(r"^[^\W_](?:[\w-]{0,30}[^\W_])?$")
MAX_TAGS = 5


def parse_tags(raw) -> list[str]:
    """Return the tag names in `raw` (a comma/space separated string or a list), checked and lower-cased."""
    if raw is None:
        return []
    parts = raw if isinstance(raw, (list, tuple)) else re.split(r"[,，\s]+", str(raw))
    names = list(dict.fromkeys(str(part).strip().lstrip("#").casefold() for part in parts if str(part).strip()))
    bad = [name for name in names if not TAG_RE.match(name)]
    if bad:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"tags": _l("Tags are single words of letters, digits and dashes: %(bad)s",
                                           bad=", ".join(bad[:3]))})
    if len(names) > MAX_TAGS:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               {"tags": _l("At most %(n)d tags.", n=MAX_TAGS)})
    return names


def set_tags(thread: Thread, names: list[str]) -> None:
    """Give `thread` exactly these tags, creating tags that do not exist yet."""
    existing = {tag.name: tag for tag in db.session.scalars(select(Tag).where(Tag.name.in_(names)))} if names else {}
    for name in names:
        if name not in existing:
            existing[name] = Tag(name=name)
            db.session.add(existing[name])
    thread.tags = [existing[name] for name in names]
    db.session.flush()


def _known_members(names) -> dict[str, str]:
    keys = [name.casefold() for name in names][:50]
    rows = db.session.execute(select(Member.username_key, Member.username).where(Member.username_key.in_(keys)))
    return {key: username for key, username in rows}


def render_body(body: str) -> text.Rendered:
    """Render a post body, linking the @mentions of members that exist."""
    return text.render(body, known_members=_known_members)


def _add_post(thread: Thread, author: Member, body: str, reply_to: Post | None,
              whisper: bool = False, count_reply: bool = False) -> tuple[Post, list[Member]]:
    now = utcnow()
    # A hidden or pending thread's posts are not in its board's counts (moderation puts them back
    # when the thread is shown): only a listed thread adds this post to its board.
    listed = thread.hidden_at is None and not thread.pending and thread.deleted_at is None
    # What needs no lock comes first (rendering, the content checks, the mentioned members): the post's
    # number locks the thread's row until the commit, and every other reply to the thread waits for it.
    rendered = render_body(body)
    _check_content(author, rendered, new=True)
    mentioned = []
    if rendered.mentions:
        keys = [name.casefold() for name in rendered.mentions]
        mentioned = list(db.session.scalars(select(Member).where(Member.username_key.in_(keys), Member.id != author.id)))
    number = db.session.execute(_NEXT_NUMBER, {"thread_id": thread.id}).scalar_one()
    set_committed_value(thread, "post_seq", number)  # as the ORM's synchronisation did
    post = Post(thread_id=thread.id, number=number, author_id=author.id, body_source=body,
                body_html=rendered.html, reply_to_id=reply_to.id if reply_to else None,
                is_official=author.is_staff, created_at=now, is_whisper=whisper)
    db.session.add(post)
    db.session.flush()
    if mentioned:
        db.session.add_all(PostMention(post_id=post.id, member_id=m.id) for m in mentioned)
    counted = db.session.execute(_ONE_MORE_POST, {"member_id": author.id}).scalar()
    if counted is not None:
        set_committed_value(author, "post_count", counted)
    # Areas check every new post before it is announced (moderation: duplicates, approval, whispers):
    # callables (author, post) registered by their init_app; a ServiceError they raise undoes the post.
    # A check that takes the post out of the counts (a whisper, a post held for approval) subtracts it
    # from the thread's, board's and member's counts; the thread's and board's are added below, after the
    # checks, each in one statement with the last post (the sums are the same in either order).
    for check in registry.new_post_checks():
        check(author, post)
    # Only a post everyone may read is the thread's (and board's) last post: a whisper or a post
    # waiting for approval must not tell readers that something was written.
    last = not (post.is_whisper or post.pending)
    _count_post(thread, post, count_reply=count_reply, board=listed, last=last)
    return post, mentioned


_AT = bindparam("at", type_=Thread.last_posted_at.type)
# A new post's number, and its author's post count: built once (every post runs them), answering the value they
# leave, which is set on the loaded thread and author as the ORM's synchronisation of the UPDATE would.
_NEXT_NUMBER = (update(Thread).where(Thread.id == bindparam("thread_id")).values(post_seq=Thread.post_seq + 1)
                .returning(Thread.post_seq).execution_options(synchronize_session=False))
_ONE_MORE_POST = (update(Member).where(Member.id == bindparam("member_id"))
                  .values(post_count=Member.post_count + 1).returning(Member.post_count)
                  .execution_options(synchronize_session=False))


@lru_cache(maxsize=4)
def _thread_counted(count_reply: bool, last: bool):
    """One UPDATE of the thread for a new post: its reply count and/or its last post unless a later one is
    already (built once per process and shape)."""
    values = {"reply_count": Thread.reply_count + 1} if count_reply else {}
    if last:
        later = Thread.last_posted_at > _AT
        values.update(last_posted_at=case((later, Thread.last_posted_at), else_=_AT),
                      last_poster_id=case((later, Thread.last_poster_id), else_=bindparam("poster_id")))
    return (update(Thread).where(Thread.id == bindparam("thread_id")).values(**values)
            .returning(Thread.reply_count, Thread.last_posted_at, Thread.last_poster_id)
            .execution_options(synchronize_session=False))


@lru_cache(maxsize=4)
def _board_counted(count: bool, last: bool):
    """One UPDATE of the board for a new post: its post count and/or its last post time (built once)."""
    values = {"post_count": Board.post_count + 1} if count else {}
    if last:
        values["last_posted_at"] = case((Board.last_posted_at > _AT, Board.last_posted_at), else_=_AT)
    return (update(Board).where(Board.id == bindparam("board_id")).values(**values)
            .returning(Board.post_count, Board.last_posted_at).execution_options(synchronize_session=False))


_ONE_MORE_THREAD = (update(Board).where(Board.id == bindparam("board_id")).values(thread_count=Board.thread_count + 1)
                    .execution_options(synchronize_session=False))


def _count_post(thread: Thread, post: Post, count_reply: bool, board: bool, last: bool) -> None:
    """Add a new post to its thread's reply count (`count_reply`) and its listed board's post count (`board`),
    and make it their last post (`last`): at most one UPDATE of each, answering the values it leaves (set on
    the loaded thread and board, so nothing reads them again).

    The thread's UPDATE runs now (its row is locked since the post's number: nothing to gain by waiting, and
    the subscribers read its reply count); the board's, whose row every reply on the board shares, is the
    transaction's last statement (`at_commit`), so replies in other threads wait for it through a commit,
    not through this reply's subscribers."""
    params = {"at": post.created_at, "poster_id": post.author_id}
    if count_reply or last:
        row = db.session.execute(_thread_counted(count_reply, last), {"thread_id": thread.id, **params}).one()
        for name in ("reply_count", "last_posted_at", "last_poster_id"):
            set_committed_value(thread, name, getattr(row, name))
    if board:
        at_commit(_count_on_board, thread, {"board_id": thread.board_id, **params}, last)


def _count_on_board(thread: Thread, params: dict, last: bool) -> None:
    row = db.session.execute(_board_counted(True, last), params).one()
    loaded = thread.__dict__.get("board")
    if loaded is not None:
        set_committed_value(loaded, "post_count", row.post_count)
        set_committed_value(loaded, "last_posted_at", row.last_posted_at)


def refresh_last_post(thread: Thread, board: bool = False) -> None:
    """Set the thread's last post to its latest post everyone may read (after one was hidden, deleted,
    shown again or approved); `board` also moves the board's last post time forward to it."""
    last = db.session.execute(
        select(Post.created_at, Post.author_id).where(Post.thread_id == thread.id, public_post_clause())
        .order_by(Post.created_at.desc(), Post.number.desc()).limit(1)).first()
    if last is None:  # nothing public left: the thread is out of every list anyway
        return
    db.session.execute(update(Thread).where(Thread.id == thread.id)
                       .values(last_posted_at=last.created_at, last_poster_id=last.author_id)
                       .execution_options(synchronize_session=False))
    db.session.expire(thread, ["last_posted_at", "last_poster_id"])
    if board and thread.hidden_at is None and not thread.pending and thread.deleted_at is None:
        db.session.execute(update(Board).where(Board.id == thread.board_id).values(
            last_posted_at=case((Board.last_posted_at > last.created_at, Board.last_posted_at),
                                else_=last.created_at)).execution_options(synchronize_session=False))


def start_thread(author: Member, board: Board, title: str, body: str, tags=None) -> Thread:
    """Open a thread with its first post in `board`."""
    if not can_start_thread(author, board):
        raise NotPermitted(_l("You cannot start a thread on this board."))
    problems = {}
    try:
        tag_names = parse_tags(tags)
    except ValidationFailed as exc:
        problems.update(exc.fields)
    try:
        title = check_title(title)
    except ValidationFailed as exc:
        problems.update(exc.fields)
    try:
        body = _check_body(body)
    except ValidationFailed as exc:
        problems.update(exc.fields)
    if problems:
        raise ValidationFailed(_l("Please correct the marked fields."), problems)

    now = utcnow()
    thread = Thread(board_id=board.id, author_id=author.id, title=title, created_at=now, last_posted_at=now,
                    last_poster_id=author.id, idea_status=IdeaStatus.open if board.kind is BoardKind.idea else None)
    db.session.add(thread)
    db.session.flush()
    set_tags(thread, tag_names)
    post, mentioned = _add_post(thread, author, body, None)
    at_commit(db.session.execute, _ONE_MORE_THREAD, {"board_id": board.id})  # the board's row: last (see _count_post)
    db.session.execute(update(Member).where(Member.id == author.id).values(thread_count=Member.thread_count + 1))
    db.session.refresh(thread)
    thread_created.send(thread, post=post, mentioned=mentioned)
    return thread


def reply(author: Member, thread: Thread, body: str, reply_to: Post | None = None, whisper: bool = False) -> Post:
    """Add a reply to `thread`, optionally answering one of its posts; a whisper only staff and moderators see."""
    if not (can_whisper(author, thread) if whisper else can_reply(author, thread)):
        raise NotPermitted(_l("You cannot reply to this thread."))
    body = _check_body(body)
    if reply_to is not None and (reply_to.thread_id != thread.id or reply_to.is_deleted):
        raise ValidationFailed(_l("The post you are replying to is not in this thread."),
                               {"reply_to": _l("No such post in this thread.")})
    post, mentioned = _add_post(thread, author, body, reply_to, whisper=whisper, count_reply=True)
    # The subscribers' rows that nothing reads back in this transaction (the CRM's timeline entry, day mark,
    # outbox row and sentiment) go to the database together when they are done: one statement on PostgreSQL.
    with dbbatch.combined():
        post_created.send(post, mentioned=mentioned, reply_to=reply_to)
    return post


def edit_post(editor: Member, post: Post, body: str, title: str | None = None, reason: str = "") -> Post:
    """Replace a post's text (and the thread title, for an opening post), keeping the old version."""
    body = _check_body(body)
    thread = post.thread
    new_title = check_title(title) if (post.is_opening and title is not None) else None
    if body == post.body_source and (new_title is None or new_title == thread.title):
        return post  # nothing changed: no revision
    reason = (reason or "").strip()[:255]
    revision_number = db.session.scalar(
        select(func.count()).select_from(PostRevision).where(PostRevision.post_id == post.id)) + 1
    revision = PostRevision(post_id=post.id, number=revision_number,
                            title=thread.title if post.is_opening else None,
                            body_source=post.body_source, body_html=post.body_html,
                            author_id=post.author_id, created_at=post.edited_at or post.created_at,
                            replaced_by_id=editor.id, replaced_at=utcnow(), reason=reason)
    db.session.add(revision)
    rendered = render_body(body)
    _check_content(editor, rendered, new=False)
    post.body_source, post.body_html = body, rendered.html
    post.edited_at = revision.replaced_at
    post.edit_count = Post.edit_count + 1
    if new_title is not None:
        thread.title = new_title
    db.session.flush()
    post_edited.send(post, editor=editor, revision=revision)
    return post


def delete_post(actor: Member, post: Post) -> None:
    """Soft-delete a post; deleting the opening post deletes the whole thread."""
    now = utcnow()
    thread = post.thread
    # A hidden, pending or whispered post is out of the counts already; so is a hidden thread's board share.
    counted, listed = post.is_public, thread.hidden_at is None and not thread.pending
    post.deleted_at, post.deleted_by_id = now, actor.id
    author_id = post.author_id
    if post.is_opening and not (counted and listed):
        thread.deleted_at, thread.deleted_by_id = now, actor.id
    elif post.is_opening:
        live_posts = 1 + thread.reply_count
        thread.deleted_at, thread.deleted_by_id = now, actor.id
        db.session.execute(update(Board).where(Board.id == thread.board_id).values(
            thread_count=Board.thread_count - 1, post_count=Board.post_count - live_posts))
        db.session.execute(update(Member).where(Member.id == author_id).values(
            thread_count=Member.thread_count - 1, post_count=Member.post_count - 1))
    elif counted:
        db.session.execute(update(Thread).where(Thread.id == thread.id).values(reply_count=Thread.reply_count - 1))
        if listed:
            db.session.execute(update(Board).where(Board.id == thread.board_id).values(post_count=Board.post_count - 1))
        db.session.execute(update(Member).where(Member.id == author_id).values(post_count=Member.post_count - 1))
    db.session.flush()
    if counted and not post.is_opening:
        refresh_last_post(thread)
    post_deleted.send(post, by=actor)
    if post.is_opening:
        thread_deleted.send(thread, by=actor)


# ---- reading -------------------------------------------------------------------------------

# The forum's own ORDER BY per ?sort=; areas register more (votes: "hot", which decays with the
# request's time, and "top", which also takes ?period=) with `registry.register_thread_sort`.
THREAD_SORTS = {"latest": registry.ThreadSort(Thread.last_posted_at.desc()),
                "new": registry.ThreadSort(Thread.created_at.desc())}


def thread_sorts() -> dict[str, registry.ThreadSort]:
    """Every ?sort= of thread lists: the forum's own, then those areas registered."""
    return {**THREAD_SORTS, **registry.thread_sorts()}


def _check_content(member, rendered, *, new: bool) -> None:
    """Let the areas' checks refuse a post's content before it is written (trust: posting limits)."""
    for check in registry.post_content_checks():
        check(member, rendered, new=new)


def _thread_list(query, member, page: int, sort: str, per_page: int, period: str | None = None) -> Page:
    sorts = thread_sorts()
    chosen = sorts.get(sort, sorts["latest"])
    if chosen.since is not None and (start := chosen.since(period)) is not None:
        query = query.where(Thread.created_at >= start)
    order = chosen.order
    return paginate(query.options(joinedload(Thread.author), joinedload(Thread.last_poster))
                    .order_by(order() if callable(order) else order, Thread.id.desc()), page, per_page)


def board_threads(member, board: Board, page: int = 1, sort: str = "latest", period: str | None = None,
                  answer_filter: str | None = None) -> Page:
    """Return a page of a board's threads; moderators also see deleted ones.

    `answer_filter` (question boards): "unsolved" (no accepted answer) or "unanswered" (no reply yet).
    """
    query = select(Thread).where(Thread.board_id == board.id)
    if not can_moderate(member, board):
        query = query.where(public_thread_clause())
    pinned = and_(Thread.pinned_at.is_not(None), or_(Thread.pinned_until.is_(None), Thread.pinned_until > utcnow()))
    query = query.order_by(case((pinned, 0), else_=1))  # pinned threads first until the pin expires
    if answer_filter == "unsolved":
        query = query.where(Thread.accepted_post_id.is_(None))
    elif answer_filter == "unanswered":
        query = query.where(Thread.reply_count == 0)
    return _thread_list(query, member, page, sort, current_app.config["THREADS_PER_PAGE"], period)


def latest_threads(member, page: int = 1, sort: str = "latest", per_page: int | None = None,
                   period: str | None = None) -> Page:
    """Return a page of threads across every board the member may read."""
    query = (select(Thread).join(Thread.board)
             .where(readable_board_clause(member), public_thread_clause()))
    pinned = and_(Thread.pinned_globally.is_(True), Thread.pinned_at.is_not(None),
                  or_(Thread.pinned_until.is_(None), Thread.pinned_until > utcnow()))
    query = query.order_by(case((pinned, 0), else_=1))  # globally pinned threads first until the pin expires
    return _thread_list(query, member, page, sort, per_page or current_app.config["THREADS_PER_PAGE"], period)


def tagged_threads(member, tag: Tag, page: int = 1, sort: str = "latest", period: str | None = None) -> Page:
    """Return a page of the threads with `tag` across every board the member may read."""
    query = (select(Thread).join(Thread.board).join(ThreadTag, ThreadTag.thread_id == Thread.id)
             .where(ThreadTag.tag_id == tag.id, readable_board_clause(member),
                    public_thread_clause()))
    return _thread_list(query, member, page, sort, current_app.config["THREADS_PER_PAGE"], period)


@lru_cache(maxsize=8)
def _visible_boards_select(visibilities: tuple, by_groups: bool):
    """The boards a member of this shape may read, in display order; built once per shape (`member_id` bound)."""
    return (select(Board).where(readable_board_bound_clause(visibilities, by_groups))
            .order_by(Board.position, Board.name))


def visible_boards(member) -> list[Board]:
    """Return the boards the member may read, in their display order."""
    return list(db.session.scalars(_visible_boards_select(*readable_board_shape(member)),
                                   {"member_id": getattr(member, "id", None)}))


# What a post on a thread page shows of its author and of the author of the post it replies to (avatar, name,
# link, staff badge; the group badges are their own query): the page loads these columns of them, not the other
# two dozen (their result processing was a tenth of a signed-in page, issue 18). Another column read of such an
# author on the page would be one query more: tests/community/forum/test_thread_queries.py holds the page to none.
PAGE_AUTHOR_COLUMNS = ("id", "username", "display_name", "role", "deleted_at", "avatar_upload_id", "avatar_color")


@lru_cache(maxsize=2)
def _page_of_posts(page_authors: bool = False):
    """A page of a thread's posts with their authors and the posts they reply to (and their authors); with
    `page_authors`, only the `PAGE_AUTHOR_COLUMNS` of the authors (the thread page, not the API).

    Built once per process with bound parameters (thread_id, after, upto): building it took a tenth of a signed-in
    thread page (bench/README.md, issue 18). By number, not offset: posts keep their number for good (moved
    posts leave gaps).
    """
    parent, parent_author = aliased(Post), aliased(Member)
    author = contains_eager(Post.author)
    replied = contains_eager(Post.reply_to.of_type(parent)).contains_eager(parent.author.of_type(parent_author))
    if page_authors:
        author = author.load_only(*(getattr(Member, name) for name in PAGE_AUTHOR_COLUMNS))
        replied = replied.load_only(*(getattr(parent_author, name) for name in PAGE_AUTHOR_COLUMNS))
    return (select(Post).where(Post.thread_id == bindparam("thread_id")).outerjoin(Post.author)
            .outerjoin(parent, Post.reply_to_id == parent.id)
            .outerjoin(parent_author, parent.author_id == parent_author.id)
            .options(author, replied)
            .where(Post.number > bindparam("after"), Post.number <= bindparam("upto"))
            .order_by(Post.number))


@lru_cache(maxsize=16)
def _page_of_posts_shown(whispers: bool, signed_in: bool, page_authors: bool = False):
    """`_page_of_posts` with the highest number a reader of this `visible_post_shape` is shown in the whole thread
    (uncorrelated, read along with the page's rows); built once per shape and process (`member_id` bound)."""
    shown = or_(and_(Post.is_whisper.is_(False), Post.pending.is_(False)),
                visible_post_bound_clause(whispers, signed_in))
    last_shown = (select(func.coalesce(func.max(Post.number), 0))
                  .where(Post.thread_id == bindparam("thread_id"), shown).correlate(None).scalar_subquery())
    return _page_of_posts(page_authors).add_columns(last_shown)


def thread_posts(thread: Thread, page: int, member=None, page_authors: bool = False) -> Page:
    """Return one page of a thread's posts with their authors, in one query (with `page_authors`, only what a
    thread page shows of the authors: `PAGE_AUTHOR_COLUMNS`).

    For a `member` who is not a moderator the pages end at the last post they may see (or see the
    marker of): a whisper or a post waiting for approval at the end makes no extra page for them.
    """
    per_page = current_app.config["POSTS_PER_PAGE"]
    total = thread.post_seq
    shape = None if member is None else visible_post_shape(member)  # None: every post is shown
    if shape is None:
        page_count(total, per_page, page)
    query = _page_of_posts(page_authors) if shape is None else _page_of_posts_shown(*shape, page_authors)
    params = {"thread_id": thread.id, "after": (page - 1) * per_page, "upto": page * per_page}
    if shape is not None and shape[1]:
        params["member_id"] = member.id
    if shape is None:
        rows = db.session.scalars(query, params).unique().all()
    else:
        found = db.session.execute(query, params).unique().all()
        rows = [row[0] for row in found]
        if found:
            total = found[0][1]
        else:  # an empty page (or one past the end): ask for the last post shown on its own
            shown = or_(and_(Post.is_whisper.is_(False), Post.pending.is_(False)), visible_post_clause(member))
            total = db.session.scalar(select(func.max(Post.number)).where(Post.thread_id == thread.id, shown)) or 0
    pages = page_count(total, per_page, page)
    for post in rows:  # every post on the page belongs to this thread: spare a query each
        set_committed_value(post, "thread", thread)
    return Page(rows, page, pages, total)
