"""Every moderation action, per role: who may do it over HTTP, that it then sends its signal and writes
its log line, and that a refused (crafted) request changes nothing, sends nothing and logs nothing.

Roles: a guest, a basic member (trust level 1, may flag), a leader (trust level 4: thread tools), a
staff member (brand employee: flags at once, whispers, does not moderate), a moderator and an admin.
"""
import pytest
from sqlalchemy import func, select

from community import signals
from community.extensions import db
from community.forum import services as forum
from community.forum.models import Post, Thread
from community.members.models import Member
from community.moderation.flags import flag_post
from community.moderation.models import ModerationAction, ReviewItem
from community.moderation.posts import hide_post
from community.moderation.restrictions import silence_member, suspend_member
from community.moderation.thread_tools import lock_thread, pin_thread

from .conftest import at_level

ROLES = ["guest", "basic", "leader", "staff", "moderator", "admin"]
MODS = {"moderator", "admin"}
SIGNED_IN = set(ROLES) - {"guest"}
THREAD_TOOLS = {"leader", "moderator", "admin"}

# action: (signal, log action or None, roles allowed, request builder(world) -> (path, data))
ACTIONS = {
    "flag": (signals.content_flagged, "flag", SIGNED_IN,
             lambda w: (f"/p/{w['reply']}/flag", {"reason": "spam"})),
    "report": (signals.content_flagged, "report_member", SIGNED_IN,
               lambda w: ("/u/target/report", {"reason": "spam"})),
    "review": (signals.review_resolved, "agree", MODS,
               lambda w: (f"/review/{w['item']}", {"outcome": "agreed", "note": "Right"})),
    "hide": (signals.post_hidden, "hide", MODS, lambda w: (f"/p/{w['reply']}/hide", {"reason": "Rude"})),
    "unhide": (signals.post_unhidden, "unhide", MODS, lambda w: (f"/p/{w['hidden']}/unhide", {})),
    "delete": (signals.post_deleted, "delete", MODS, lambda w: (f"/p/{w['reply']}/delete", {})),
    "restore": (signals.post_restored, "restore", MODS, lambda w: (f"/p/{w['deleted']}/restore", {})),
    "edit": (signals.post_edited, "edit", MODS,
             lambda w: (f"/p/{w['reply']}/edit", {"body": "Edited by someone else", "reason": "Tidy"})),
    "pin": (signals.thread_pinned, "pin", THREAD_TOOLS, lambda w: (f"/t/{w['thread']}/pin", {"days": "3"})),
    "unpin": (signals.thread_pinned, "unpin", THREAD_TOOLS, lambda w: (f"/t/{w['pinned']}/unpin", {})),
    "pin_globally": (signals.thread_pinned, "pin", MODS, lambda w: (f"/t/{w['thread']}/pin-globally", {})),
    "lock": (signals.thread_locked, "lock", THREAD_TOOLS,
             lambda w: (f"/t/{w['thread']}/lock", {"reason": "Done"})),
    "unlock": (signals.thread_locked, "unlock", THREAD_TOOLS, lambda w: (f"/t/{w['locked']}/unlock", {})),
    "move": (signals.thread_moved, "move", THREAD_TOOLS, lambda w: (f"/t/{w['thread']}/move", {"board": "other"})),
    "merge": (signals.threads_merged, "merge", MODS,
              lambda w: (f"/t/{w['second']}/merge", {"target": str(w["thread"])})),
    "split": (signals.thread_split, "split", MODS,
              lambda w: (f"/t/{w['thread']}/split", {"posts": str(w["reply"]), "title": "A split-off thread"})),
    "silence": (signals.member_silenced, "silence", MODS,
                lambda w: ("/u/target/silence", {"days": "2", "reason": "Loud"})),
    "unsilence": (signals.member_restriction_lifted, "unsilence", MODS, lambda w: ("/u/quiet/unsilence", {})),
    "suspend": (signals.member_suspended, "suspend", MODS,
                lambda w: ("/u/target/suspend", {"days": "2", "reason": "Spam"})),
    "unsuspend": (signals.member_restriction_lifted, "unsuspend", MODS, lambda w: ("/u/away/unsuspend", {})),
    "whisper": (signals.post_created, None, {"staff", "moderator", "admin"},
                lambda w: (f"/t/{w['thread']}/reply", {"body": "Only for the team", "whisper": "y"})),
}


