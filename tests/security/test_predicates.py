"""can_locate_post as a truth table: role x post state (what permalinks, live fragments and catch-ups go by)."""
from __future__ import annotations

import pytest

from community.dbtypes import utcnow
from community.extensions import db
from community.forum import services as forum
from community.members.models import Role
from community.permissions import can_locate_post

ROLES = ["guest", "member", "author", "moderator", "staff", "admin"]
# state -> roles that find the post (or its marker) on the thread page
LOCATES = {
    "public": set(ROLES),
    "hidden": set(ROLES),             # a marker stands in its place
    "deleted": set(ROLES),            # likewise
    "whisper": {"author", "moderator", "staff", "admin"},  # the author of a whisper is staff here
    "deleted whisper": {"moderator", "admin"},
    "pending": {"author", "moderator", "admin"},
}


@pytest.mark.parametrize("state", list(LOCATES))
def test_who_locates_a_post(make, state):
    thread = make.thread(board=make.board())
    people = {role: make.member(f"p_{role}", role={"moderator": Role.moderator, "staff": Role.staff,
                                                   "admin": Role.admin}.get(role, Role.member))
              for role in ROLES if role != "guest"}
    author = people["author"]
    if "whisper" in state:
        author.role = Role.staff
        db.session.commit()
    post = forum.reply(author, thread, "A reply in some state.", whisper="whisper" in state)
    if state == "hidden":
        post.hidden_at = utcnow()
    if state == "pending":
        post.pending = True
    if "deleted" in state:
        post.deleted_at = utcnow()
    db.session.commit()

    class Guest:
        is_authenticated = False

    found = {role for role in ROLES if can_locate_post(people.get(role, Guest()), post)}
    assert found == LOCATES[state]
