"""Demo content for `flask --app wsgi community seed-demo`: a bilingual community for "Acme Home".

Acme Home is a fictional consumer-electronics brand (Acme Mesh X6 routers, Acme Cam 2K indoor and
Cam Pro outdoor cameras, the Acme Home phone app). The demo loads eight boards (every kind and every
visibility), fifteen members (every role) and some fifty threads with about two hundred posts in
English, Simplified Chinese and a mix of both, written over the past ninety days, with votes, accepted
answers, polls, idea statuses, badges, reward redemptions and trust levels.

Accounts, for a local trial only. Every demo account shares one password, ``demo-community-2026``:

    admin        administrator; `admin` is reserved for sign-ups, so the demo creates it directly
    acme_grace   staff (Acme product manager); staff posts are marked official
    acme_chen    staff (Acme support engineer, 陈工)
    samira_k     moderator (a volunteer)
    netnerd42, lin_xiaoyu, wang.lei, maria.g, kenji_t, zhou-jie, oliviap, dad_of_3, xu_ming, priya.s, tom.b
                 members

Delete these accounts or change their passwords before anyone else can reach the site, and turn the
two-factor requirement for staff back on at /admin/security (a fresh demo turns it off: its staff accounts
share the published password above, so a trial is not stopped at the enrolment page). Nothing
secret is printed: the command reports counts only.

Running it again without `--if-empty` is safe: members and boards that exist (same username or slug)
are reused, and a thread whose title already exists on its board is skipped, so a second run adds
nothing and reports zeros. A demo e-mail address taken by another username stops the run with a
clear error and nothing saved.

Everything is written through the real services (`register_member`, `update_profile`, `start_thread`,
`reply`, `cast_vote`, `accept_answer`, `create_poll`, `cast_ballot`, `change_idea_status`, `create_reward`,
`redeem`, and the trust area's `record_visit` / `record_read`), so counters, rendered Markdown,
@mentions, reputation, badges, points, trust levels and signals are all real. Each of these events runs at
its own time in the past, in time order, inside `community.dbtypes.stamping_at(when)`: the rows are
stamped as if written then, and the CRM (which dates every record at its community event's time) builds
its timeline, sentiment, response times and dashboard from those times. The content is fixed in
`demo_content.json` beside this module (members, boards, threads with their replies, polls, idea status
changes with their reasons, rewards with their redemptions; a multi-line text is a list of lines). Votes
and poll ballots are drawn from a random generator seeded with each thread's title, so they are the same
on every run; only "now" varies. A member votes only while they are active (around their own posts), so
the members who went quiet stay quiet.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import click
from sqlalchemy import select

from . import search
from .cli import community_cli
from .dbtypes import stamping_at, utcnow
from .errors import Conflict, ServiceError, ValidationFailed
from .extensions import db
from .forum import services as forum
from .forum.models import Board, BoardKind, IdeaStatus, Post, Thread, Visibility
from .groups import services as groups
from .ideas.services import change_idea_status
from .members import passwords
from .members.models import Member, Role, email_key, username_key
from .members.services import normalise_email, register_member, update_profile
from .permissions import can_view_board
from .polls.services import cast_ballot, create_poll
from .qa.services import accept_answer
from .rewards.models import Reward
from .rewards.services import NotEnoughPoints, RewardInput, create_reward, redeem
from .search.backends import backend as search_backend
from .signals import member_registered
from .trust.services import MAX_LEVEL, record_read, record_visit, refresh_trust_level, set_trust_level
from .twofactor.services import save_requirement
from .votes.effects import apply_now as apply_vote_effects
from .votes.services import cast_vote

DEMO_PASSWORD = "demo-community-2026"
EMAIL_DOMAIN = "demo.example.com"
BOARDS_CREATED_DAYS_AGO = 90
VOTES_PER_MEMBER_PER_DAY = 8  # below the lowest trust level's daily allowance (VOTES_PER_DAY_BY_TRUST_LEVEL)


# ---- members -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoMember:
    username: str
    role: Role
    display_name: str
    bio: str
    joined_days_ago: float
    locale: str | None = None
    leader_by: str | None = None  # a staff member who made them a community leader (trust level 4, by hand)


# ---- boards --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoBoard:
    slug: str
    name: str
    description: str
    kind: BoardKind
    visibility: Visibility
    groups: tuple[str, ...] = ()  # for a `groups` board: the names of the groups that read it


@dataclass(frozen=True)
class DemoGroup:
    name: str
    name_zh: str
    description: str
    show_badge: bool
    members: tuple[str, ...]


# ---- threads -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoReply:
    author: str
    after_hours: float  # after the post before it in the thread
    body: str
    to: int | None = None  # the number of the post it answers (1 is the opening post)


@dataclass(frozen=True)
class DemoStatusChange:
    status: IdeaStatus
    post: int  # made by the author of this post (staff), at its time ...
    reason: str
    after_hours: float = 0.0  # ... moved by this much (negative: before it)


@dataclass(frozen=True)
class DemoPoll:
    question: str
    options: tuple[str, ...]
    multiple: bool = False


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
    status: IdeaStatus | None = None  # on idea boards: the status in the end ...
    status_history: tuple[DemoStatusChange, ...] = ()  # ... and the changes that led to it
    pinned: bool = False
    poll: DemoPoll | None = None


# ---- rewards -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoRedemption:
    member: str
    days_ago: float


@dataclass(frozen=True)
class DemoReward:
    name: str
    description: str
    kind: str
    cost: int
    stock: int
    redemptions: tuple[DemoRedemption, ...] = ()


# ---- the content ----------------------------------------------------------------------------------

CONTENT_PATH = Path(__file__).with_name("demo_content.json")


def _text(value) -> str:
    """A text of the content file: a string, or a list of lines (multi-line Markdown)."""
    return "\n".join(value) if isinstance(value, list) else value


def _thread(spec: dict) -> DemoThread:
    poll = spec.get("poll")
    return DemoThread(
        spec["board"], spec["author"], spec["days_ago"], spec["title"], _text(spec["body"]),
        tuple(DemoReply(reply["author"], reply["after_hours"], _text(reply["body"]), reply.get("to"))
              for reply in spec.get("replies", ())),
        tuple(spec.get("tags", ())), spec.get("accepted"),
        IdeaStatus(spec["status"]) if spec.get("status") else None,
        tuple(DemoStatusChange(IdeaStatus(change["status"]), change["post"], change.get("reason", ""),
                               change.get("after_hours", 0.0)) for change in spec.get("status_history", ())),
        bool(spec.get("pinned", False)),
        DemoPoll(poll["question"], tuple(poll["options"]), bool(poll.get("multiple"))) if poll else None)


def _read_content(path: Path = CONTENT_PATH):
    """Read the members, boards, threads and rewards of the demo from `path` (JSON)."""
    with path.open(encoding="utf-8") as file:
        content = json.load(file)
    members = tuple(DemoMember(spec["username"], Role(spec["role"]), spec["display_name"], spec["bio"],
                               spec["joined_days_ago"], spec.get("locale"), spec.get("leader_by"))
                    for spec in content["members"])
    boards = tuple(DemoBoard(spec["slug"], spec["name"], spec["description"], BoardKind(spec["kind"]),
                             Visibility(spec["visibility"]), tuple(spec.get("groups", ())))
                   for spec in content["boards"])
    group_specs = tuple(DemoGroup(spec["name"], spec.get("name_zh", ""), spec.get("description", ""),
                             bool(spec.get("show_badge")), tuple(spec.get("members", ())))
                   for spec in content.get("groups", ()))
    threads = tuple(_thread(spec) for spec in content["threads"])
    rewards = tuple(DemoReward(spec["name"], spec["description"], spec.get("kind", "gift"), spec["cost"],
                               spec["stock"], tuple(DemoRedemption(r["member"], r["days_ago"])
                                                    for r in spec.get("redemptions", ())))
                    for spec in content.get("rewards", ()))
    return members, boards, threads, rewards, group_specs


MEMBERS, BOARDS, THREADS, REWARDS, GROUPS = _read_content()


# ---- when everything happens -----------------------------------------------------------------------

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


@dataclass
class _Plan:
    """The times of the content: each thread's posts, each member's join and first and last post."""
    now: datetime
    times: dict[str, list[datetime]] = field(default_factory=dict)  # by thread title
    first_active: dict[str, datetime] = field(default_factory=dict)
    last_active: dict[str, datetime] = field(default_factory=dict)

    @classmethod
    def of(cls, now: datetime) -> _Plan:
        plan = cls(now)
        for spec in THREADS:
            times = plan.times[spec.title] = _timeline(spec, now)
            for author, when in zip([spec.author] + [reply.author for reply in spec.replies], times, strict=True):
                plan.first_active[author] = min(when, plan.first_active.get(author, when))
                plan.last_active[author] = max(when, plan.last_active.get(author, when))
        for reward in REWARDS:
            for redemption in reward.redemptions:
                when = now - timedelta(days=redemption.days_ago)
                plan.last_active[redemption.member] = max(when, plan.last_active.get(redemption.member, when))
        return plan

    def joined(self, spec: DemoMember) -> datetime:
        """Sign-up: as the content says, and in any case six hours before the member's first post."""
        joined = self.now - timedelta(days=spec.joined_days_ago)
        if spec.username in self.first_active:
            joined = min(joined, self.first_active[spec.username] - timedelta(hours=6))
        return joined

    def active_around(self, username: str, when: datetime) -> datetime | None:
        """The latest time the member could act on something that appeared at `when` (None: not around)."""
        first, last = self.first_active.get(username), self.last_active.get(username)
        if first is None or when < first - timedelta(days=3) or when > last + timedelta(days=1):
            return None
        return min(last + timedelta(days=1), self.now - timedelta(minutes=5))


