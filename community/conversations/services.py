"""Start, read, answer, leave and mute private conversations; block members. Services flush; callers commit.

Who may do what is asked of `community.permissions` (`can_view_conversation`, `can_start_conversation`,
`can_message_staff`, ...); this module adds what needs the database: blocks, the daily limit of new
conversations per trust level, and the count of recipients.
"""
from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import joinedload

from .. import settings, text
from ..dbtypes import utcnow
from ..errors import NotPermitted, ValidationFailed
from ..extensions import db
from ..members.models import Member, username_key
from ..permissions import (
    can_answer_as_staff,
    can_block_member,
    can_leave_conversation,
    can_message_staff,
    can_reply_conversation,
    can_start_conversation,
    is_posting_unlimited,
    is_staff,
    trust_level_of,
)
from ..signals import conversation_started, message_sent
from ..web import Page, page_count, paginate
from .models import Conversation, MemberBlock, Message, Participant


def _levels(value) -> str | None:
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value) or len(value) > 10:
        return _l("A list of whole numbers from 0 up, one per trust level.")
    return None


def _positive(value) -> str | None:
    return None if 1 <= value <= 100 else _l("A whole number from 1 to 100.")


def _level(value) -> str | None:
    return None if 0 <= value <= 4 else _l("A trust level from 0 to 4.")


MIN_TRUST_LEVEL = settings.declare("conversations.min_trust_level", 1, int, check=_level)
MAX_RECIPIENTS = settings.declare("conversations.max_recipients", 10, int, check=_positive)
# New member-to-member conversations a member may start in 24 hours, by trust level (0, 1, 2, 3, 4).
PER_DAY = settings.declare("conversations.per_day", [0, 10, 25, 50, 100], list, check=_levels)
MAIL_DELAY_MINUTES = settings.declare("conversations.mail_delay_minutes", 10, int,
                                      check=lambda v: None if 0 <= v <= 1440 else _l("From 0 to 1440 minutes."))

SUBJECT_MAX = 200
CANNOT_MESSAGE = _l("You cannot message this member.")


def _refuse(field: str, message) -> ValidationFailed:
    return ValidationFailed(_l("Please correct the marked fields."), {field: message})


def _check_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    most = current_app.config["BODY_MAX_LENGTH"]
    if not body:
        raise _refuse("body", _l("Please write a message."))
    if len(body) > most:
        raise _refuse("body", _l("A message may have at most %(n)d characters; this one has %(m)d.", n=most, m=len(body)))
    return body


def _check_subject(subject: str) -> str:
    subject = " ".join((subject or "").split())
    if len(subject) > SUBJECT_MAX:
        raise _refuse("subject", _l("The subject may have at most %(n)d characters.", n=SUBJECT_MAX))
    return subject


def _write(conversation: Conversation, author: Member, body: str, from_staff: bool = False) -> Message:
    now = utcnow()
    rendered = text.render(body)
    message = Message(conversation_id=conversation.id, author_id=author.id, body_source=body,
                      body_html=rendered.html, from_staff=from_staff, created_at=now)
    db.session.add(message)
    db.session.flush()
    values = {"last_message_at": now, "last_message_id": message.id,
              "message_count": Conversation.message_count + 1}
    if conversation.is_staff:
        values["awaiting_staff"] = not from_staff
    db.session.execute(update(Conversation).where(Conversation.id == conversation.id).values(**values))
    # the author has read what they wrote
    db.session.execute(update(Participant).where(Participant.conversation_id == conversation.id,
                                                 Participant.member_id == author.id)
                       .values(last_read_id=message.id, mailed_id=message.id))
    db.session.expire(conversation, list(values))
    return message


# ---- blocks --------------------------------------------------------------------------------------

def blocked_ids(blocker_ids, blocked_id: int) -> set[int]:
    """Return which of `blocker_ids` block `blocked_id` (one query)."""
    ids = list(blocker_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(MemberBlock.blocker_id).where(MemberBlock.blocker_id.in_(ids),
                                                                       MemberBlock.blocked_id == blocked_id)))


