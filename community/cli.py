"""`flask community ...` commands. Each command owns its transaction and commits once."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from .errors import ServiceError
from .extensions import db
from .members.models import Role
from .members.services import register_member

community_cli = AppGroup("community", help="Manage the community.")


@community_cli.command("create-admin")
@click.option("--username", required=True)
@click.option("--email", required=True)
@click.option("--password", required=True)
def create_admin(username: str, email: str, password: str) -> None:
    """Create an administrator account (no prompts)."""
    try:
        member = register_member(username, email, password, role=Role.admin)
    except ServiceError as exc:
        db.session.rollback()
        details = "; ".join(f"{field}: {message}" for field, message in exc.fields.items()) or str(exc.message)
        raise click.ClickException(details) from exc
    db.session.commit()
    click.echo(f"Created admin {member.username} (id {member.id}).")


def init_app(app: Flask) -> None:
    app.cli.add_command(community_cli)
