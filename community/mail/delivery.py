"""Taking messages out of the queue: delivery with retries, notification mails, digests.

Everything here runs outside requests (the worker thread, `flask community mail ...`) and commits
its own short transactions, so a slow or dead SMTP server never holds a row lock for long.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822
from email.utils import formataddr, parseaddr

from flask import current_app
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import joinedload

from .. import dbbatch
from ..dbtypes import utcnow
from ..extensions import db
from ..forum.models import Board, Post, Thread
from ..members.models import Member
from ..notifications.models import BoardFollow, Notification, ThreadFollow
from ..permissions import (
    can_view_post,
    can_view_thread,
    public_thread_clause,
    readable_board_clause,
    visible_post_clause,
)
from . import compose, preferences
from .models import MailMessage, MailPreference, PendingNotificationMail
from .transport import TransportError, transport_for

log = logging.getLogger(__name__)


# ---- delivery -------------------------------------------------------------------------------

def build_email(message: MailMessage, mail_from: str, community: str) -> EmailMessage:
    """Return the MIME message (text and HTML alternatives) for a queued row."""
    email = EmailMessage()
    name, address = parseaddr(mail_from)
    email["From"] = formataddr((name or community, address or mail_from))
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = rfc2822(message.created_at)
    email["Message-ID"] = message.message_id
    email["Auto-Submitted"] = "auto-generated"
    for key, value in (message.headers or {}).items():
        email[key] = value
    email.set_content(message.text_body)
    email.add_alternative(message.html_body, subtype="html")
    # After the parts: set_content() clears every Content-* header.
    email["Content-Language"] = "zh-Hans" if message.locale.startswith("zh") else message.locale
    return email


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: doubling from MAIL_RETRY_BASE_SECONDS, capped."""
    config = current_app.config
    seconds = min(config["MAIL_RETRY_BASE_SECONDS"] * (2 ** max(attempts - 1, 0)), config["MAIL_RETRY_MAX_SECONDS"])
    return timedelta(seconds=seconds)


def deliver_due(limit: int = 100) -> dict:
    """Send the messages that are due; return {"sent", "failed", "deferred"} counts.

    Each message is claimed by a conditional UPDATE (so parallel senders never both send it), sent,
    and marked sent at once. On the first refused connection the pass stops: the rest of the queue
    would only fail the same way, and waits for the next pass.
    """
    config = current_app.config
    settings = compose.mail_settings()
    transport = transport_for(config)
    counts = {"sent": 0, "failed": 0, "deferred": 0}
    now = utcnow()
    due = list(db.session.scalars(
        select(MailMessage.id)
        .where(MailMessage.sent_at.is_(None), MailMessage.failed_at.is_(None), MailMessage.next_try_at <= now,
               or_(MailMessage.locked_until.is_(None), MailMessage.locked_until < now))
        .order_by(MailMessage.next_try_at, MailMessage.id).limit(limit)))
    db.session.commit()
    for message_id in due:
        now = utcnow()
        claimed = db.session.execute(
            update(MailMessage)
            .where(MailMessage.id == message_id, MailMessage.sent_at.is_(None), MailMessage.failed_at.is_(None),
                   or_(MailMessage.locked_until.is_(None), MailMessage.locked_until < now))
            .values(locked_until=now + timedelta(seconds=config["MAIL_LEASE_SECONDS"]),
                    attempts=MailMessage.attempts + 1)).rowcount
        db.session.commit()
        if not claimed:
            continue
        message = db.session.get(MailMessage, message_id)
        try:
            transport.send(build_email(message, settings["mail_from"], settings["community_name"]))
        except TransportError as exc:
            failed = message.attempts >= config["MAIL_MAX_ATTEMPTS"]
            db.session.execute(update(MailMessage).where(MailMessage.id == message_id).values(
                locked_until=None, last_error=str(exc)[:500],
                next_try_at=utcnow() + backoff(message.attempts), failed_at=utcnow() if failed else None))
            db.session.commit()
            counts["failed" if failed else "deferred"] += 1
            log.warning("mail %s to %s not sent (try %d): %s", message_id, message.to_address, message.attempts, exc)
            break
        except Exception:  # a message that cannot even be built must not block the queue forever
            log.exception("mail %s could not be built", message_id)
            db.session.rollback()
            db.session.execute(update(MailMessage).where(MailMessage.id == message_id).values(
                locked_until=None, failed_at=utcnow(), last_error="could not be built"))
            db.session.commit()
            counts["failed"] += 1
            continue
        db.session.execute(update(MailMessage).where(MailMessage.id == message_id).values(
            sent_at=utcnow(), locked_until=None, last_error=""))
        db.session.commit()
        counts["sent"] += 1
    return counts


