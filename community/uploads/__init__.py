"""Uploaded files: one storage module behind `UPLOADS_PATH`, members' pictures and attachments, and the route
that serves what it stored.

`storage.save_image(file, kind, max_bytes, max_side)` is the one way an uploaded image enters the site
(the logo and favicon, members' pictures): it decodes the file to learn what it really is, refuses anything
else, re-encodes it without metadata and stores it under a random name. Members upload through
`POST /api/v1/uploads` (api.py; the composer's static/js/uploads.js); `services` holds the rules (settings,
quota, which posts use which upload, who may read it) and `register_upload_reader(app, fn)` for other areas.
`/uploads/<id>` serves it (see views).
"""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, request

from ..signals import post_created, post_edited, thread_created
from . import models  # noqa: F401  (tables known to create_all and Alembic)

# The rest is imported by init_app: the site's branding imports `storage` while the app's modules load.


def register_upload_reader(app: Flask, reader, *, in_use=None) -> None:
    """Let another area say who may read an upload: `reader(member, upload) -> bool`, and which uploads it
    uses (`in_use()` -> a SQL select of upload ids, kept by the pruner). See services."""
    from . import services  # noqa: PLC0415
    services.register_upload_reader(app, reader, in_use=in_use)


def _on_post_created(post, **_):
    from . import services  # noqa: PLC0415
    services.link_post(post, new=True)  # a reply made in this transaction: nothing linked yet


def _on_thread_created(thread, post=None, **_):
    from . import services  # noqa: PLC0415
    if post is not None:
        services.link_post(post, new=True)


def _on_post_edited(post, editor=None, **_):
    from . import services  # noqa: PLC0415
    services.link_post(post, by=editor)


def _larger_body_for_uploads(endpoint, values):
    # before every before_request hook (the hostile-input check parses the form): an upload may be larger
    # than other requests, up to the admins' size limit
    if endpoint == "uploads_api.create_upload":
        from . import services  # noqa: PLC0415
        request.max_content_length = services.request_limit()


def init_app(app: Flask) -> None:
    """Serve stored uploads at /uploads/<id>, link uploads to posts on save, prune unused ones daily."""
    from ..registry import register_scheduled_job, register_template_slot  # noqa: PLC0415
    from . import admin, api, services, views  # noqa: PLC0415

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.url_value_preprocessor(_larger_body_for_uploads)
    thread_created.connect(_on_thread_created)
    post_created.connect(_on_post_created)
    post_edited.connect(_on_post_edited)
    register_template_slot(app, "composer_extra", "community/uploads/_attach.html", order=10)
    register_scheduled_job(app, "uploads.prune_orphans", services.prune_orphans, every=timedelta(hours=6))
    admin.init_app(app)