# ---- loading -------------------------------------------------------------------------------------

@dataclass
class _Loaded:
    plan: _Plan
    members: dict[str, Member] = field(default_factory=dict)
    boards: dict[str, Board] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: {
        "boards": 0, "members": 0, "threads": 0, "posts": 0, "votes": 0, "poll ballots": 0, "redemptions": 0})
    new_members: set[str] = field(default_factory=set)
    events: list[tuple[datetime, int, object]] = field(default_factory=list)
    votes_by: dict[str, list[datetime]] = field(default_factory=dict)
    visits: set = field(default_factory=set)  # (member id, day) recorded
    read: dict = field(default_factory=dict)  # (member id, thread id): the last post number recorded as read

    def at(self, when: datetime, action) -> None:
        """Schedule `action` (no arguments) to run at `when`; same-time actions run in the order given."""
        self.events.append((when, len(self.events), action))


def seed(if_empty: bool, now: datetime | None = None) -> dict | None:
    """Load the demo community and return what was added; None when `if_empty` and boards exist.

    Flushes but never commits (the CLI command does). A second run reuses the members, boards and
    rewards it finds and skips threads that exist, so it adds nothing.
    """
    if if_empty and db.session.scalar(select(Board.id).limit(1)) is not None:
        return None
    now = now or utcnow()
    loaded = _Loaded(_Plan.of(now))
    try:
        _load_members(loaded)
        _load_boards(loaded, now)
        _load_groups(loaded)
        for spec in THREADS:
            _plan_thread(loaded, spec)
        _plan_rewards(loaded, now)
        for when, _order, action in sorted(loaded.events, key=lambda event: (event[0], event[1])):
            with stamping_at(when):
                action()
                db.session.flush()  # column defaults are stamped at flush: inside the block
    except ServiceError as exc:
        db.session.rollback()
        details = "; ".join(f"{name}: {message}" for name, message in exc.fields.items()) or str(exc.message)
        raise click.ClickException(f"Could not load the demo community ({details}). Nothing was saved.") from exc
    _settle_members(loaded)
    _settle_trust(loaded)
    if "admin" in loaded.new_members:
        # Every demo account shares a published password, so a second factor would protect nothing here and
        # would stop a trial at the enrolment page; an admin turns it back on at /admin/security.
        save_requirement(False, by=loaded.members["admin"])
    db.session.flush()
    return dict(loaded.counts)