def purge_old(days: int | None = None) -> int:
    """Delete sent and failed messages older than MAIL_KEEP_DAYS (their links are long spent)."""
    days = current_app.config["MAIL_KEEP_DAYS"] if days is None else days
    before = utcnow() - timedelta(days=days)
    result = db.session.execute(delete(MailMessage).where(
        or_(MailMessage.sent_at < before, MailMessage.failed_at < before)))
    db.session.commit()
    return result.rowcount or 0


# ---- notification mails ---------------------------------------------------------------------

def on_notification_created(notification: Notification, **_extra) -> None:
    """Remember a notification of a kind members may get by mail; the mail waits for the delay."""
    if notification.kind not in preferences.KIND_OF_NOTIFICATION:
        return
    delay = timedelta(minutes=current_app.config["MAIL_NOTIFICATION_DELAY_MINUTES"])
    # a reply's subscribers: with the other rows nothing reads back, one statement (dbbatch.combined)
    dbbatch.add(PendingNotificationMail(notification_id=notification.id, member_id=notification.member_id,
                                        due_at=(notification.created_at or utcnow()) + delay))


def _seen(notification: Notification, member: Member) -> bool:
    """Read, or the member loaded a page since it arrived (the header showed it)."""
    if notification.read_at is not None:
        return True
    return member.last_seen_at is not None and member.last_seen_at >= notification.created_at


def _still_visible(notification: Notification, member: Member) -> bool:
    if notification.post is not None and not can_view_post(member, notification.post):
        return False
    return notification.thread is None or can_view_thread(member, notification.thread)


def notification_url(notification: Notification) -> str:
    if notification.post_id is not None:
        return compose.link("forum.post", post_id=notification.post_id)
    if notification.thread_id is not None:
        return compose.link("forum.thread", thread_id=notification.thread_id)
    path = str((notification.data or {}).get("url") or "")
    if path.startswith("/") and not path.startswith("//"):
        return compose.absolute(path)
    return compose.link("notifications.index")


def send_due_notifications(limit: int = 500) -> int:
    """Turn due notifications into mails (one per member per pass); return how many mails were queued."""
    now = utcnow()
    rows = db.session.execute(
        select(PendingNotificationMail, Notification)
        .join(Notification, Notification.id == PendingNotificationMail.notification_id)
        .where(PendingNotificationMail.due_at <= now)
        .options(joinedload(Notification.member), joinedload(Notification.actor), joinedload(Notification.thread),
                 joinedload(Notification.post))
        .order_by(PendingNotificationMail.due_at).limit(limit)).all()
    by_member: dict[int, list[Notification]] = {}
    for pending, notification in rows:
        # Claimed by deleting: a second sender process deleting the same row gets rowcount 0.
        taken = db.session.execute(delete(PendingNotificationMail).where(
            PendingNotificationMail.notification_id == pending.notification_id)).rowcount
        if taken:
            by_member.setdefault(notification.member_id, []).append(notification)
    queued = 0
    enabled = compose.is_enabled("notification")
    for notifications in by_member.values():
        member = notifications[0].member
        if not enabled or member is None or not member.email_verified:
            continue
        wanted = preferences.preferences(member)["kinds"]
        chosen = [n for n in notifications if preferences.KIND_OF_NOTIFICATION.get(n.kind) in wanted
                  and not _seen(n, member) and _still_visible(n, member)]
        if not chosen:
            continue
        choices = {preferences.KIND_OF_NOTIFICATION[n.kind] for n in chosen}
        unsubscribe = choices.pop() if len(choices) == 1 else "all"
        env = current_app.jinja_env
        items = []
        for n in chosen:
            template = env.select_template([f"community/notifications/kinds/{n.kind}.html",
                                            "community/notifications/kinds/_default.html"])
            items.append({"n": n, "template": template, "url": notification_url(n)})
        compose.enqueue(compose.compose(
            to=member.email, kind="notification", template="notifications", member=member,
            unsubscribe=unsubscribe, items=items, render_line=_render_line, plain=compose.plain,
            choice_label=preferences.list_label(unsubscribe)))
        queued += 1
    db.session.commit()
    return queued


def _render_line(item) -> str:
    n = item["n"]
    return item["template"].render(n=n, actor=n.actor.name if n.actor else None, thread=n.thread).strip()


# ---- digests --------------------------------------------------------------------------------

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


