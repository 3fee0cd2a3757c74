"""`flask community board create|list|update` and `flask community member set-role`: boards and roles
from the command line, through the same services as the admin pages. Each command commits once; bad
input prints what is wrong and exits non-zero, with nothing saved."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..cli import community_cli
from ..errors import ServiceError
from ..extensions import db
from ..groups import services as group_services
from . import services

board_cli = AppGroup("board", help="Create, list and change boards.")
member_cli = AppGroup("member", help="Change members' roles.")

KINDS = ["discussion", "question", "idea", "announcement"]
VISIBILITIES = ["public", "members", "staff", "groups"]


def _fail(exc: ServiceError):
    db.session.rollback()
    details = "; ".join(f"{field}: {message}" for field, message in exc.fields.items()) or str(exc.message)
    raise click.ClickException(details)


def _describe(board) -> str:
    flags = " archived" if board.is_archived else ""
    if board.visibility.value == "groups":
        flags += " groups: " + ", ".join(g.name for g in group_services.board_groups(board))
    return (f"{board.slug}\t{board.kind.value}\t{board.visibility.value}\t{board.start_policy.value}"
            f"\t{board.thread_count} threads{flags}\t{board.name}")


@board_cli.command("create")
@click.option("--slug", required=True)
@click.option("--name", required=True)
@click.option("--kind", default="discussion", show_default=True, help="discussion, question, idea or announcement")
@click.option("--visibility", default="public", show_default=True, help="public, members, staff or groups")
@click.option("--group", "groups", multiple=True, help="with --visibility groups: a group that may read it (repeat)")
@click.option("--description", default="")
@click.option("--name-zh", default=None, help="the name in Simplified Chinese")
@click.option("--description-zh", default=None)
@click.option("--default-sort", default=None, help="latest, new, hot or top")
@click.option("--start-policy", default=None, help="who may start threads: members, trust or staff")
@click.option("--start-min-trust", default=None, help="with --start-policy trust: the lowest trust level (0-4)")
def create_board(**options) -> None:
    """Create a board."""
    data = {key: value for key, value in options.items() if value is not None}
    data["groups"] = list(data.get("groups") or ())
    try:
        board = services.create_board(None, data)
    except ServiceError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"Created board {board.slug} (id {board.id}).")


@board_cli.command("list")
def list_boards() -> None:
    """List every board (every visibility, archived ones too): slug, kind, visibility, who starts, name."""
    for board in services.ordered_boards():
        click.echo(_describe(board))


@board_cli.command("update")
@click.argument("slug")
@click.option("--slug", "new_slug", default=None, help="a new slug")
@click.option("--name", default=None)
@click.option("--description", default=None)
@click.option("--name-zh", default=None)
@click.option("--description-zh", default=None)
@click.option("--kind", default=None)
@click.option("--visibility", default=None)
@click.option("--group", "groups", multiple=True, help="the groups that may read it (repeat; replaces the list)")
@click.option("--no-groups", is_flag=True, default=False, help="clear the list of groups")
@click.option("--default-sort", default=None)
@click.option("--start-policy", default=None)
@click.option("--start-min-trust", default=None)
@click.option("--archive/--unarchive", default=None, help="make the board read-only, or open it again")
def update_board(slug: str, new_slug, archive, groups, no_groups, **options) -> None:
    """Change a board's fields (only those given)."""
    board = services.find_board(slug)
    if board is None:
        raise click.ClickException(f"No board has the slug {slug!r}.")
    data = {key: value for key, value in options.items() if value is not None}
    if groups or no_groups:
        data["groups"] = list(groups)
    if new_slug is not None:
        data["slug"] = new_slug
    try:
        changed = services.update_board(None, board, data)
        if archive is not None and archive != board.is_archived:
            services.set_archived(None, board, archive)
            changed.append("archived" if archive else "unarchived")
    except ServiceError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"Updated board {board.slug}: {', '.join(changed)}." if changed else f"Board {board.slug} unchanged.")


@member_cli.command("set-role")
@click.argument("username")
@click.argument("role")
def set_role(username: str, role: str) -> None:
    """Set a member's role: member, moderator, staff or admin."""
    member = services.find_member(username)
    if member is None:
        raise click.ClickException(f"No member has the username {username!r}.")
    try:
        changed = services.set_role(None, member, role)
    except ServiceError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"{member.username} is now {member.role.value}." if changed
               else f"{member.username} is {member.role.value} already.")


def init_app(app: Flask) -> None:
    community_cli.add_command(board_cli)
    community_cli.add_command(member_cli)
