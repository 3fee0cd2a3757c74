"""`flask community board create|list|update` and `flask community member set-role`, through Click's runner."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.forum.models import Board
from community.members.models import Role
from community.moderation.models import ModerationAction


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        result = runner.invoke(args=["community", *args])
        db.session.expire_all()
        return result

    return invoke


def boards() -> int:
    return db.session.scalar(select(func.count()).select_from(Board))


def test_board_create_list_and_update(run, client):
    result = run("board", "create", "--slug", "support", "--name", "Support", "--kind", "question",
                 "--visibility", "members", "--description", "Ask us")
    assert result.exit_code == 0, result.output
    board = db.session.scalar(select(Board).where(Board.slug == "support"))
    assert (board.name, board.kind.value, board.visibility.value, board.description) == (
        "Support", "question", "members", "Ask us")
    listing = run("board", "list")
    assert listing.exit_code == 0 and "support" in listing.output and "members" in listing.output
    assert client.get("/b/support").status_code == 404  # members only: a guest does not see it
    result = run("board", "update", "support", "--visibility", "public", "--name", "Help", "--name-zh", "帮助")
    assert result.exit_code == 0, result.output
    board = db.session.scalar(select(Board).where(Board.slug == "support"))
    assert (board.name, board.name_zh, board.visibility.value) == ("Help", "帮助", "public")
    assert client.get("/b/support").status_code == 200
    assert run("board", "update", "support", "--archive").exit_code == 0
    assert "archived" in run("board", "list").output


@pytest.mark.parametrize("args, message", [
    (["--slug", "Bad Slug", "--name", "X"], "slug"),
    (["--slug", "ok", "--name", "X", "--kind", "forum"], "kind"),
    (["--slug", "ok", "--name", "X", "--visibility", "secret"], "visibility"),
    (["--slug", "ok", "--name", "   "], "name"),
    (["--slug", "dup", "--name", "Again"], "slug"),
])
def test_board_create_refuses_bad_input_and_saves_nothing(run, make, args, message):
    make.board("dup")
    before = boards()
    result = run("board", "create", *args)
    assert result.exit_code != 0 and message in result.output, result.output
    assert boards() == before


def test_board_update_of_an_unknown_board_or_bad_value_fails(run, make):
    make.board("real", name="Real")
    assert run("board", "update", "nope", "--name", "X").exit_code != 0
    result = run("board", "update", "real", "--kind", "forum", "--name", "Changed")
    assert result.exit_code != 0 and "kind" in result.output
    assert db.session.scalar(select(Board.name).where(Board.slug == "real")) == "Real"


def test_member_set_role_changes_the_role_and_logs_it(run, make):
    member = make.member("ann")
    result = run("member", "set-role", "ann", "moderator")
    assert result.exit_code == 0, result.output
    db.session.refresh(member)
    assert member.role is Role.moderator
    line = db.session.scalar(select(ModerationAction).where(ModerationAction.action == "role"))
    assert line.member_id == member.id and line.actor_id is None and line.data["role"] == "moderator"


@pytest.mark.parametrize("args", [["ann", "overlord"], ["nobody", "staff"]])
def test_member_set_role_refuses_bad_input(run, make, args):
    make.member("ann")
    result = run("member", "set-role", *args)
    assert result.exit_code != 0 and result.output.strip()
    assert db.session.scalar(select(func.count()).select_from(ModerationAction)) == 0


def test_the_last_admin_cannot_be_demoted_from_the_command_line(run, make):
    root = make.member("root", role=Role.admin)
    result = run("member", "set-role", "root", "member")
    assert result.exit_code != 0 and "admin" in result.output
    db.session.refresh(root)
    assert root.role is Role.admin
