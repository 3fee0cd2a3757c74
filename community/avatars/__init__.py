"""Avatars and user cards.

- `markup.avatar(member, size=32)` (template global `avatar`): the member's picture, else their initial
  on a palette colour (CSS classes, the CSP forbids inline styles), else a neutral placeholder for
  former members. No query: it reads the member row loaded with the post or list.
- `services`: upload (checked and re-encoded by `uploads.storage`, cropped square, `AVATAR_SIZE` px),
  replace and remove (the old file deleted after the commit), the letter colour, account deletion.
- `views`: /settings/avatar (+ /remove, /colour), and `GET /u/<username>/card`: the user card fragment
  that static/js/usercard.js shows on hover, tap or Enter on any `[data-usercard]` link.

Avatar upload ids are PUBLIC: a member's avatar is shown to guests wherever their name is
(`services.is_avatar(upload_id)` answers whether an id is one). Settings: AVATAR_MAX_BYTES (5 MB),
AVATAR_SIZE (256).
"""
from flask import Flask

from ..registry import register_template_slot
from ..signals import member_deleting
from . import markup, services, views


def init_app(app: Flask) -> None:
    """Register the avatar pages, the card, the `avatar` template global and the settings partial."""
    app.config.setdefault("AVATAR_MAX_BYTES", 5 * 1024 * 1024)
    app.config.setdefault("AVATAR_SIZE", 256)
    app.register_blueprint(views.bp)
    app.add_template_global(markup.avatar, "avatar")
    app.add_template_global(markup.avatar_initial, "avatar_initial")
    app.add_template_global(lambda: len(markup.PALETTE), "avatar_palette_size")
    app.add_template_global(lambda: f"{app.config['AVATAR_MAX_BYTES'] / (1024 * 1024):g} MB", "avatar_max_size")
    register_template_slot(app, "settings_extra", "community/avatars/_settings.html", order=1)
    register_template_slot(app, "page_end", "community/avatars/_page_end.html", order=50)
    member_deleting.connect(services.on_member_deleting, weak=False)
