"""Every permission decision, as named predicates `can_<verb>(member, obj) -> bool`.

Views, templates, the API, socket handlers and search filtering all ask here; nothing else decides.
`member` may be the anonymous user. Something a visitor may not see must answer 404, not 403: the
views use `can_view_*` to decide between the two.
"""
from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from flask import current_app, g, has_app_context
from sqlalchemy import and_, bindparam, or_, select, true

from . import settings as site_settings
from .dbtypes import utcnow
from .extensions import db
from .forum.models import Board, BoardKind, Post, StartPolicy, Thread, Visibility
from .groups.models import BoardGroup, GroupMember
from .members.models import Role


def _signed_in(member) -> bool:
    return bool(member is not None and getattr(member, "is_authenticated", False))


def _role(member) -> Role | None:
    return member.role if _signed_in(member) else None


def readable_visibilities(member) -> tuple[Visibility, ...]:
    """Return the board visibilities this member may read (also used to filter SQL queries)."""
    role = _role(member)
    if role is None:
        return (Visibility.public,)
    if role in (Role.staff, Role.admin):
        return (Visibility.public, Visibility.members, Visibility.staff, Visibility.groups)
    return (Visibility.public, Visibility.members)


def _group_boards_select(member_id: int):
    """SQL: the ids of the boards the member reads through one of their groups."""
    return (select(BoardGroup.board_id).join(GroupMember, GroupMember.group_id == BoardGroup.group_id)
            .where(GroupMember.member_id == member_id))


def group_board_ids(member) -> frozenset:
    """Return the ids of the group-visible boards `member` reads through a group (not staff: they read all).

    One query per member and app context (a request, a socket event, a mail pass); the groups area drops
    the cache when a membership or a board's groups change (`community.groups.forget_cached`).
    """
    if not _signed_in(member) or is_staff(member):
        return frozenset()
    cache = g.setdefault("_group_board_ids", {}) if has_app_context() else {}
    found = cache.get(member.id)
    if found is None:
        found = cache[member.id] = frozenset(db.session.scalars(_group_boards_select(member.id)))
    return found


def _board_clause(visibilities: tuple, by_groups: bool, member_id):
    clause = Board.visibility.in_(visibilities)
    if by_groups:
        clause = or_(clause, and_(Board.visibility == Visibility.groups,
                                  Board.id.in_(_group_boards_select(member_id))))
    return clause


def readable_board_shape(member) -> tuple:
    """What `readable_board_clause(member)` is built from besides the member's id: its visibilities, and whether
    it adds the boards read through a group. Statements built once per shape take the id as `member_id`."""
    visibilities = readable_visibilities(member)
    return visibilities, _signed_in(member) and Visibility.groups not in visibilities


def readable_board_clause(member):
    """SQL: the boards `member` may read (what `can_view_board` answers, for lists, search, mails, the API)."""
    return _board_clause(*readable_board_shape(member), getattr(member, "id", None))


@lru_cache(maxsize=8)
def readable_board_bound_clause(visibilities: tuple, by_groups: bool):
    """SQL: `readable_board_clause` of a member of this shape (`readable_board_shape`), their id bound as
    `member_id`: built once per shape and process (a signed-in page asks it for its Boards menu and header)."""
    return _board_clause(visibilities, by_groups, bindparam("member_id"))


def is_moderator(member) -> bool:
    """Moderators and admins moderate; staff (brand employees) answer but do not moderate by role."""
    return _role(member) in (Role.moderator, Role.admin)


def is_staff(member) -> bool:
    return _role(member) in (Role.staff, Role.admin)


def can_view_board(member, board: Board) -> bool:
    """Read a board: by its visibility; a `groups` board by staff and the members of its groups."""
    if board.visibility in readable_visibilities(member):
        return True
    return board.visibility is Visibility.groups and board.id in group_board_ids(member)


