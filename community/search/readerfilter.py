"""The reader's filter: what a member may not find, as one query every backend subtracts from every search.

What a reader may see is decided twice: inside the search query, which subtracts every document the
reader may not find (boards not readable per `permissions.readable_visibilities` and, for group-visible
boards, the reader's groups, both read from the database at query time, so a change of membership or of a
board's groups counts at once without rewriting documents; deleted, hidden or pending posts; whispers unless `can_see_whispers`), and then
`permissions.can_view_post` on the rows of the page (`query.search`), which also catches a change the
index has not caught up with yet.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from whoosh.query import Or, Term

from .. import permissions
from ..extensions import db
from ..forum.models import Board, Visibility


@dataclass
class Boards:
    readable: dict  # {slug: id} of the boards the reader may read
    others: list  # ids of every other board
    kinds: dict = field(default_factory=dict)  # {kind: [ids]} of the readable boards


def boards_of(member) -> Boards:
    """Sort the boards into readable and not, by their visibility in the database now (one query)."""
    visibilities = set(permissions.readable_visibilities(member))
    boards = Boards({}, [])
    for board_id, slug, visibility, kind in db.session.execute(
            select(Board.id, Board.slug, Board.visibility, Board.kind).order_by(Board.id)):
        if visibility in visibilities or (visibility is Visibility.groups
                                          and board_id in permissions.group_board_ids(member)):
            boards.readable[slug] = board_id
            boards.kinds.setdefault(kind.value, []).append(board_id)
        else:
            boards.others.append(board_id)
    return boards


def reader_filter(member, boards: Boards | None = None):
    """Return what `member` may not find, as a Whoosh query to subtract from every search.

    Raises NothingReadable when the member may read no board at all. Subtracting what is not allowed
    (usually few documents) is far cheaper in Whoosh than intersecting with everything that is.
    """
    boards = boards_of(member) if boards is None else boards
    if not boards.readable:
        raise NothingReadable
    parts = [Term("facts", "gone")]
    parts += [Term("facts", f"v_{v.value}") for v in _unreadable_visibilities(member)]
    parts += [Term("board_id", str(board_id)) for board_id in boards.others]
    if not _sees_whispers(member):
        parts.append(Term("facts", "whisper"))
    return Or(parts)


def _unreadable_visibilities(member) -> list:
    """The visibilities none of whose boards `member` may read (a group member reads some group boards:
    the others are subtracted by board id)."""
    readable = set(permissions.readable_visibilities(member))
    if permissions.group_board_ids(member):
        readable.add(Visibility.groups)
    return [v for v in Visibility if v not in readable]


class NothingReadable(Exception):
    """The reader may read no board."""


def _sees_whispers(member) -> bool:
    """Whispers (staff-only replies) show to whom moderation's predicate allows: staff and moderators."""
    predicate = getattr(permissions, "can_see_whispers", None)
    return predicate(member) if predicate else (permissions.is_staff(member) or permissions.is_moderator(member))


def reader_key(member, boards: Boards) -> tuple:
    """What decides the reader's filter (the boards it may not read, the visibilities, whether it sees
    whispers): readers with the same key may not find the same documents (backends cache by it)."""
    return (tuple(sorted(boards.others)), tuple(sorted(v.value for v in _unreadable_visibilities(member))),
            _sees_whispers(member))
