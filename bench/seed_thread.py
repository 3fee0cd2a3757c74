"""Fill a freshly migrated database with one board, the bench members and a thread of N posts.

Run by thread_page.py with the application source as the working directory and DATABASE_URL set;
prints one JSON line: {"thread_id": ..., "board_slug": ..., "posts": ...}. Everything goes through
the real services (register_member, start_thread, reply), so signals and their subscribers run too.

With --reader, one of the authors (content.READER, who wrote some posts of the thread) also becomes
the signed-in reader of issue 18: they follow the thread, have voted on some posts, reacted to a few,
bookmarked the thread and two posts, and have notifications (read and unread), all through the real
services (cast_vote, react, add_bookmark, follow_thread, notify). The JSON line then also carries
"reader" (the username) and what was seeded for them.
"""
from __future__ import annotations

import argparse
import json
import sys

import content
from sqlalchemy import select

from application import create_app
from community.bookmarks.services import add_bookmark
from community.extensions import db
from community.forum import services as forum
from community.forum.models import Board, BoardKind, Post, Visibility
from community.members.models import Role
from community.members.services import register_member
from community.notifications.models import Notification
from community.notifications.services import follow_thread, mark_read, notify
from community.reactions.services import react
from community.votes.services import cast_vote


def seed_reader(reader, thread, by_number: dict, members: list) -> dict:
    """Give `reader` the state of a member who takes part (see the module docstring); return the counts."""
    others = [post for number, post in sorted(by_number.items()) if post.author_id != reader.id]
    follow_thread(reader, thread)
    votes = 0
    for post in others[:8]:  # below the lowest trust level's daily allowance (10)
        cast_vote(reader, post, -1 if post.number % 5 == 0 else 1)
        votes += 1
    reactions = 0
    for post, kind in zip(others[2:20:4], ("like", "thanks", "wow", "like", "laugh"), strict=False):
        react(reader, post, kind)
        reactions += 1
    add_bookmark(reader, thread=thread, note="check again after 4.2.1")
    for post in (others[3], others[-4]):
        add_bookmark(reader, post=post)
    actors = [m for m in members if m.id != reader.id]
    for i, post in enumerate(others[-10:]):
        notify(reader, "reply", actor=actors[i % len(actors)], thread=thread, post=post)
    db.session.flush()
    # about half of them read, as a member who visits now and then would have them
    for notification in list(db.session.scalars(select(Notification).where(Notification.member_id == reader.id)
                                                .order_by(Notification.id)))[::2]:
        mark_read(reader, notification)
    total = db.session.scalar(select(db.func.count()).select_from(Notification)
                              .where(Notification.member_id == reader.id))
    return {"reader": reader.username, "reader_votes": votes, "reader_reactions": reactions,
            "reader_bookmarks": 3, "reader_notifications": total}


def seed(posts: int, reader: bool = False) -> dict:
    app = create_app()
    with app.app_context(), app.test_request_context("/"):
        members = []
        for username, display_name, staff in content.MEMBERS:
            members.append(register_member(username, f"{username}@example.com", content.PASSWORD,
                                           role=Role.staff if staff else Role.member, display_name=display_name))
        # There is no board service (boards are made by admins, and tests use the model directly).
        board = Board(slug=content.BOARD_SLUG, name=content.BOARD_NAME, kind=BoardKind.discussion,
                      visibility=Visibility.public, description="Ask the community and the Acme team.")
        db.session.add(board)
        db.session.flush()

        bodies = content.post_bodies(posts)
        targets = content.reply_targets(posts)
        thread = forum.start_thread(members[content.author_of(1)], board, content.THREAD_TITLE, bodies[0])
        by_number = {1: db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))}
        for number in range(2, posts + 1):
            reply_to = by_number.get(targets[number]) if number in targets else None
            post = forum.reply(members[content.author_of(number)], thread, bodies[number - 1], reply_to=reply_to)
            by_number[number] = post
        db.session.commit()
        seeded = {"thread_id": thread.id, "board_slug": board.slug, "posts": posts}
        if reader:
            reader_member = next(m for m in members if m.username == content.READER)
            seeded.update(seed_reader(reader_member, thread, by_number, members))
            db.session.commit()
        return seeded


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=50)
    parser.add_argument("--reader", action="store_true", help="also seed the signed-in reader's state")
    args = parser.parse_args(argv)
    print(json.dumps(seed(args.posts, args.reader)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
