"""The share links of a thread and its WeChat QR code (segno, SVG, drawn here)."""
from __future__ import annotations

import io
from urllib.parse import urlencode

import segno
from flask import Blueprint, Response, abort, url_for
from flask_babel import gettext as _

from ..extensions import db
from ..forum.models import Thread
from ..permissions import can_view_thread

bp = Blueprint("share", __name__)
QR_MAX_AGE = 24 * 3600


def _public(thread: Thread) -> bool:
    """Whether a guest may read `thread` (only then is it offered to other sites)."""
    return can_view_thread(None, thread)


def share_links(thread: Thread) -> dict | None:
    """The thread's absolute address and the networks' share links; None when a guest cannot read it."""
    url = url_for("forum.thread", thread_id=thread.id, _external=True)
    if not _public(thread):
        return {"url": url, "networks": []}
    title = thread.title
    return {"url": url, "networks": [
        ("weibo", _("Weibo"), "https://service.weibo.com/share/share.php?" + urlencode({"url": url, "title": title})),
        ("twitter", "X", "https://x.com/intent/tweet?" + urlencode({"url": url, "text": title})),
        ("facebook", _("Facebook"), "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})),
    ], "wechat_qr": url_for("share.wechat_qr", thread_id=thread.id)}


def qr_svg(text: str) -> bytes:
    """An SVG QR code of `text` (error correction M: survives a phone camera at an angle)."""
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="svg", scale=5, border=2, xmldecl=False,
                                                  title="QR", dark="#000", light="#fff")
    return out.getvalue()


@bp.route("/share/thread/<int:thread_id>/wechat.svg")
def wechat_qr(thread_id: int):
    """The QR code WeChat users scan to open the thread (public threads only)."""
    thread = db.session.get(Thread, thread_id)
    if thread is None or not _public(thread):
        abort(404)
    response = Response(qr_svg(url_for("forum.thread", thread_id=thread.id, _external=True)),
                        mimetype="image/svg+xml")
    response.headers["Cache-Control"] = f"public, max-age={QR_MAX_AGE}"
    return response
