"""Member follows: follow a member to hear when they start a thread (`services`), counts on the profile.

- `POST /u/<username>/follow`, `POST /u/<username>/unfollow` (CSRF, signed in, rate limited; JSON
  `{"following", "followers"}` for fetch(), a redirect to the profile otherwise).
- When a followed member starts a thread, each follower who may read it gets a `followed_member`
  notification (`notifications.services.notify_many` checks the board for each of them).
- Follows are personal rows: "My data" lists them, account deletion removes both directions.
"""
from flask import Flask

from ..registry import register_template_slot
from ..signals import thread_created
from . import (
    models,  # noqa: F401  (tables known to create_all and Alembic)
    services,
    views,
)


def init_app(app: Flask) -> None:
    """Register the follow routes, the profile partial and the new-thread subscriber."""
    app.register_blueprint(views.bp)
    register_template_slot(app, "profile_extra", "community/follows/_profile.html", order=5)
    app.add_template_global(views.follow_state, "follow_state")
    thread_created.connect(services.on_thread_created, weak=False)