def block(member: Member, target: Member) -> bool:
    """Block private messages from `target`; return whether it was new."""
    if not can_block_member(member, target):
        raise NotPermitted(_l("You cannot block this member."))
    if db.session.get(MemberBlock, (member.id, target.id)) is not None:
        return False
    db.session.add(MemberBlock(blocker_id=member.id, blocked_id=target.id, created_at=utcnow()))
    db.session.flush()
    return True


def unblock(member: Member, target: Member) -> bool:
    """Let `target` message the member again; return whether they were blocked."""
    done = db.session.execute(delete(MemberBlock).where(MemberBlock.blocker_id == member.id,
                                                        MemberBlock.blocked_id == target.id))
    return bool(done.rowcount)


def blocked_members(member: Member) -> list[MemberBlock]:
    """The member's blocks, most recent first (the settings page)."""
    return list(db.session.scalars(select(MemberBlock).where(MemberBlock.blocker_id == member.id)
                                   .order_by(MemberBlock.created_at.desc())))


# ---- starting and writing --------------------------------------------------------------------------

def find_recipients(names) -> tuple[list[Member], list[str]]:
    """Return the live members named in `names` (usernames) and the names that match none."""
    wanted = list(dict.fromkeys(n.strip().lstrip("@") for n in names if n and n.strip().lstrip("@")))
    keys = [username_key(n) for n in wanted]
    found = {m.username_key: m for m in db.session.scalars(
        select(Member).where(Member.username_key.in_(keys), Member.deleted_at.is_(None)))} if keys else {}
    missing = [n for n, k in zip(wanted, keys, strict=True) if k not in found]
    return list(dict.fromkeys(found[k] for k in keys if k in found)), missing


def started_today(member: Member) -> int:
    """How many member-to-member conversations the member started in the last 24 hours."""
    since = utcnow() - timedelta(days=1)
    return db.session.scalar(select(func.count(Conversation.id)).where(
        Conversation.started_by_id == member.id, Conversation.is_staff.is_(False),
        Conversation.created_at >= since)) or 0


def _daily_limit(member: Member) -> int | None:
    if is_posting_unlimited(member):
        return None
    table = PER_DAY.value or []
    level = trust_level_of(member)
    return int(table[min(level, len(table) - 1)]) if table else None


def start_conversation(author: Member, recipients: list[Member], subject: str, body: str) -> Conversation:
    """Start a conversation between `author` and `recipients` with a first message."""
    if not can_start_conversation(author):
        raise NotPermitted(_l("You cannot start private conversations yet."))
    others = [m for m in dict.fromkeys(recipients) if m.id != author.id]
    if not others:
        raise _refuse("to", _l("Name at least one member to write to."))
    if len(others) > MAX_RECIPIENTS.value:
        raise _refuse("to", _l("At most %(n)d recipients.", n=MAX_RECIPIENTS.value))
    if blocked_ids([m.id for m in others], author.id):
        raise _refuse("to", CANNOT_MESSAGE)
    limit = _daily_limit(author)
    if limit is not None and started_today(author) >= limit:
        raise NotPermitted(_l("You have started as many conversations as you may today; try again tomorrow."))
    subject, body = _check_subject(subject), _check_body(body)
    return _open(author, others, subject, body, is_staff=False)


def message_staff(author: Member, subject: str, body: str) -> Conversation:
    """Start a conversation with the staff inbox (any trust level)."""
    if not can_message_staff(author):
        raise NotPermitted(_l("You cannot send messages now."))
    subject, body = _check_subject(subject), _check_body(body)
    return _open(author, [], subject, body, is_staff=True)


def _first_line(body: str, most: int = 80) -> str:
    """A subject taken from the first message when none was given (its first line, as plain text)."""
    line = " ".join(text.plain_text(text.render(body.split("\n", 1)[0]).html).split())
    return line if len(line) <= most else line[:most - 1].rstrip() + "…"


def _open(author: Member, others: list[Member], subject: str, body: str, *, is_staff: bool) -> Conversation:
    now = utcnow()
    subject = subject or _first_line(body)
    conversation = Conversation(subject=subject, is_staff=is_staff, started_by_id=author.id, created_at=now,
                                last_message_at=now)
    db.session.add(conversation)
    db.session.flush()
    db.session.add_all([Participant(conversation_id=conversation.id, member_id=m.id, joined_at=now)
                        for m in [author, *others]])
    db.session.flush()
    message = _write(conversation, author, body)
    db.session.refresh(conversation)
    conversation_started.send(conversation, message=message, by=author, at=now)
    return conversation


