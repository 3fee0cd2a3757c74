"""/new, /unread and "Mark all as read" (signed-in members; guests are sent to sign in)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..forms import ConfirmForm
from ..web import page_arg, paged
from . import services

bp = Blueprint("unread", __name__)


@bp.route("/new")
@login_required
def new():
    threads = paged(services.new_threads, current_user._get_current_object(), page_arg())
    return render_template("community/unread/list.html", threads=threads, which="new", form=ConfirmForm())


@bp.route("/unread")
@login_required
def unread():
    threads = paged(services.unread_threads, current_user._get_current_object(), page_arg())
    return render_template("community/unread/list.html", threads=threads, which="unread", form=ConfirmForm())


@bp.route("/unread/mark-all-read", methods=["POST"])
@login_required
def mark_all_read():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.mark_all_read(current_user._get_current_object())
    db.session.commit()
    flash(_("Everything is marked as read."), "success")
    return redirect(url_for("unread.unread"))
