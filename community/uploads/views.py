"""/uploads/<id>: a stored upload with its real Content-Type, never sniffed, cached for good (names are random)."""
from __future__ import annotations

from flask import Blueprint, abort, send_file

from . import storage

bp = Blueprint("uploads", __name__)
ONE_YEAR = 365 * 24 * 3600


def send_upload(upload_id: str, max_age: int = ONE_YEAR):
    """Answer with a stored upload (404 when there is none by that id)."""
    path = storage.path_of(upload_id)
    if path is None:
        abort(404)
    response = send_file(path, mimetype=storage.content_type_of(upload_id), max_age=max_age, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if max_age == ONE_YEAR:
        response.cache_control.immutable = True
    return response


@bp.route("/uploads/<upload_id>")
def serve(upload_id: str):
    return send_upload(upload_id)