def _email(username: str) -> str:
    return f"{username.replace('_', '.')}@{EMAIL_DOMAIN}"


def _load_members(loaded: _Loaded) -> None:
    for spec in MEMBERS:
        member = db.session.scalar(select(Member).where(Member.username_key == username_key(spec.username)))
        if member is None:
            with stamping_at(loaded.plan.joined(spec)):
                if spec.username in _RESERVED_DEMO_NAMES:
                    member = _register_reserved(spec)
                else:
                    member = register_member(spec.username, _email(spec.username), DEMO_PASSWORD, role=spec.role,
                                             locale=spec.locale, display_name=spec.display_name)
                update_profile(member, display_name=spec.display_name, bio=spec.bio, locale=spec.locale)
                db.session.flush()
            loaded.new_members.add(spec.username)
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
                    role=spec.role, locale=spec.locale, display_name=spec.display_name, created_at=utcnow())
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


def _load_groups(loaded: _Loaded) -> None:
    """Make the demo's groups (reused when they exist), put their members in, give them their boards."""
    found = {}
    for spec in GROUPS:
        group = groups.find_group(spec.name)
        if group is None:
            group = groups.create_group(None, {"name": spec.name, "name_zh": spec.name_zh,
                                               "description": spec.description, "show_badge": spec.show_badge})
            groups.add_members(None, group, list(spec.members))
        found[spec.name] = group
    for spec in BOARDS:
        if spec.groups:
            groups.set_board_groups(None, loaded.boards[spec.slug], [found[name] for name in spec.groups],
                                    announce=False)


