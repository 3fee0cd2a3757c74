"""Fill the freshly migrated database of votes.py: one board, a thread of --posts posts written in
turn by --authors staff members, and --voters members, all through the real services.

Run by votes.py inside the exported tree (working directory and PYTHONPATH the tree, DATABASE_URL
set), so the application imported here is the one being measured; prints one JSON line:
{"thread_id": ..., "post_ids": [...], "voters": [...]}.
"""
from __future__ import annotations

import argparse
import json
import sys

from sqlalchemy import select
from votes import PASSWORD

from application import create_app
from community.extensions import db
from community.forum import services as forum
from community.forum.models import Board, BoardKind, Post, Visibility
from community.members.models import Role
from community.members.services import register_member


def seed(voters: int, posts: int, authors: int) -> dict:
    """Create the board, thread and members; return their ids."""
    app = create_app()
    with app.app_context():
        board = Board(slug="bench", name="Bench", kind=BoardKind.discussion, visibility=Visibility.public)
        db.session.add(board)
        db.session.flush()
        # staff post without the new-member posting limits; voters never vote on their own posts
        writers = [register_member(f"bench_author_{n:02d}", f"bench_author_{n:02d}@example.com", PASSWORD,
                                   role=Role.staff) for n in range(max(1, authors))]
        thread = forum.start_thread(writers[0], board, "What should we measure next?", "Vote on the replies below.")
        for n in range(2, posts + 1):
            forum.reply(writers[(n - 1) % len(writers)], thread, f"Reply {n}: an answer worth a vote.")
        names = [f"bench_voter_{n:03d}" for n in range(voters)]
        for name in names:
            register_member(name, f"{name}@example.com", PASSWORD)
        db.session.commit()
        post_ids = list(db.session.scalars(select(Post.id).where(Post.thread_id == thread.id).order_by(Post.number)))
        return {"thread_id": thread.id, "post_ids": post_ids, "voters": names}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, default=50)
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--authors", type=int, default=10)
    args = parser.parse_args(argv)
    print(json.dumps(seed(args.voters, args.posts, args.authors)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
