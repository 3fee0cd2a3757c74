"""The member's drafts page: what they started writing and where it belongs, with a delete button."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import ServiceError
from ..extensions import db
from ..forms import ConfirmForm
from . import services

bp = Blueprint("composer", __name__)


@bp.route("/drafts")
@login_required
def drafts():
    return render_template("community/composer/drafts.html", rows=services.drafts_with_places(current_user),
                           form=ConfirmForm())


@bp.route("/drafts/delete", methods=["POST"])
@login_required
def delete():
    form = ConfirmForm()
    key = request.form.get("key", "")
    if form.validate_on_submit():
        try:
            services.check_key(key)
        except ServiceError:
            pass  # nothing of this member's has that key
        else:
            services.discard_draft(current_user, key)
            db.session.commit()
            flash(_("The draft has been deleted."), "info")
    return redirect(url_for("composer.drafts"))