def can_start_thread(member, board: Board) -> bool:
    """Start a thread: a reader of a live board, as the board's kind and start policy allow (set by admins)."""
    if not _signed_in(member) or not can_view_board(member, board) or is_silenced(member):
        return False
    if getattr(board, "archived_at", None) is not None:
        return False
    if board.kind is BoardKind.announcement:
        return is_staff(member)
    policy = getattr(board, "start_policy", None) or StartPolicy.members
    if policy is StartPolicy.staff:
        return is_staff(member)
    if policy is StartPolicy.trust:
        return is_staff(member) or is_moderator(member) or trust_level_of(member) >= (board.start_min_trust or 0)
    return True


def can_moderate(member, board: Board) -> bool:
    return is_moderator(member) and can_view_board(member, board)


def can_view_thread(member, thread: Thread) -> bool:
    if not can_view_board(member, thread.board):
        return False
    if thread.hidden_at is not None or thread.pending:  # moderation: its author still sees it, marked
        if not (_signed_in(member) and thread.author_id == member.id) and not can_moderate(member, thread.board):
            return False
    return not thread.is_deleted or can_moderate(member, thread.board)


def can_reply(member, thread: Thread) -> bool:
    if not _signed_in(member) or thread.is_deleted or not can_view_thread(member, thread) or is_silenced(member):
        return False
    if getattr(thread.board, "archived_at", None) is not None:  # an archived board is read-only
        return False
    return not thread.is_locked or can_moderate(member, thread.board)


def can_view_post(member, post: Post) -> bool:
    """Whether the post's content may be shown (a deleted post leaves a marker for others)."""
    if not can_view_thread(member, post.thread):
        return False
    if post.is_whisper and not can_see_whispers(member):
        return False
    if post.hidden_at is not None or post.pending:  # moderation: its author still sees it, marked
        if not _is_author(member, post) and not can_moderate(member, post.thread.board):
            return False
    return not post.is_deleted or can_moderate(member, post.thread.board)


def can_locate_post(member, post: Post) -> bool:
    """Whether the thread page shows `post` or its marker (deleted, hidden) to `member`.

    What permalinks (/p/<id>), live fragments and live catch-ups go by: a whisper or a post awaiting
    approval that the reader may not see does not exist for them, not even as an id.
    """
    if not can_view_thread(member, post.thread):
        return False
    return can_view_post(member, post) or not (post.is_whisper or post.pending)


def _is_author(member, post: Post) -> bool:
    return _signed_in(member) and post.author_id == member.id


def can_edit_post(member, post: Post, now=None) -> bool:
    if not _signed_in(member) or not can_view_thread(member, post.thread):
        return False
    if can_moderate(member, post.thread.board):
        return True
    if not _is_author(member, post) or post.is_deleted or post.thread.is_deleted:
        return False
    window = timedelta(minutes=current_app.config["EDIT_WINDOW_MINUTES"])
    return (now or utcnow()) - post.created_at <= window


def can_delete_post(member, post: Post) -> bool:
    if post.is_deleted or not can_view_thread(member, post.thread):
        return False
    return _is_author(member, post) or can_moderate(member, post.thread.board)


def can_view_history(member, post: Post) -> bool:
    return can_view_post(member, post)


def can_see_source(member, *, thread: Thread | None = None, post: Post | None = None) -> bool:
    """May `member` see, now, the content a derived row (an excerpt, a notification, a log line) came from?

    Asked at read time by every channel that shows something derived from a post or thread (My data's
    timeline and notifications, ...), so a thread moved to a staff board, a whisper, a hidden or
    deleted post stops showing through them at once. A row derived from no content passes.
    """
    if post is not None:
        return can_view_post(member, post)
    if thread is not None:
        return can_view_thread(member, thread)
    return True


def visible_derived(member, rows) -> list:
    """Keep the rows (with `thread` and `post` attributes, either may be None) whose source `member` may see."""
    return [row for row in rows if can_see_source(member, thread=getattr(row, "thread", None),
                                                  post=getattr(row, "post", None))]


# ---- notifications and ideas ----------------------------------------------------------------

