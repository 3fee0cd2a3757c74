"""The admin predicates and the board settings in can_start_thread / can_reply, as truth tables."""
from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from community import permissions as can
from community.dbtypes import utcnow
from community.forum.models import StartPolicy
from community.members.models import Role

ROLES = ["guest", "member", "moderator", "staff", "admin"]


def actor(make, role):
    return AnonymousUserMixin() if role == "guest" else make.member(role=Role(role))


@pytest.mark.parametrize("role, administer, boards, members", [
    ("guest", False, False, False), ("member", False, False, False), ("moderator", False, False, False),
    ("staff", True, False, True), ("admin", True, True, True)])
def test_admin_area_truth_table(make, role, administer, boards, members):
    who = actor(make, role)
    assert can.can_administer(who) is administer
    assert can.can_manage_boards(who) is boards
    assert can.can_manage_members(who) is members
    assert can.can_use_admin_api(who) is boards


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target_role", ["member", "moderator", "staff", "admin"])
@pytest.mark.parametrize("new_role", ["member", "moderator", "staff", "admin"])
def test_set_role_truth_table(make, role, target_role, new_role):
    who = actor(make, role)
    target = make.member(role=Role(target_role))
    expected = role == "admin" or (role == "staff" and target_role in ("member", "moderator")
                                   and new_role in ("member", "moderator"))
    assert can.can_set_role(who, target, new_role) is expected


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_only_admins_change_their_own_role(make, role):
    who = make.member(role=Role(role))
    assert can.can_set_role(who, who, "member") is (role == "admin")


@pytest.mark.parametrize("policy, level, starters", [
    (StartPolicy.members, 0, {"member", "trusted", "moderator", "staff", "admin"}),
    (StartPolicy.trust, 3, {"trusted", "moderator", "staff", "admin"}),
    (StartPolicy.staff, 0, {"staff", "admin"})])
def test_start_policy_truth_table(make, policy, level, starters):
    board = make.board(start_policy=policy, start_min_trust=level)
    thread = make.thread(board=board, author=make.member(role=Role.admin))
    people = {role: actor(make, role) for role in ROLES}
    people["trusted"] = make.member()
    people["trusted"].trust_level = 3
    for name, who in people.items():
        assert can.can_start_thread(who, board) is (name in starters), name
        assert can.can_reply(who, thread) is (name != "guest"), name  # the policy is about new threads only


@pytest.mark.parametrize("role", ROLES)
def test_an_archived_board_takes_nothing_new_from_anyone(make, role):
    board = make.board()
    thread = make.thread(board=board, author=make.member(role=Role.admin))
    board.archived_at = utcnow()
    who = actor(make, role)
    assert can.can_view_board(who, board) and can.can_view_thread(who, thread)
    assert not can.can_start_thread(who, board) and not can.can_reply(who, thread)
