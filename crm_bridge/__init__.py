"""The staff-facing CRM. It listens to the forum's signals; the forum never imports it.

Profiles (one per member), the timeline of everything a member did or met in the community
(written by `timeline.py` in the transaction of the event itself), staff notes, tags, owners,
lifecycle stages with their reasons, the audit log of staff access, and the member's own view of it
all ("My data"). Staff pages live under /crm; only staff and admins see them (`can_view_crm`).
"""
import click
from flask import Flask
from flask.cli import AppGroup


def init_app(app: Flask) -> None:
    """Register the CRM pages and commands and subscribe the bridge to the community's signals."""
    from . import models  # noqa: F401  (the tables, for Alembic and create_all)
    from . import erasure, feedback, moods, timeline, views

    app.config.setdefault("CRM_RESPONSE_TARGET_HOURS", 24)  # the queue lists feedback unanswered for longer
    app.register_blueprint(views.bp)
    timeline.connect()
    feedback.connect()
    _connect_once(moods.connect)
    _connect_once(erasure.connect)
    app.add_template_global(moods.for_post, "post_sentiment")
    app.cli.add_command(crm_cli)


_connected: set = set()


def _connect_once(connect) -> None:
    if connect not in _connected:
        connect()
        _connected.add(connect)


crm_cli = AppGroup("crm", help="The CRM bridge: stages, contacts, the outbox worker.")


@crm_cli.command("refresh-stages")
def refresh_stages() -> None:
    """Recompute every profile's derived lifecycle stage (members go dormant without an event)."""
    from sqlalchemy import select

    from community.extensions import db
    from community.members.models import Member

    from .services import ensure_profile, refresh_stage

    members = db.session.scalars(select(Member).where(Member.deleted_at.is_(None))).all()
    with click.progressbar(members, label="Refreshing stages") as bar:
        for member in bar:
            refresh_stage(ensure_profile(member))
    db.session.commit()
    click.echo(f"Refreshed {len(members)} profiles.")