def can_follow_thread(member, thread: Thread) -> bool:
    """Signed-in readers may follow (and unfollow) a thread to hear of its replies and changes."""
    return _signed_in(member) and not thread.is_deleted and can_view_thread(member, thread)


def can_change_idea_status(member, thread: Thread) -> bool:
    """Only staff (and admins) set the public status of an idea they can see."""
    return (is_staff(member) and thread.board.kind is BoardKind.idea and not thread.is_deleted
            and can_view_thread(member, thread))


# ---- polls ---------------------------------------------------------------------------------------
# A poll lives on a thread: who may see the thread may see the poll's question and options.

def can_add_poll(member, thread: Thread) -> bool:
    """The thread's author (while it is open) or a moderator may attach a poll; one per thread."""
    if not _signed_in(member) or thread.is_deleted or not can_view_thread(member, thread):
        return False
    if can_moderate(member, thread.board):
        return True
    return thread.author_id == member.id and not thread.is_locked


def can_hide_poll_results(member) -> bool:
    """Only staff may hide a poll's results until it closes (a brand survey, not a member's whim)."""
    return is_staff(member)


def can_vote_in_poll(member, poll, now=None) -> bool:
    """Members who see the thread vote until the poll closes; deleted or locked threads freeze it."""
    thread = poll.thread
    if not _signed_in(member) or thread.is_deleted or not can_view_thread(member, thread):
        return False
    return not poll.is_closed(now) and not thread.is_locked


def can_see_poll_results(member, poll, voted: bool, now=None) -> bool:
    """Counts show after the poll closed, or to a member who voted unless staff hid them until close.

    Hidden means hidden for everyone, staff included: the promise to voters is checkable, and whoever
    needs the numbers early can close the poll.
    """
    if not can_view_thread(member, poll.thread):
        return False
    if poll.is_closed(now):
        return True
    if poll.results_hidden_until_close:
        return False
    return _signed_in(member) and bool(voted)


def can_close_poll(member, poll, now=None) -> bool:
    """The thread's author or a moderator may close an open poll early."""
    thread = poll.thread
    if poll.is_closed(now) or not _signed_in(member) or thread.is_deleted or not can_view_thread(member, thread):
        return False
    return thread.author_id == member.id or can_moderate(member, thread.board)


# ---- votes ------------------------------------------------------------------------------------
# Like Discourse's likes: any signed-in reader may vote on others' live posts, also in threads
# closed to replies (closing stops the conversation, not the judgement of it); deleted posts and
# deleted threads take no votes.

def can_vote(member, post) -> bool:
    """Whether `member` may vote on (or change or retract a vote on) `post`."""
    if not _signed_in(member) or post.is_deleted or post.thread.is_deleted:
        return False
    if post.author_id == member.id or not can_view_post(member, post):
        return False
    return True


# ---- qa (accepted answers) --------------------------------------------------------------------
# As in discourse-solved: the asker chooses while the thread is open; moderators always may.

def can_choose_answer(member, thread) -> bool:
    """Whether `member` may mark or clear the accepted answer of `thread` (a question)."""
    if not _signed_in(member) or thread.board.kind is not BoardKind.question or thread.is_deleted:
        return False
    if not can_view_thread(member, thread):
        return False
    if can_moderate(member, thread.board):
        return True
    return thread.author_id == member.id and not thread.is_locked


def can_accept_answer(member, post) -> bool:
    """Whether `member` may mark `post` as the accepted answer: a live public reply, never the question.

    Never a whisper or a post awaiting approval: the thread shows its answer (and its id) to every reader.
    """
    if post.is_opening or post.is_deleted or post.is_whisper or post.pending:
        return False
    return can_choose_answer(member, post.thread)


# ---- trust levels (community/trust) ---------------------------------------------------------
# Privileges that members earn with their trust level (0-4); the thresholds are settings
# (documented in community/trust/__init__.py). Moderators have every one of them by role.

def trust_level_of(member) -> int:
    """Return the member's trust level; guests are below every level (-1)."""
    return (getattr(member, "trust_level", 0) or 0) if _signed_in(member) else -1