# ---- a thread and everything that happens in it -------------------------------------------------------

def _read(loaded: _Loaded, member: Member, thread: Thread, last_number: int) -> None:
    """The member came by and read the thread up to `last_number` (what trust levels count).

    Only what is new is recorded (the services would count nothing twice either; this spares the statements).
    """
    day = utcnow().date()
    if (member.id, day) not in loaded.visits:
        loaded.visits.add((member.id, day))
        record_visit(member)
    if loaded.read.get((member.id, thread.id), 0) < last_number:
        loaded.read[(member.id, thread.id)] = last_number
        record_read(member, thread.id, last_number)


def _plan_thread(loaded: _Loaded, spec: DemoThread) -> None:
    """Schedule the thread's start, replies, poll, ballots, votes, accepted answer and status changes."""
    board = loaded.boards[spec.board]
    if db.session.scalar(select(Thread.id).where(Thread.board_id == board.id, Thread.title == spec.title)):
        return
    times = loaded.plan.times[spec.title]
    authors = [spec.author] + [reply.author for reply in spec.replies]
    rng = random.Random(f"acme-demo:{spec.title}")  # the same votes and ballots on every run
    state: dict = {"posts": []}

    def start():
        author = loaded.members[spec.author]
        thread = state["thread"] = forum.start_thread(author, board, spec.title, spec.body, tags=list(spec.tags))
        state["posts"].append(db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1)))
        if spec.pinned:
            thread.pinned_at, thread.pinned_globally = times[0], True
        if spec.poll is not None:
            state["poll"] = create_poll(author, thread, spec.poll.question, list(spec.poll.options),
                                        multiple=spec.poll.multiple)
        _read(loaded, author, thread, 1)
        loaded.counts["threads"] += 1
        loaded.counts["posts"] += 1

    def answer(reply_spec: DemoReply):
        def run():
            posts = state["posts"]
            reply_to = posts[reply_spec.to - 1] if reply_spec.to else None
            author = loaded.members[reply_spec.author]
            posts.append(forum.reply(author, state["thread"], reply_spec.body, reply_to=reply_to))
            _read(loaded, author, state["thread"], len(posts))
            loaded.counts["posts"] += 1
        return run

    loaded.at(times[0], start)
    for reply_spec, when in zip(spec.replies, times[1:], strict=True):
        loaded.at(when, answer(reply_spec))
    for number, (author, when) in enumerate(zip(authors, times, strict=True), 1):
        _plan_votes(loaded, spec, board, state, number, author, when, rng)
    if spec.poll is not None:
        _plan_ballots(loaded, spec, board, state, times[0], rng)
    if spec.accepted:
        _plan_acceptance(loaded, spec, state, authors, times)
    for change in spec.status_history:
        by = authors[change.post - 1]
        when = times[change.post - 1] + timedelta(hours=change.after_hours)

        def set_status(change=change, by=by):
            change_idea_status(loaded.members[by], state["thread"], change.status, change.reason)
        loaded.at(when, set_status)


