"""Demo content for `flask --app wsgi community seed-demo`: a bilingual community for "Acme Home".

Acme Home is a fictional consumer-electronics brand (Acme Mesh X6 routers, Acme Cam 2K indoor and
Cam Pro outdoor cameras, the Acme Home phone app). The demo loads eight boards (every kind and every
visibility), fourteen members (every role) and some fifty threads with about two hundred posts in
English, Simplified Chinese and a mix of both, written over the past sixty days.

Accounts, for a local trial only. Every demo account shares one password, ``demo-community-2026``:

    admin        administrator; `admin` is reserved for sign-ups, so the demo creates it directly
    acme_grace   staff (Acme product manager); staff posts are marked official
    acme_chen    staff (Acme support engineer, 陈工)
    samira_k     moderator (a volunteer)
    netnerd42, lin_xiaoyu, wang.lei, maria.g, kenji_t, zhou-jie, oliviap, dad_of_3, xu_ming, priya.s
                 members

Delete these accounts or change their passwords before anyone else can reach the site. Nothing
secret is printed: the command reports counts only.

Running it again without `--if-empty` is safe: members and boards that exist (same username or slug)
are reused, and a thread whose title already exists on its board is skipped, so a second run adds
nothing and reports zeros. A demo e-mail address taken by another username stops the run with a
clear error and nothing saved.

Everything is written through the real services (`register_member`, `update_profile`,
`start_thread`, `reply`), so counters, rendered Markdown, @mentions and signals are all real. Then,
for demo data only, plain ORM assignments move timestamps into the past (thread and board counters are
left alone), mark accepted answers, idea statuses and one pinned welcome thread. The content is fixed
in `demo_content.json` beside this module (members, boards, threads with their replies; a multi-line
text is a list of lines); only "now" varies between runs.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import click
from sqlalchemy import func, select

from .dbtypes import utcnow
from .errors import Conflict, ServiceError, ValidationFailed
from .extensions import db
from .forum import services as forum
from .forum.models import Board, BoardKind, IdeaStatus, Post, Thread, Visibility
from .members import passwords
from .members.models import Member, Role, email_key, username_key
from .members.services import normalise_email, register_member, update_profile
from .signals import member_registered

DEMO_PASSWORD = "demo-community-2026"
EMAIL_DOMAIN = "demo.example.com"
BOARDS_CREATED_DAYS_AGO = 90


# ---- members -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoMember:
    username: str
    role: Role
    display_name: str
    bio: str
    joined_days_ago: float
    locale: str | None = None


# ---- boards --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoBoard:
    slug: str
    name: str
    description: str
    kind: BoardKind
    visibility: Visibility


# ---- threads -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoReply:
    author: str
    after_hours: float  # after the post before it in the thread
    body: str
    to: int | None = None  # the number of the post it answers (1 is the opening post)


@dataclass(frozen=True)
class DemoThread:
    board: str
    author: str
    days_ago: float
    title: str
    body: str
    replies: tuple[DemoReply, ...] = ()
    tags: tuple[str, ...] = ()
    accepted: int | None = None  # the number of the accepted answer, on question boards
    status: IdeaStatus | None = None  # on idea boards
    pinned: bool = False


# ---- the content ----------------------------------------------------------------------------------

CONTENT_PATH = Path(__file__).with_name("demo_content.json")


def _text(value) -> str:
    """A text of the content file: a string, or a list of lines (multi-line Markdown)."""
    return "\n".join(value) if isinstance(value, list) else value


def _read_content(path: Path = CONTENT_PATH) -> tuple[tuple[DemoMember, ...], tuple[DemoBoard, ...],
                                                     tuple[DemoThread, ...]]:
    """Read the members, boards and threads of the demo from `path` (JSON)."""
    with path.open(encoding="utf-8") as file:
        content = json.load(file)
    members = tuple(DemoMember(spec["username"], Role(spec["role"]), spec["display_name"], spec["bio"],
                               spec["joined_days_ago"], spec.get("locale")) for spec in content["members"])
    boards = tuple(DemoBoard(spec["slug"], spec["name"], spec["description"], BoardKind(spec["kind"]),
                             Visibility(spec["visibility"])) for spec in content["boards"])
    threads = tuple(
        DemoThread(spec["board"], spec["author"], spec["days_ago"], spec["title"], _text(spec["body"]),
                   tuple(DemoReply(reply["author"], reply["after_hours"], _text(reply["body"]), reply.get("to"))
                         for reply in spec.get("replies", ())),
                   tuple(spec.get("tags", ())), spec.get("accepted"),
                   IdeaStatus(spec["status"]) if spec.get("status") else None, bool(spec.get("pinned", False)))
        for spec in content["threads"])
    return members, boards, threads


MEMBERS, BOARDS, THREADS = _read_content()


# ---- loading -------------------------------------------------------------------------------------

@dataclass
class _Loaded:
    members: dict[str, Member] = field(default_factory=dict)
    boards: dict[str, Board] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: {"boards": 0, "members": 0, "threads": 0, "posts": 0})
    new_members: dict[str, DemoMember] = field(default_factory=dict)
    last_active: dict[str, datetime] = field(default_factory=dict)
    first_active: dict[str, datetime] = field(default_factory=dict)


def seed(if_empty: bool, now: datetime | None = None) -> dict | None:
    """Load the demo community and return what was added; None when `if_empty` and boards exist.

    Flushes but never commits (the CLI command does). A second run reuses the members and boards it
    finds and skips threads that exist, so it adds nothing.
    """
    if if_empty and db.session.scalar(select(Board.id).limit(1)) is not None:
        return None
    now = now or utcnow()
    loaded = _Loaded()
    try:
        _load_members(loaded)
        _load_boards(loaded, now)
        for spec in THREADS:
            _load_thread(loaded, spec, now)
    except ServiceError as exc:
        db.session.rollback()
        details = "; ".join(f"{name}: {message}" for name, message in exc.fields.items()) or str(exc.message)
        raise click.ClickException(f"Could not load the demo community ({details}). Nothing was saved.") from exc
    _settle_members(loaded, now)
    _settle_boards(loaded)
    db.session.flush()
    return dict(loaded.counts)


def _email(username: str) -> str:
    return f"{username.replace('_', '.')}@{EMAIL_DOMAIN}"


def _load_members(loaded: _Loaded) -> None:
    for spec in MEMBERS:
        member = db.session.scalar(select(Member).where(Member.username_key == username_key(spec.username)))
        if member is None:
            if spec.username in _RESERVED_DEMO_NAMES:
                member = _register_reserved(spec)
            else:
                member = register_member(spec.username, _email(spec.username), DEMO_PASSWORD, role=spec.role,
                                         locale=spec.locale, display_name=spec.display_name)
            update_profile(member, display_name=spec.display_name, bio=spec.bio, locale=spec.locale)
            loaded.new_members[spec.username] = spec
            loaded.counts["members"] += 1
        loaded.members[spec.username] = member


# Names the sign-up rules reserve but the demo wants (`admin`, so a trial can sign in as admin).
_RESERVED_DEMO_NAMES = {"admin"}


def _register_reserved(spec: DemoMember) -> Member:
    """Create a member whose username the sign-up rules reserve, with every other rule of register_member."""
    email = normalise_email(_email(spec.username))
    if db.session.scalar(select(Member.id).where(Member.email_key == email_key(email))):
        raise Conflict("taken", {"email": f"{email} belongs to another account already"})
    if problem := passwords.password_problem(DEMO_PASSWORD, username=spec.username, email=email):
        raise ValidationFailed("password", {"password": problem})
    member = Member(username=spec.username, username_key=username_key(spec.username), email=email,
                    email_key=email_key(email), password_hash=passwords.hash_password(DEMO_PASSWORD),
                    role=spec.role, locale=spec.locale, display_name=spec.display_name)
    db.session.add(member)
    db.session.flush()
    member_registered.send(member)
    return member


def _load_boards(loaded: _Loaded, now: datetime) -> None:
    existing = {board.slug: board for board in db.session.scalars(
        select(Board).where(Board.slug.in_([spec.slug for spec in BOARDS])))}
    for position, spec in enumerate(BOARDS):
        board = existing.get(spec.slug)
        if board is None:
            board = Board(slug=spec.slug, name=spec.name, description=spec.description, kind=spec.kind,
                          visibility=spec.visibility, position=position,
                          created_at=now - timedelta(days=BOARDS_CREATED_DAYS_AGO))
            db.session.add(board)
            loaded.counts["boards"] += 1
        loaded.boards[spec.slug] = board
    db.session.flush()


def _timeline(spec: DemoThread, now: datetime) -> list[datetime]:
    """Return when each post of the thread was written: oldest first, none later than a few minutes ago."""
    start = now - timedelta(days=spec.days_ago)
    offsets = [0.0]
    for reply_spec in spec.replies:
        offsets.append(offsets[-1] + reply_spec.after_hours)
    latest = (now - timedelta(minutes=10) - start).total_seconds() / 3600
    if offsets[-1] > latest:  # squeeze a thread that would run into the future, keeping its rhythm
        offsets = [offset * latest / offsets[-1] for offset in offsets]
    return [start + timedelta(hours=offset) for offset in offsets]


def _load_thread(loaded: _Loaded, spec: DemoThread, now: datetime) -> None:
    board = loaded.boards[spec.board]
    if db.session.scalar(select(Thread.id).where(Thread.board_id == board.id, Thread.title == spec.title)):
        return
    thread = forum.start_thread(loaded.members[spec.author], board, spec.title, spec.body, tags=list(spec.tags))
    posts = [db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))]
    for reply_spec in spec.replies:
        reply_to = posts[reply_spec.to - 1] if reply_spec.to else None
        posts.append(forum.reply(loaded.members[reply_spec.author], thread, reply_spec.body, reply_to=reply_to))

    times = _timeline(spec, now)
    authors = [spec.author] + [reply_spec.author for reply_spec in spec.replies]
    for post, when, author in zip(posts, times, authors, strict=True):
        post.created_at = when
        loaded.first_active[author] = min(when, loaded.first_active.get(author, when))
        loaded.last_active[author] = max(when, loaded.last_active.get(author, when))
    thread.created_at, thread.last_posted_at = times[0], times[-1]
    if spec.accepted:
        thread.accepted_post_id = posts[spec.accepted - 1].id
    if spec.status is not None:
        thread.idea_status = spec.status
    if spec.pinned:
        thread.pinned_at = times[0]
        thread.pinned_globally = True
    db.session.flush()
    loaded.counts["threads"] += 1
    loaded.counts["posts"] += len(posts)


def _settle_members(loaded: _Loaded, now: datetime) -> None:
    """Date the new members' sign-up before their first post, and their last visit at their last post."""
    for username, spec in loaded.new_members.items():
        member = loaded.members[username]
        joined = now - timedelta(days=spec.joined_days_ago)
        if username in loaded.first_active:
            joined = min(joined, loaded.first_active[username] - timedelta(hours=6))
        member.created_at = joined
        member.last_seen_at = loaded.last_active.get(username, joined)


def _settle_boards(loaded: _Loaded) -> None:
    """Make each board's last post time that of its latest live thread (the services stamped 'now')."""
    db.session.flush()
    ids = [board.id for board in loaded.boards.values()]
    latest = dict(db.session.execute(
        select(Thread.board_id, func.max(Thread.last_posted_at))
        .where(Thread.board_id.in_(ids), Thread.deleted_at.is_(None)).group_by(Thread.board_id)).all())
    for board in loaded.boards.values():
        db.session.refresh(board)  # the services moved its counters in SQL
        board.last_posted_at = latest.get(board.id)