def _per_level(setting: str, member, default=None):
    """Look up `member`'s level in a {level: value} setting (keys may be strings when set from JSON)."""
    table = current_app.config.get(setting) or {}
    level = trust_level_of(member)
    return table.get(level, table.get(str(level), default))


def _has_level(member, setting: str, default: int) -> bool:
    return _signed_in(member) and trust_level_of(member) >= int(current_app.config.get(setting, default))


def is_posting_unlimited(member) -> bool:
    """Moderators and staff are never held to the new-member posting limits."""
    return is_moderator(member) or is_staff(member)


def post_content_limits(member) -> dict:
    """Return the most links, images and @mentions one post may carry ({} when there is no limit)."""
    if is_posting_unlimited(member):
        return {}
    return dict(_per_level("TRUST_POST_CONTENT_LIMITS", member, {}) or {})


def daily_post_limit(member) -> int | None:
    """Return how many posts the member may write in 24 hours, or None for no limit."""
    if is_posting_unlimited(member):
        return None
    limit = _per_level("TRUST_POSTS_PER_DAY", member)
    return int(limit) if limit is not None else None


def can_flag(member, post: Post) -> bool:
    """Flag a post for moderators: from trust level 1 (moderators and staff always), never one's own."""
    if not _signed_in(member) or _is_author(member, post) or not can_view_post(member, post):
        return False
    return is_moderator(member) or is_staff(member) or _has_level(member, "TRUST_FLAG_MIN_LEVEL", 1)


def flag_weight(member) -> float:
    """Return how much one flag by `member` counts (regulars' flags count more; moderators' most)."""
    if not _signed_in(member):
        return 0.0
    table = current_app.config.get("TRUST_FLAG_WEIGHTS") or {}
    weights = {int(level): float(weight) for level, weight in table.items()}
    if is_moderator(member) or is_staff(member):
        return max([1.0, *weights.values()])
    eligible = [weight for level, weight in weights.items() if level <= trust_level_of(member)]
    return max(eligible) if eligible else 1.0


def _thread_tool(member, thread: Thread, setting: str, default: int) -> bool:
    if not _signed_in(member) or thread.is_deleted or not can_view_thread(member, thread):
        return False
    return can_moderate(member, thread.board) or _has_level(member, setting, default)


def can_retag(member, thread: Thread) -> bool:
    """Change a thread's tags: trust level 3 and moderators."""
    return _thread_tool(member, thread, "TRUST_RETAG_MIN_LEVEL", 3)


def can_recategorize(member, thread: Thread) -> bool:
    """Move a thread to another board: trust level 3 and moderators."""
    return _thread_tool(member, thread, "TRUST_RECATEGORIZE_MIN_LEVEL", 3)


def can_move_thread_to(member, thread: Thread, board: Board) -> bool:
    """Move `thread` into `board`: only a board the member can see and may start threads in."""
    return (board.id != thread.board_id and can_recategorize(member, thread)
            and can_start_thread(member, board))


def can_lock_thread(member, thread: Thread) -> bool:
    """Close a thread to replies, or reopen it: trust level 4 and moderators."""
    return _thread_tool(member, thread, "TRUST_LOCK_MIN_LEVEL", 4)


def can_pin_thread(member, thread: Thread) -> bool:
    """Pin a thread to the top of its board, or unpin it: trust level 4 and moderators."""
    return _thread_tool(member, thread, "TRUST_PIN_MIN_LEVEL", 4)


def can_use_thread_tools(member, thread: Thread) -> bool:
    """Whether to show the thread tools menu at all."""
    return (can_retag(member, thread) or can_recategorize(member, thread) or can_lock_thread(member, thread)
            or can_pin_thread(member, thread))


def can_set_trust_level(member, target) -> bool:
    """Set a member's trust level by hand (and lock it): staff and admins; staff not their own (`can_grant_to`)."""
    return can_grant_to(member, target)