def send_digests(period: str | None = None, *, force: bool = False, limit: int = 1000) -> int:
    """Queue the digests that are due (each member's own period since their last one); return how many.

    `force` sends to everyone with that digest regardless of the last one (the CLI's --now).
    Members with nothing new get no mail, but their period starts again.
    """
    if not compose.is_enabled("digest"):
        return 0
    periods = [period] if period else list(PERIODS)
    sent = 0
    now = utcnow()
    for name in periods:
        # An hour of slack: a daily digest run by a daily cron job a minute early still goes out.
        cutoff = now - PERIODS[name] + timedelta(hours=1)
        query = (select(MailPreference.member_id).where(MailPreference.digest == name)
                 .order_by(MailPreference.member_id).limit(limit))
        if not force:
            query = query.where(or_(MailPreference.last_digest_at.is_(None), MailPreference.last_digest_at <= cutoff))
        for member_id in list(db.session.scalars(query)):
            row = db.session.get(MailPreference, member_id)
            since = row.last_digest_at or (now - PERIODS[name])
            # Claim this member's digest: a parallel run finds last_digest_at moved and skips.
            claimed = db.session.execute(update(MailPreference).where(
                MailPreference.member_id == member_id, MailPreference.digest == name,
                (MailPreference.last_digest_at.is_(None) if row.last_digest_at is None
                 else MailPreference.last_digest_at == row.last_digest_at)).values(last_digest_at=now)).rowcount
            if not claimed:
                db.session.rollback()
                continue
            member = db.session.get(Member, member_id)
            if member is not None and member.email_verified and _queue_digest(member, name, since, now):
                sent += 1
            db.session.commit()
    return sent


def digest_content(member: Member, since, now) -> dict:
    """Return what a digest tells: followed threads with new replies, new threads of followed boards, and
    popular new threads (each thread once, in that order)."""
    visible_boards = readable_board_clause(member)
    new_posts = (select(Post.thread_id, func.count(Post.id).label("n"), func.min(Post.id).label("first_id"))
                 .join(Thread, Thread.id == Post.thread_id).join(Board, Board.id == Thread.board_id)
                 .join(ThreadFollow, and_(ThreadFollow.thread_id == Thread.id, ThreadFollow.member_id == member.id))
                 .where(Post.created_at > since, Post.created_at <= now, Post.number > 1,
                        or_(Post.author_id.is_(None), Post.author_id != member.id),
                        visible_post_clause(member), public_thread_clause(), visible_boards)
                 .group_by(Post.thread_id).subquery())
    followed = db.session.execute(
        select(Thread, new_posts.c.n, new_posts.c.first_id).join(new_posts, new_posts.c.thread_id == Thread.id)
        .order_by(new_posts.c.n.desc(), Thread.id).limit(20)).all()
    in_boards = db.session.scalars(
        select(Thread).join(Board, Board.id == Thread.board_id)
        .join(BoardFollow, and_(BoardFollow.board_id == Board.id, BoardFollow.member_id == member.id))
        .where(Thread.created_at > since, Thread.created_at <= now, public_thread_clause(), visible_boards,
               or_(Thread.author_id.is_(None), Thread.author_id != member.id))
        .options(joinedload(Thread.board)).order_by(Thread.created_at.desc(), Thread.id.desc()).limit(20)).all()
    popular = db.session.scalars(
        select(Thread).join(Board, Board.id == Thread.board_id)
        .where(Thread.created_at > since, Thread.created_at <= now, public_thread_clause(), visible_boards,
               or_(Thread.author_id.is_(None), Thread.author_id != member.id))
        .options(joinedload(Thread.board))
        .order_by(Thread.score.desc(), Thread.reply_count.desc(), Thread.id.desc()).limit(10)).all()
    followed_ids = {thread.id for thread, _n, _first in followed}
    board_rows = [thread for thread in in_boards if thread.id not in followed_ids]
    shown = followed_ids | {thread.id for thread in board_rows}
    return {
        "followed": [{"thread": thread, "count": n, "url": compose.link("forum.post", post_id=first)}
                     for thread, n, first in followed],
        "boards": [{"thread": thread, "url": compose.link("forum.thread", thread_id=thread.id)}
                   for thread in board_rows],
        "popular": [{"thread": thread, "url": compose.link("forum.thread", thread_id=thread.id)}
                    for thread in popular if thread.id not in shown],
    }


def _queue_digest(member: Member, period: str, since, now) -> bool:
    content = digest_content(member, since, now)
    if not content["followed"] and not content["boards"] and not content["popular"]:
        return False
    compose.enqueue(compose.compose(to=member.email, kind="digest", template="digest", member=member,
                                      unsubscribe="digest", period=period, since=since, **content))
    return True
