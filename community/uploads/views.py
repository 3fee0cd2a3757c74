"""/uploads/<id>: a stored upload with its real Content-Type, never sniffed; members' uploads only for who may read them.

The site's own files (logo, favicon: no Upload row) are public and cached for good. A member's upload is
served to whoever `services.may_read` lets in (404 for everyone else, as for anything a reader may not
see): publicly cacheable while a guest could see it too, otherwise `Cache-Control: private, no-cache`
(revalidated each time, so a post moved to a staff board stops being served at once). Anything that is
not a picture is sent as a download (`Content-Disposition: attachment`).
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, abort, send_file
from flask_login import current_user

from . import services, storage

bp = Blueprint("uploads", __name__)
ONE_YEAR = 365 * 24 * 3600
PUBLIC_MAX_AGE = 3600  # a picture whose post later turns private lingers in shared caches at most this long


def send_upload(upload_id: str, max_age: int = ONE_YEAR, *, download_name: str | None = None):
    """Answer with a stored upload (404 when there is none by that id)."""
    path = storage.path_of(upload_id)
    if path is None:
        abort(404)
    content_type = storage.content_type_of(upload_id)
    response = send_file(path, mimetype=content_type, max_age=max_age, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if content_type.startswith("image/"):
        response.headers["Content-Disposition"] = "inline"
    else:
        name = download_name or upload_id
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if max_age == ONE_YEAR:
        response.cache_control.immutable = True
    return response


@bp.route("/uploads/<upload_id>")
def serve(upload_id: str):
    if not storage.valid_id(upload_id):
        abort(404)
    row = services.find_for_serving(upload_id)
    if row is None:  # the site's own pictures (logo, favicon): public; any other file without its row: nothing
        if not storage.content_type_of(upload_id).startswith("image/"):
            abort(404)
        return send_upload(upload_id)
    allowed, public = services.may_read(current_user, row)
    if not allowed:
        abort(404)
    name = row.original_name if row.kind == "file" else None
    response = send_upload(upload_id, max_age=PUBLIC_MAX_AGE if public else 0, download_name=name)
    if public:
        response.cache_control.public = True
    else:
        response.cache_control.public = False
        response.cache_control.private = True
        response.cache_control.no_cache = True
        response.cache_control.max_age = None
    return response