def can_see_trust_progress(member, target) -> bool:
    """See what a member still needs for the next level: the member themself, and staff."""
    return _signed_in(member) and target is not None and (member.id == target.id or is_staff(member))


# ---- reputation, badges and rewards ------------------------------------------------------------

def can_view_reputation_history(member, target) -> bool:
    """Read a member's reputation ledger: the member themself, and staff."""
    return _signed_in(member) and target is not None and (member.id == target.id or is_staff(member))


def can_grant_to(member, target) -> bool:
    """Give `target` points, badges or a role by hand: staff and admins, never staff to themselves.

    An admin may grant to themselves (the grant is recorded with them as its actor, like any other).
    """
    if not is_staff(member) or target is None:
        return False
    return member.id != target.id or _role(member) is Role.admin


def can_adjust_reputation(member, target) -> bool:
    """Move a member's reputation by hand, with a reason: staff, not on themselves."""
    return is_staff(member) and target is not None and member.id != target.id


def can_manage_rewards(member) -> bool:
    """Define rewards, add coupon codes, handle redemptions and grant points: staff and admins."""
    return is_staff(member)


def can_redeem_reward(member, reward) -> bool:
    """Spend points on a reward: any signed-in member, while the reward is offered."""
    return _signed_in(member) and reward is not None and bool(reward.active)


# ---- moderation (community/moderation) ---------------------------------------------------------
# Moderators and admins moderate the boards they can read; staff see whispers. Moderators may not act
# on admins (nor on other moderators); admins act on everyone but themselves.

def is_silenced(member, now=None) -> bool:
    """Whether `member` is silenced now (may read, may not post)."""
    until = getattr(member, "silenced_until", None) if _signed_in(member) else None
    return until is not None and until > (now or utcnow())


def is_suspended(member, now=None) -> bool:
    """Whether `member` is suspended now (may not sign in)."""
    until = getattr(member, "suspended_until", None)
    return until is not None and until > (now or utcnow())


def can_see_whispers(member) -> bool:
    """Staff-only whispers: staff and moderators read and write them."""
    return is_staff(member) or is_moderator(member)


def can_whisper(member, thread: Thread) -> bool:
    """Write a whisper in `thread` (also in a closed one)."""
    return (can_see_whispers(member) and not thread.is_deleted and can_view_thread(member, thread)
            and not is_silenced(member))


def can_review(member) -> bool:
    """Open the review queue and the moderation log."""
    return is_moderator(member)


def can_moderate_post(member, post: Post) -> bool:
    """Hide, unhide, restore, approve or reject `post`, and resolve its flags."""
    return can_moderate(member, post.thread.board)


def can_restore_post(member, post: Post) -> bool:
    """Undo a soft delete."""
    return post.is_deleted and can_moderate(member, post.thread.board)


def can_report_member(member, target) -> bool:
    """Report a member to the moderators: who may flag posts may report members, never themselves."""
    if not _signed_in(member) or target is None or target.id == member.id:
        return False
    return is_moderator(member) or is_staff(member) or _has_level(member, "TRUST_FLAG_MIN_LEVEL", 1)


def can_act_on_member(member, target) -> bool:
    """Silence, suspend or lift either: moderators on members and staff; admins on anyone but themselves."""
    if not is_moderator(member) or target is None or target.id == member.id:
        return False
    if member.role is Role.admin:
        return True
    return target.role not in (Role.admin, Role.moderator)


def can_merge_threads(member, source: Thread, target: Thread) -> bool:
    """Merge `source` into `target`: a moderator of both boards, two different live threads."""
    return (source.id != target.id and not source.is_deleted and not target.is_deleted
            and can_moderate(member, source.board) and can_moderate(member, target.board))


def can_split_thread(member, thread: Thread) -> bool:
    """Move some of a thread's replies into a new thread."""
    return not thread.is_deleted and can_moderate(member, thread.board)


def can_pin_globally(member, thread: Thread) -> bool:
    """Pin a thread on top of every list (latest, home), not just its board: moderators."""
    return not thread.is_deleted and can_moderate(member, thread.board)


