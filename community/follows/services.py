"""Follow members: who follows whom, the counts, and the notification when a followed member starts a thread.

Services flush; the caller commits. The notification goes through `notifications.services.notify_many`,
which asks `can_view_thread` / `can_view_post` for each follower: nobody hears of a thread on a board
they may not read, nor of an opening post waiting for approval.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from ..dbtypes import utcnow
from ..errors import Conflict
from ..extensions import db
from ..members.models import Member
from ..notifications.services import dialect_insert, notify_many
from .models import MemberFollow

KIND = "followed_member"  # notification kind: a member I follow started a thread


def follow(follower: Member, followed: Member) -> bool:
    """Make `follower` follow `followed`; return whether they did not follow them yet. Safe under races."""
    if follower.id == followed.id:
        raise Conflict(_l("You cannot follow yourself."))
    if followed.deleted_at is not None:
        raise Conflict(_l("This account has been deleted."))
    stmt = (dialect_insert(MemberFollow.__table__)
            .values(follower_id=follower.id, followed_id=followed.id, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["follower_id", "followed_id"]))
    return (db.session.execute(stmt).rowcount or 0) > 0


def unfollow(follower: Member, followed: Member) -> bool:
    """Stop `follower` following `followed`; return whether they did."""
    result = db.session.execute(delete(MemberFollow).where(MemberFollow.follower_id == follower.id,
                                                           MemberFollow.followed_id == followed.id))
    return (result.rowcount or 0) > 0


def is_following(viewer, member: Member) -> bool:
    """Whether the (signed-in) viewer follows `member`."""
    if not getattr(viewer, "is_authenticated", False) or viewer.id == member.id:
        return False
    return db.session.scalar(select(func.count()).select_from(MemberFollow).where(
        MemberFollow.follower_id == viewer.id, MemberFollow.followed_id == member.id)) > 0


def counts(member: Member) -> tuple[int, int]:
    """(followers, following) of `member`, counting live accounts only (one query)."""
    followers = (select(func.count()).select_from(MemberFollow).join(Member, Member.id == MemberFollow.follower_id)
                 .where(MemberFollow.followed_id == member.id, Member.deleted_at.is_(None)).scalar_subquery())
    following = (select(func.count()).select_from(MemberFollow).join(Member, Member.id == MemberFollow.followed_id)
                 .where(MemberFollow.follower_id == member.id, Member.deleted_at.is_(None)).scalar_subquery())
    row = db.session.execute(select(followers, following)).one()
    return int(row[0] or 0), int(row[1] or 0)


def followers_of(member: Member) -> list[Member]:
    """The live members who follow `member`."""
    return list(db.session.scalars(
        select(Member).join(MemberFollow, MemberFollow.follower_id == Member.id)
        .where(MemberFollow.followed_id == member.id, Member.deleted_at.is_(None))))


def following_of(member: Member) -> list[tuple[Member, MemberFollow]]:
    """Whom `member` follows, with when (for "My data")."""
    return list(db.session.execute(
        select(Member, MemberFollow).join(MemberFollow, MemberFollow.followed_id == Member.id)
        .where(MemberFollow.follower_id == member.id).order_by(MemberFollow.created_at)).all())


def on_thread_created(thread, post=None, mentioned=None, **_extra) -> None:
    """Tell the author's followers about the new thread (those @mentioned already hear of it)."""
    author = thread.author
    if author is None or author.deleted_at is not None:
        return
    already = {m.id for m in mentioned or ()}
    members = [m for m in followers_of(author) if m.id not in already]
    if members:
        notify_many(members, KIND, actor=author, thread=thread, post=post)
