"""A member deleted their account: their mail and every copy of their name in other mail go.

The member's own messages (rows with their address) are deleted, and so are the `.eml` copies the
file transport wrote into the instance folder (after the commit: a rolled-back deletion keeps them).
Other members' messages that name them ("ivy replied to your thread") keep their text with the name,
address and display name replaced by "[deleted member]"; their files are removed too, since a sent
file cannot be rewritten into what was sent (the admin page shows the stored text instead).
"""
from __future__ import annotations

from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import delete, or_, select

from ..aftercommit import after_commit
from ..extensions import db
from ..members.erasure import Identity
from ..signals import member_deleting
from .models import MailMessage
from .transport import FileTransport


def _remove_files(paths: list[str]) -> None:
    for path in paths:
        Path(path).unlink(missing_ok=True)


def on_member_deleting(member, **_kw) -> None:
    if not has_app_context() or member.id is None:
        return
    identity = Identity.of(member)
    own = or_(MailMessage.member_id == member.id, MailMessage.to_address == member.email)
    message_ids = list(db.session.scalars(select(MailMessage.message_id).where(own)))
    db.session.execute(delete(MailMessage).where(own), execution_options={"synchronize_session": False})
    mentioned = identity.where_mentioned(MailMessage.subject, MailMessage.text_body, MailMessage.html_body)
    if mentioned is not None:
        for message in db.session.scalars(select(MailMessage).where(mentioned)):
            scrubbed = {name: identity.scrub(getattr(message, name)) for name in ("subject", "text_body", "html_body")}
            if any(scrubbed[name] != getattr(message, name) for name in scrubbed):
                for name, value in scrubbed.items():
                    setattr(message, name, value)
                message_ids.append(message.message_id)
    folder = current_app.config.get("MAIL_FOLDER")
    if folder and message_ids:
        files = FileTransport(folder)
        after_commit(_remove_files, [str(files.path_for(mid)) for mid in message_ids])


def connect() -> None:
    member_deleting.connect(on_member_deleting, weak=False)
