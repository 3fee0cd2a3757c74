"""Uploaded files: one storage module behind `UPLOADS_PATH` and the route that serves what it stored.

`storage.save_image(file, kind, max_bytes, max_side)` is the one way an uploaded image enters the site
(the logo and favicon today; members' images and avatars later): it decodes the file to learn what it
really is, refuses anything else, re-encodes it without metadata and stores it under a random name.
`/uploads/<id>` serves it (see views).
"""
from __future__ import annotations

from flask import Flask

from . import views


def init_app(app: Flask) -> None:
    """Serve stored uploads at /uploads/<id>."""
    app.register_blueprint(views.bp)