def reply(author: Member, conversation: Conversation, body: str) -> Message:
    """Write a message in `conversation` (staff answering the staff inbox join it on the staff side)."""
    staff_answer = conversation.is_staff and is_staff(author)
    if staff_answer:
        if not can_answer_as_staff(author, conversation):
            raise NotPermitted(_l("You cannot send messages now."))
    elif not can_reply_conversation(author, conversation):
        raise NotPermitted(_l("You cannot write in this conversation."))
    body = _check_body(body)
    active = [p for p in conversation.participants if p.left_at is None and p.member_id != author.id]
    if not conversation.is_staff:
        if not active:
            raise NotPermitted(_l("Everyone else has left this conversation."))
        if blocked_ids([p.member_id for p in active], author.id):
            raise NotPermitted(CANNOT_MESSAGE)
    if staff_answer and not any(p.member_id == author.id for p in conversation.participants):
        db.session.add(Participant(conversation_id=conversation.id, member_id=author.id, staff_side=True,
                                   joined_at=utcnow()))
        db.session.flush()
    message = _write(conversation, author, body, from_staff=staff_answer)
    message_sent.send(message, conversation=conversation, by=author, staff_answer=staff_answer,
                      at=message.created_at)
    return message


# ---- reading -------------------------------------------------------------------------------------------

def participant(member: Member, conversation: Conversation) -> Participant | None:
    return next((p for p in conversation.participants if p.member_id == member.id), None)


def mark_read(member: Member, conversation: Conversation) -> bool:
    """Mark the conversation read up to its last message; return whether anything was unread."""
    done = db.session.execute(update(Participant).where(
        Participant.conversation_id == conversation.id, Participant.member_id == member.id,
        Participant.last_read_id < conversation.last_message_id)
        .values(last_read_id=conversation.last_message_id))
    return bool(done.rowcount)


def _unread_clause():
    return and_(Participant.left_at.is_(None), Participant.last_read_id < Conversation.last_message_id)


@lru_cache(maxsize=1)
def _unread_count_select():
    return select(func.count()).select_from(Participant).join(
        Conversation, Conversation.id == Participant.conversation_id).where(
        Participant.member_id == bindparam("member_id"), _unread_clause())


def unread_count_select(member):
    """SQL: how many of the signed-in `member`'s conversations have unread messages (a header count), the member's
    id bound as `member_id` (built once per process)."""
    return _unread_count_select()


def unread_count(member) -> int:
    """How many of the member's conversations have unread messages (one query)."""
    if not getattr(member, "is_authenticated", False):
        return 0
    return db.session.scalar(unread_count_select(member), {"member_id": member.id}) or 0