def can_view_moderation_log(member) -> bool:
    return is_moderator(member)


def can_view_log_subject(member, entry) -> bool:
    """Whether a moderation-log line may show its subject (thread title, post, reason, notes) to `member`.

    Asked at read time: the thread may have moved to a board the reader cannot see since the line was
    written. A line whose subject is withheld still says who did what and when.
    """
    if (entry.thread_id is not None and entry.thread is None) or (entry.post_id is not None and entry.post is None):
        return False  # its source is gone: nothing to check the reason against
    return can_see_source(member, thread=entry.thread, post=entry.post)


def public_thread_clause():
    """SQL: threads that everyone who can read the board sees (not deleted, hidden or pending)."""
    return and_(Thread.deleted_at.is_(None), Thread.hidden_at.is_(None), Thread.pending.is_(False))


def public_post_clause():
    """SQL: posts that everyone who can read the thread sees (not deleted, hidden, pending or whispers)."""
    return and_(Post.deleted_at.is_(None), Post.hidden_at.is_(None), Post.pending.is_(False),
                Post.is_whisper.is_(False))


def visible_post_clause(member):
    """SQL: the posts `member` may read in threads they can see (search, lists of posts, the API)."""
    shape = visible_post_shape(member)
    return true() if shape is None else _visible_post_clause(*shape, getattr(member, "id", None))


def visible_post_shape(member) -> tuple | None:
    """What `visible_post_clause(member)` is built from besides the member's id: whether they see whispers and
    are signed in (None: a moderator, who sees every post). Statements built once per shape bind `member_id`."""
    if is_moderator(member):
        return None
    return can_see_whispers(member), _signed_in(member)


@lru_cache(maxsize=8)
def visible_post_bound_clause(whispers: bool, signed_in: bool):
    """SQL: `visible_post_clause` of a member of this shape (`visible_post_shape`), their id bound as `member_id`:
    built once per shape and process (every thread page a member reads asks it)."""
    return _visible_post_clause(whispers, signed_in, bindparam("member_id"))


def _visible_post_clause(whispers: bool, signed_in: bool, member_id):
    clause = public_post_clause()
    if whispers:
        clause = or_(clause, and_(Post.is_whisper.is_(True), Post.deleted_at.is_(None), Post.hidden_at.is_(None)))
    if signed_in:
        clause = or_(clause, and_(Post.author_id == member_id, Post.deleted_at.is_(None)))
    return clause


# ---- realtime ----------------------------------------------------------------------------------

def can_see_staff_counters(member) -> bool:
    """See the live staff counters (unanswered questions, review queue): staff, moderators, admins."""
    return is_staff(member) or is_moderator(member)


def can_view_notification(member, notification) -> bool:
    """Show one of `member`'s notifications only while they may still see what it is about (read time)."""
    if not _signed_in(member) or notification.member_id != member.id:
        return False
    return can_see_source(member, thread=notification.thread, post=notification.post)


def can_see_moderation_live(member, thread: Thread) -> bool:
    """Hear live of a thread's posts held for moderation (awaiting approval, hidden): its moderators."""
    return can_view_thread(member, thread) and can_moderate(member, thread.board)


def can_see_restricted_live(member, thread: Thread) -> bool:
    """Hear live of a thread's whispers: staff and its moderators (posts awaiting approval: `can_see_moderation_live`)."""
    return can_view_thread(member, thread) and (is_staff(member) or can_moderate(member, thread.board))


def can_manage_api_keys(member) -> bool:
    """Create, list and revoke admin API keys (integrations acting as a chosen member): admins."""
    return _role(member) is Role.admin


def can_revoke_token(member, token) -> bool:
    """Revoke an API token: its own member (sign-in and personal tokens), and admins (any token)."""
    if not _signed_in(member) or token is None:
        return False
    return (token.member_id == member.id and token.kind.value != "key") or can_manage_api_keys(member)


