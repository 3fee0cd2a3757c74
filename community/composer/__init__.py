"""The composer: one text box for new threads, replies, edits and private messages.

- `models.Draft`: what a member typed and has not sent yet, one per member and place (the draft keys in
  `services.KEY_RE`); saved by static/js/composer.js as one types, discarded when the text is sent.
- `api`: POST /api/v1/preview, GET/PUT/DELETE /api/v1/drafts/<key>, GET /api/v1/members/suggest and
  /api/v1/tags/suggest; `views`: the member's /drafts page.
- templates/_macros/composer.html: the `composer(...)` macro every form with a post body uses.
"""
from pathlib import Path

from flask import Flask

from ..extensions import csrf
from ..registry import register_template_slot
from ..signals import member_deleting, post_created, post_edited, thread_created
from . import (
    api,
    models,  # noqa: F401  (so that create_all and Alembic know the drafts table)
    services,
    views,
)

UPLOADS_SCRIPT = "js/uploads.js"  # community/uploads' script, loaded by its "composer_extra" slot


def init_app(app: Flask) -> None:
    """Register the drafts page and API, and discard a draft when its text is sent or its member leaves."""
    # The toolbar's image button is uploads.js's to serve: shown only when that script is there.
    uploads = (Path(app.static_folder or "") / UPLOADS_SCRIPT).is_file()
    app.jinja_env.globals["composer_uploads"] = lambda: uploads
    app.register_blueprint(views.bp)
    csrf.exempt(api.bp)  # the API's own rule: cookie sessions need the token, bearer requests do not
    app.register_blueprint(api.bp)
    register_template_slot(app, "settings_extra", "community/composer/_settings.html", order=40)
    member_deleting.connect(services.on_member_deleting, weak=False)
    thread_created.connect(services.on_thread_created, weak=False)
    post_created.connect(services.on_post_created, weak=False)
    post_edited.connect(services.on_post_edited, weak=False)
