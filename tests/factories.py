"""Plain factory functions: real rows made through the real services, with keyword overrides."""
from __future__ import annotations

import itertools

from community.extensions import db
from community.forum import services as forum
from community.forum.models import Board, BoardKind, Visibility
from community.members.models import Role
from community.members.services import register_member

PASSWORD = "correct-horse-battery-9"
_seq = itertools.count(1)


def member(username: str | None = None, role: Role | str = Role.member, password: str = PASSWORD, **kwargs):
    n = next(_seq)
    username = username or f"member{n}"
    obj = register_member(username, kwargs.pop("email", f"{username}@example.com"), password,
                          role=Role(role), **kwargs)
    db.session.commit()
    return obj


def board(slug: str | None = None, kind: BoardKind | str = BoardKind.discussion,
          visibility: Visibility | str = Visibility.public, **kwargs):
    n = next(_seq)
    slug = slug or f"board-{n}"
    obj = Board(slug=slug, name=kwargs.pop("name", f"Board {n}"), kind=BoardKind(kind),
                visibility=Visibility(visibility), **kwargs)
    db.session.add(obj)
    db.session.commit()
    return obj


def thread(board=None, author=None, title: str | None = None, body: str = "The opening post of this thread.", **kwargs):
    board = board or globals()["board"]()
    staff_only = board.kind is BoardKind.announcement or board.visibility is Visibility.staff
    author = author or member(role=Role.staff if staff_only else Role.member)
    obj = forum.start_thread(author, board, title or f"Thread number {next(_seq)}", body)
    db.session.commit()
    return obj


def post(thread, author=None, body: str = "A reply with something useful to say.", reply_to=None):
    author = author or member()
    obj = forum.reply(author, thread, body, reply_to=reply_to)
    db.session.commit()
    return obj