def my_conversations(member: Member, page: int = 1) -> Page:
    """A page of (conversation, participant, unread) the member is in, unread first, then most recent."""
    per_page = current_app.config["CONVERSATIONS_PER_PAGE"]
    unread = _unread_clause()
    base = (select(Conversation, Participant).join(Participant, Participant.conversation_id == Conversation.id)
            .where(Participant.member_id == member.id, Participant.left_at.is_(None)))
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pages = page_count(total, per_page, page)
    rows = db.session.execute(base.add_columns(unread.label("unread"))
                              .order_by(unread.desc(), Conversation.last_message_at.desc(), Conversation.id.desc())
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return Page([(c, p, bool(u)) for c, p, u in rows], page, pages, total)


def staff_inbox(page: int = 1, state: str = "open") -> Page:
    """A page of staff-inbox conversations: `open` (awaiting an answer), `answered`, or `all`."""
    per_page = current_app.config["CONVERSATIONS_PER_PAGE"]
    query = select(Conversation).where(Conversation.is_staff.is_(True)).options(joinedload(Conversation.started_by))
    if state == "open":
        query = query.where(Conversation.awaiting_staff.is_(True))
    elif state == "answered":
        query = query.where(Conversation.awaiting_staff.is_(False))
    return paginate(query.order_by(Conversation.last_message_at.desc(), Conversation.id.desc()), page, per_page)


def open_staff_count() -> int:
    """How many staff-inbox conversations wait for an answer (one query)."""
    return db.session.scalar(select(func.count(Conversation.id)).where(
        Conversation.is_staff.is_(True), Conversation.awaiting_staff.is_(True))) or 0


def messages(conversation: Conversation, page: int | None = None) -> Page:
    """A page of the conversation's messages, oldest first; by default the last page."""
    per_page = current_app.config["MESSAGES_PER_PAGE"]
    total = conversation.message_count
    pages = max(1, -(-total // per_page))
    page = pages if page is None else page
    page_count(total, per_page, page)
    found = db.session.scalars(select(Message).where(Message.conversation_id == conversation.id)
                               .order_by(Message.id).limit(per_page).offset((page - 1) * per_page)).all()
    return Page(list(found), page, pages, total)


def message_for(member, conversation: Conversation, message_id: int) -> Message | None:
    """One message of the conversation (the live client fetches a new one)."""
    return db.session.scalar(select(Message).where(Message.id == message_id,
                                                   Message.conversation_id == conversation.id))


# ---- leaving and muting ------------------------------------------------------------------------------

def leave(member: Member, conversation: Conversation) -> None:
    """Leave the conversation: it disappears from the member's list; they read and hear no more of it."""
    if not can_leave_conversation(member, conversation):
        raise NotPermitted(_l("You are not in this conversation."))
    db.session.execute(update(Participant).where(Participant.conversation_id == conversation.id,
                                                 Participant.member_id == member.id).values(left_at=utcnow()))
    db.session.expire(conversation, ["participants"])


def set_muted(member: Member, conversation: Conversation, muted: bool) -> None:
    """Mute (no live alerts, no mails) or unmute the conversation for the member."""
    if not can_leave_conversation(member, conversation):
        raise NotPermitted(_l("You are not in this conversation."))
    db.session.execute(update(Participant).where(Participant.conversation_id == conversation.id,
                                                 Participant.member_id == member.id).values(muted=bool(muted)))
    db.session.expire(conversation, ["participants"])


def listeners(conversation: Conversation, author_id: int) -> list[int]:
    """The ids of the members to tell of a new message live: active, unmuted participants but the author."""
    return [p.member_id for p in conversation.participants
            if p.left_at is None and not p.muted and p.member_id != author_id]


# ---- the member's data and account deletion -------------------------------------------------------------

def member_export(member: Member) -> list[dict]:
    """The member's conversations and the messages in them they could read (their data export)."""
    rows = db.session.execute(select(Conversation, Participant).join(
        Participant, Participant.conversation_id == Conversation.id).where(Participant.member_id == member.id)
        .order_by(Conversation.id)).all()
    out = []
    for conversation, row in rows:
        query = select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id)
        if row.left_at is not None:
            query = query.where(Message.created_at <= row.left_at)
        out.append({"id": conversation.id, "subject": conversation.subject, "with_staff": conversation.is_staff,
                    "started_at": conversation.created_at.isoformat(), "left_at": row.left_at.isoformat()
                    if row.left_at else None,
                    "messages": [{"id": m.id, "mine": m.author_id == member.id,
                                  "author": m.author.name if m.author else None, "from_staff": m.from_staff,
                                  "created_at": m.created_at.isoformat(),
                                  # a message a moderator hid stays hidden from the others, here too
                                  "body": m.body_source if m.hidden_at is None or m.author_id == member.id
                                  else None}
                                 for m in db.session.scalars(query)]})
    return out


def on_member_deleting(member: Member, **_extra) -> None:
    """Account deletion (signal `member_deleting`): see `erase_member`."""
    erase_member(member)


def erase_member(member: Member) -> None:
    """Account deletion: the member leaves every conversation and their blocks go; their messages stay
    for the others under "Deleted member", like their posts."""
    db.session.execute(update(Participant).where(Participant.member_id == member.id, Participant.left_at.is_(None))
                       .values(left_at=utcnow(), muted=True))
    db.session.execute(delete(MemberBlock).where(or_(MemberBlock.blocker_id == member.id,
                                                     MemberBlock.blocked_id == member.id)))