def can_register_through_api(member) -> bool:
    """Create an account through POST /api/v1/members: guests, while API_REGISTRATION_ENABLED is on."""
    return not _signed_in(member) and bool(current_app.config.get("API_REGISTRATION_ENABLED", True))


# ---- mail ---------------------------------------------------------------------------------------

def can_manage_mail(member) -> bool:
    """The mail settings and the outbox (which holds members' links) are for admins only."""
    return _role(member) is Role.admin


# ---- administration (community/admin) -------------------------------------------------------------
# The admin area is for admins; staff see the sections meant for them (members' roles below admin).
# Each section of /admin names one of these predicates (community/admin/sections.py).

def is_admin(member) -> bool:
    return _role(member) is Role.admin


def can_administer(member) -> bool:
    """Open /admin at all: admins, and staff (who see only the sections meant for them)."""
    return is_staff(member)


def can_manage_boards(member) -> bool:
    """Create, edit, reorder, archive and delete boards: admins."""
    return is_admin(member)


def can_manage_gamification(member) -> bool:
    """Change points per action, badges and idea status labels (/admin/gamification): admins."""
    return is_admin(member)


def can_manage_site_settings(member) -> bool:
    """Change the site settings and branding (name, logo, colours, terms ...): admins."""
    return is_admin(member)


def can_manage_sign_in(member) -> bool:
    """Configure single sign-on providers and the sign-in options (/admin/sign-in): admins."""
    return is_admin(member)


def can_manage_members(member) -> bool:
    """Open the members admin (search members, see roles): staff and admins."""
    return is_staff(member)


# Roles staff may hand out or take back; admins may set any role.
STAFF_ASSIGNABLE_ROLES = (Role.member, Role.moderator)


def can_set_role(member, target, role=None) -> bool:
    """Change `target`'s role (to `role`, when given): admins on anyone; staff between member and moderator
    on members and moderators. Nobody but an admin changes their own role (the last admin may not step down:
    the service checks that, it needs a count)."""
    if not is_staff(member) or target is None:
        return False
    if is_admin(member):
        return True
    if target.id == member.id:
        return False
    if target.role not in STAFF_ASSIGNABLE_ROLES:
        return False
    return role is None or Role(role) in STAFF_ASSIGNABLE_ROLES


def can_use_admin_api(member) -> bool:
    """The /api/v1/admin routes (boards, roles): admins (and their tokens need the admin scope)."""
    return is_admin(member)


def can_manage_groups(member) -> bool:
    """Create, edit and delete groups of members and change who is in them: staff and admins."""
    return is_staff(member)


def can_view_sign_ins(member, target) -> bool:
    """See a member's sign-in history (time, address, browser): staff, and the member themself."""
    return _signed_in(member) and target is not None and (member.id == target.id or is_staff(member))


def can_resend_verification(member, target) -> bool:
    """Send a member a new verification link from the admin: staff, for an unverified live account."""
    return (is_staff(member) and target is not None and target.deleted_at is None
            and target.email_verified_at is None)
# ---- registration (community/members/registration.py, community/admin/registration.py) -----------

def can_configure_registration(member) -> bool:
    """Set the registration mode and the email domain lists: admins."""
    return is_admin(member)


def can_manage_invites(member) -> bool:
    """Create, list and revoke invitation links: staff and admins."""
    return is_staff(member)


def can_review_registrations(member) -> bool:
    """Approve or reject accounts waiting in the approval queue: staff and admins.

    Moderators look after content on boards; who joins the community is the brand's staff's decision
    (Discourse lets moderators approve too; here the queue sits beside invitations, which are staff's)."""
    return is_staff(member)


# ---- uploads (community/uploads): who may upload, and the board's say ------------------------------

def _upload_setting(key: str):
    return site_settings.get(key)  # the uploads area declares these keys


def can_upload_images(member) -> bool:
    """Upload pictures: members from the admins' trust level up (moderators and staff always), not silenced."""
    if not _signed_in(member) or is_silenced(member):
        return False
    return is_staff(member) or is_moderator(member) or trust_level_of(member) >= _upload_setting("uploads.images_min_trust")