@pytest.fixture
def world(make, mod):
    board = make.board(slug="talk")
    make.board(slug="other")
    author = at_level(make.member("author"), 1)
    writer = make.member("writer")
    thread = make.thread(board=board, author=author, title="The thread under moderation")
    reply = make.post(thread, author=writer, body="A reply that someone dislikes")
    hidden = make.post(thread, author=writer, body="A reply hidden already")
    deleted = make.post(thread, author=writer, body="A reply deleted already")
    flagged = make.post(thread, author=writer, body="A reply flagged already")
    second = make.thread(board=board, author=writer, title="A second thread to merge")
    pinned = make.thread(board=board, author=writer, title="A pinned thread here")
    locked = make.thread(board=board, author=writer, title="A locked thread here")
    make.member("target")
    quiet, away = make.member("quiet"), make.member("away")
    hide_post(mod, hidden)
    forum.delete_post(mod, deleted)
    flag_post(at_level(make.member("flagger"), 1), flagged, "spam")

    pin_thread(mod, pinned)
    lock_thread(mod, locked)
    silence_member(mod, quiet, 3, "Too loud")
    suspend_member(mod, away, 3, "Spamming")
    db.session.commit()
    return {"thread": thread.id, "reply": reply.id, "hidden": hidden.id, "deleted": deleted.id,
            "second": second.id, "pinned": pinned.id, "locked": locked.id,
            "item": db.session.scalar(select(ReviewItem.id))}


@pytest.fixture
def actor(make, login, client, mod):
    def sign_in(role):
        if role == "guest":
            return client
        member = {"basic": lambda: at_level(make.member("basic"), 1),
                  "leader": lambda: at_level(make.member("leader"), 4),
                  "staff": lambda: make.member("brandrep", role="staff"),
                  "moderator": lambda: mod,
                  "admin": lambda: make.member("boss", role="admin")}[role]()
        return login(member)

    return sign_in


def _snapshot():
    db.session.rollback()
    db.session.expire_all()
    return {
        "log": db.session.scalar(select(func.count()).select_from(ModerationAction)),
        "posts": db.session.execute(select(Post.id, Post.thread_id, Post.body_source, Post.hidden_at, Post.deleted_at,
                                           Post.number).order_by(Post.id)).all(),
        "threads": db.session.execute(select(Thread.id, Thread.board_id, Thread.locked_at, Thread.pinned_at,
                                             Thread.pinned_globally, Thread.deleted_at).order_by(Thread.id)).all(),
        "members": db.session.execute(select(Member.id, Member.silenced_until, Member.suspended_until)
                                      .order_by(Member.id)).all(),
        "items": db.session.execute(select(ReviewItem.id, ReviewItem.status).order_by(ReviewItem.id)).all(),
    }


def _attempt(client, signal, path, data):
    heard = []

    def receiver(sender, **kwargs):
        heard.append(sender)

    before = _snapshot()
    signal.connect(receiver)
    try:
        response = client.post(path, data=data)
    finally:
        signal.disconnect(receiver)
    return response, heard, before, _snapshot()


@pytest.mark.parametrize("action, role", [(a, r) for a in sorted(ACTIONS) for r in ROLES if r in ACTIONS[a][2]])
def test_each_allowed_role_acts_and_the_action_is_signalled_and_logged(world, actor, action, role):
    signal, logged, allowed, build = ACTIONS[action]
    response, heard, before, after = _attempt(actor(role), signal, *build(world))
    assert response.status_code == 302, (action, role, response.status_code)
    assert heard, f"{action} by {role} sent no {signal.name}"
    assert after != before
    if logged:
        assert db.session.scalar(select(func.count()).select_from(ModerationAction)
                                 .where(ModerationAction.action == logged)) >= 1


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_other_role_is_refused_even_with_a_crafted_request(world, actor, action):
    signal, logged, allowed, build = ACTIONS[action]
    for role in ROLES:
        if role in allowed:
            continue
        response, heard, before, after = _attempt(actor(role), signal, *build(world))
        if role == "guest":
            assert response.status_code in (302, 401) and "/login" in response.headers.get("Location", "/login")
        else:
            assert response.status_code in (403, 404, 422), (action, role, response.status_code)
        assert not heard, f"{action} by {role} was refused but sent {signal.name}"
        assert after == before, f"{action} by {role} was refused but changed something"