def _plan_votes(loaded: _Loaded, spec: DemoThread, board: Board, state: dict, number: int, author: str,
                posted: datetime, rng: random.Random) -> None:
    """Upvotes (and the odd downvote) on one post from members active at the time, a little after it."""
    staff = loaded.members[author].is_staff
    if number == 1:
        wanted = rng.randint(4, 10) if board.kind is BoardKind.idea else rng.choice((0, 1, 1, 2, 3, 4))
    elif number == spec.accepted:
        wanted = rng.randint(3, 7)
    else:
        wanted = rng.choice((1, 2, 2, 3)) if staff else rng.choice((0, 0, 0, 1, 1, 2, 3))
    downvote = number > 1 and not staff and rng.random() < 0.06
    voters = [name for name, member in loaded.members.items()
              if name != author and can_view_board(member, board)
              and loaded.plan.active_around(name, posted) is not None]
    rng.shuffle(voters)
    chosen = [(name, 1) for name in voters[:wanted]]
    if downvote and len(voters) > wanted:
        chosen.append((voters[wanted], -1))
    for name, value in chosen:
        latest = loaded.plan.active_around(name, posted)
        when = min(posted + timedelta(hours=rng.uniform(0.3, 60)), latest)
        recent = loaded.votes_by.setdefault(name, [])
        if when <= posted or sum(abs((when - other).total_seconds()) < 86400 for other in recent) \
                >= VOTES_PER_MEMBER_PER_DAY:
            continue
        recent.append(when)

        def vote(name=name, value=value):
            voter, post = loaded.members[name], state["posts"][number - 1]
            cast_vote(voter, post, value)
            apply_vote_effects()  # what the drain after a vote's commit does (the demo commits once, at the end)
            _read(loaded, voter, state["thread"], len(state["posts"]))
            loaded.counts["votes"] += 1
        loaded.at(when, vote)


def _plan_ballots(loaded: _Loaded, spec: DemoThread, board: Board, state: dict, started: datetime,
                  rng: random.Random) -> None:
    """Ballots from most members who were around in the days after the poll was opened."""
    weights = [rng.uniform(0.5, 4) for _option in spec.poll.options]
    for name, member in loaded.members.items():
        latest = loaded.plan.active_around(name, started)
        if latest is None or not can_view_board(member, board) or rng.random() < 0.15:
            continue
        when = min(started + timedelta(hours=rng.uniform(0.5, 96)), latest)
        if when <= started:
            continue
        picks = {rng.choices(range(len(weights)), weights)[0]
                 for _pick in range(rng.choice((1, 2)) if spec.poll.multiple else 1)}

        def ballot(member=member, picks=picks):
            poll = state["poll"]
            options = sorted(poll.options, key=lambda option: option.position)
            cast_ballot(member, poll, [options[index].id for index in sorted(picks)])
            _read(loaded, member, state["thread"], len(state["posts"]))
            loaded.counts["poll ballots"] += 1
        loaded.at(when, ballot)


