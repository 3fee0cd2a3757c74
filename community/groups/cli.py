"""`flask community group create|list|add`: groups from the command line, through the same services."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..cli import community_cli
from ..errors import ServiceError
from ..extensions import db
from . import services

group_cli = AppGroup("group", help="Create and list groups of members; add members.")


def _fail(exc: ServiceError):
    db.session.rollback()
    details = "; ".join(f"{field}: {message}" for field, message in exc.fields.items()) or str(exc.message)
    raise click.ClickException(details)


@group_cli.command("create")
@click.argument("name")
@click.option("--name-zh", default=None)
@click.option("--description", default=None)
@click.option("--badge/--no-badge", default=False, help="show the group beside its members' names")
def create_group(name: str, name_zh, description, badge: bool) -> None:
    """Create a group."""
    data = {"name": name, "show_badge": badge}
    if name_zh is not None:
        data["name_zh"] = name_zh
    if description is not None:
        data["description"] = description
    try:
        group = services.create_group(None, data)
    except ServiceError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"Created group {group.name} (id {group.id}).")


@group_cli.command("list")
def list_groups() -> None:
    """List the groups: name, members, badge."""
    for group, count in services.all_groups():
        click.echo(f"{group.name}\t{count} members{'  badge' if group.show_badge else ''}")


@group_cli.command("add")
@click.argument("name")
@click.argument("members", nargs=-1, required=True)
def add_members(name: str, members) -> None:
    """Add members (usernames or emails) to a group: all or nothing."""
    group = services.find_group(name)
    if group is None:
        raise click.ClickException(f"No group has the name {name!r}.")
    try:
        result = services.add_members(None, group, list(members))
    except ServiceError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"Added {len(result.added)}; {len(result.already)} in the group already.")


def init_app(app: Flask) -> None:
    community_cli.add_command(group_cli)