def can_attach_files(member) -> bool:
    """Attach other files (txt, pdf, zip ...): members from the admins' trust level up (moderators and staff always)."""
    if not _signed_in(member) or is_silenced(member):
        return False
    return is_staff(member) or is_moderator(member) or trust_level_of(member) >= _upload_setting("uploads.files_min_trust")


def board_accepts_upload(board: Board, kind: str) -> bool:
    """Whether posts on `board` may carry an upload of `kind` ("image" or "file"): the admins' per-board choice."""
    policy = (_upload_setting("uploads.board_policies") or {}).get(str(board.id), "all")
    return policy == "all" or (policy == "images" and kind == "image")
# ---- reactions and bookmarks (community/reactions, community/bookmarks) -----------------------------

def can_react(member, post: Post) -> bool:
    """React to `post` (or change or take back a reaction): signed-in readers who may take part (not
    silenced or suspended), never on their own or deleted posts."""
    return can_vote(member, post) and not is_silenced(member) and not is_suspended(member)


def can_bookmark(member, *, thread: Thread | None = None, post: Post | None = None) -> bool:
    """Bookmark a thread or a post: signed-in members who may see it."""
    return _signed_in(member) and can_see_source(member, thread=thread, post=post)
# ---- private conversations (community/conversations) -------------------------------------------
# Participants read their conversation while they have not left it; staff (and admins) read every
# staff-inbox conversation. Moderators and admins never read member-to-member conversations: a
# flagged message reaches the review queue alone (`can_review_flagged_message`), not its history.

def _conversation_row(member, conversation):
    """The member's participant row in `conversation` (None: not in it, or a guest)."""
    if not _signed_in(member):
        return None
    return next((p for p in conversation.participants if p.member_id == member.id), None)


def _may_send(member) -> bool:
    return _signed_in(member) and not is_silenced(member) and not is_suspended(member) and member.deleted_at is None


def can_view_conversation(member, conversation) -> bool:
    """Read a conversation: its participants who did not leave it; any staff member for the staff inbox."""
    if not _signed_in(member):
        return False
    if conversation.is_staff and is_staff(member):
        return True
    row = _conversation_row(member, conversation)
    return row is not None and row.left_at is None


def can_reply_conversation(member, conversation) -> bool:
    """Write in a conversation one reads, unless silenced or suspended (blocks are checked by the service)."""
    return can_view_conversation(member, conversation) and _may_send(member)


def can_answer_as_staff(member, conversation) -> bool:
    """Answer a staff-inbox conversation for the brand: staff and admins."""
    return conversation.is_staff and is_staff(member) and _may_send(member)


def can_message_staff(member) -> bool:
    """Start a conversation with the staff inbox: every member who may send, whatever their trust level."""
    return _may_send(member)


def can_start_conversation(member) -> bool:
    """Start a member-to-member conversation: from the trust level `conversations.min_trust_level` up
    (moderators and staff always), never while silenced or suspended."""
    if not _may_send(member):
        return False
    if is_posting_unlimited(member) or is_moderator(member):
        return True
    return trust_level_of(member) >= int(site_settings.get("conversations.min_trust_level"))


def can_leave_conversation(member, conversation) -> bool:
    """Leave (or mute) a conversation: its member participants (staff leave the inbox by not answering)."""
    row = _conversation_row(member, conversation)
    return row is not None and row.left_at is None


def can_flag_message(member, message) -> bool:
    """Flag someone else's message of a conversation one reads, for the moderators."""
    return (_signed_in(member) and message.author_id != member.id and message.hidden_at is None
            and can_view_conversation(member, message.conversation))


def can_review_flagged_message(member) -> bool:
    """See a flagged message (that message only) in the review queue and act on it: moderators."""
    return is_moderator(member)


def can_block_member(member, target) -> bool:
    """Block private messages from `target`: any member, not themselves."""
    return _signed_in(member) and target is not None and target.id != member.id
