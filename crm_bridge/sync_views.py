"""The staff page of the external CRM sync (/crm/sync): paused or not, pending, failed, conflicts; pick a side."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.extensions import db

from . import sync
from .permissions import can_view_crm

bp = Blueprint("crm_sync", __name__)


def _staff_only() -> None:
    if not can_view_crm(current_user):  # nothing here for anyone else: 404, as every CRM page
        abort(404)


def _connector_name() -> str:
    conn = sync.connector()
    return conn.name if conn is not None else "tryton"


@bp.route("/crm/sync")
@login_required
def index():
    _staff_only()
    configured = sync.connector() is not None
    return render_template("crm_bridge/sync.html", data=sync.status(_connector_name()), configured=configured)


@bp.route("/crm/sync/conflicts/<int:link_id>", methods=["POST"])
@login_required
def resolve(link_id: int):
    _staff_only()
    link = db.get_or_404(sync.SyncLink, link_id)
    side = request.form.get("side", "")
    if link.state != "conflict" or side not in ("here", "there"):
        flash(_("Choose which side to keep: ours or the CRM's."), "error")
        return redirect(url_for("crm_sync.index")), 303
    sync.resolve_conflict(link, side)
    db.session.commit()
    flash(_("Your choice is applied at the next sync."))
    return redirect(url_for("crm_sync.index"))


@bp.route("/crm/sync/items/<int:item_id>/retry", methods=["POST"])
@login_required
def retry(item_id: int):
    _staff_only()
    item = db.get_or_404(sync.SyncItem, item_id)
    sync.retry_item(item)
    db.session.commit()
    flash(_("The item is sent again at the next sync."))
    return redirect(url_for("crm_sync.index"))