def _plan_acceptance(loaded: _Loaded, spec: DemoThread, state: dict, authors: list[str],
                     times: list[datetime]) -> None:
    """The asker accepts the answer when they next post after it, or two hours after it."""
    answered = times[spec.accepted - 1]
    later = [when for author, when in zip(authors[spec.accepted:], times[spec.accepted:], strict=True) if author == spec.author]
    when = min(later[0] if later else answered + timedelta(hours=2), loaded.plan.now - timedelta(minutes=5))

    def accept():
        accept_answer(loaded.members[spec.author], state["posts"][spec.accepted - 1])
    loaded.at(max(when, answered), accept)


def _plan_rewards(loaded: _Loaded, now: datetime) -> None:
    """Staff offer the rewards from the start; members redeem them when the content says, if they have the points."""
    names = set(db.session.scalars(select(Reward.name).where(Reward.name.in_([r.name for r in REWARDS]))))
    offered = now - timedelta(days=BOARDS_CREATED_DAYS_AGO - 1)
    for spec in REWARDS:
        if spec.name in names:
            continue
        state: dict = {}

        def offer(spec=spec, state=state):
            state["reward"] = create_reward(loaded.members["acme_grace"], RewardInput(
                name=spec.name, description=spec.description, kind=spec.kind, cost=spec.cost, stock=spec.stock))
        loaded.at(offered, offer)
        for redemption in spec.redemptions:
            def claim(redemption=redemption, state=state):
                try:
                    with db.session.begin_nested():
                        redeem(loaded.members[redemption.member], state["reward"].id)
                except NotEnoughPoints:
                    return  # the votes of this run did not earn them enough: no redemption, no harm
                loaded.counts["redemptions"] += 1
            loaded.at(now - timedelta(days=redemption.days_ago), claim)


def _settle_members(loaded: _Loaded) -> None:
    """The new members' last visit: their last post or redemption (the services do not track visits)."""
    for username in loaded.new_members:
        member = loaded.members[username]
        member.last_seen_at = loaded.plan.last_active.get(username, member.created_at)


def _settle_trust(loaded: _Loaded) -> None:
    """Run the real trust re-evaluation (`flask community trust recompute`) over the demo members, each at
    their last activity: the levels their ninety days earn (level 3 too, when the recent visits suffice),
    so a fresh demo can flag, edit and retag as the docs say."""
    for username, member in loaded.members.items():
        with stamping_at(loaded.plan.last_active.get(username, member.created_at)):
            refresh_trust_level(member)
            db.session.flush()
    # Level 3 asks for 50 of the last 100 days visited and 500 posts read, more than a demo of ninety days and
    # some two hundred posts can earn; as brands do (and Discourse's level 4), staff appoint a leader by hand.
    for spec in MEMBERS:
        if spec.leader_by:
            with stamping_at(loaded.plan.last_active.get(spec.username, loaded.plan.now)):
                set_trust_level(loaded.members[spec.leader_by], loaded.members[spec.username], MAX_LEVEL)
                db.session.flush()


@community_cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has boards already.")
def seed_demo(if_empty: bool) -> None:
    """Load a bilingual demo community: boards of every kind and visibility, members, threads, replies."""
    summary = seed(if_empty=if_empty)
    if summary is None:
        click.echo("The community has content already; nothing loaded.")
        return
    db.session.commit()
    # On a fresh install the index did not exist when the first post was written: the writer's rebuild could
    # read the database before the demo's commit. Let the queue settle, then index everything once (seconds).
    search.wait(120.0)
    indexed = search_backend().reindex()
    click.echo("Loaded demo content: " + ", ".join(f"{count} {name}" for name, count in summary.items()) + ".")
    click.echo(f"Indexed {indexed} posts for search.")
