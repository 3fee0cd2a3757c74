"""Fill a freshly migrated database with one board, the bench members and a thread of N posts.

Run by thread_page.py with the application source as the working directory and DATABASE_URL set;
prints one JSON line: {"thread_id": ..., "board_slug": ..., "posts": ...}. Everything goes through
the real services (register_member, start_thread, reply), so signals and their subscribers run too.
"""
from __future__ import annotations

import argparse
import json
import sys

import content
from sqlalchemy import select

from application import create_app
from community.extensions import db
from community.forum import services as forum
from community.forum.models import Board, BoardKind, Post, Visibility
from community.members.models import Role
from community.members.services import register_member


def seed(posts: int) -> dict:
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
        return {"thread_id": thread.id, "board_slug": board.slug, "posts": posts}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=50)
    args = parser.parse_args(argv)
    print(json.dumps(seed(args.posts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
