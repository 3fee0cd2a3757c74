"""/settings/avatar (upload, remove, colour) and /u/<username>/card (the user card fragment)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

from ..extensions import db, limiter
from ..forms import ConfirmForm, submit
from ..members.models import Member, username_key
from ..permissions import can_act_on_member, is_suspended
from . import services
from .markup import PALETTE

bp = Blueprint("avatars", __name__)

# An upload a little over the avatar limit must reach the view to be refused on the form, not as a 413.
_BODY_MARGIN = 2 * 1024 * 1024


class AvatarForm(FlaskForm):
    file = FileField(_l("Picture"), description=_l("PNG, JPEG, GIF or WebP; cropped to a square."))


class ColourForm(FlaskForm):
    colour = RadioField(_l("Colour of your letter avatar"), coerce=str,
                        choices=[SelectChoice("", _l("Automatic"))]
                        + [SelectChoice(str(i), str(i + 1)) for i in range(len(PALETTE))])


@bp.url_value_preprocessor
def _larger_body_for_avatars(endpoint, values):
    if endpoint == "avatars.upload" and current_user.is_authenticated:
        request.max_content_length = current_app.config["AVATAR_MAX_BYTES"] + _BODY_MARGIN


def _page(upload_form=None, colour_form=None, status=200):
    member = current_user._get_current_object()
    colour_form = colour_form or ColourForm(data={"colour": "" if member.avatar_color is None
                                                  else str(member.avatar_color)})
    upload_form = upload_form or AvatarForm()
    return render_template("community/avatars/settings.html", member=member,
                           upload_errors=[*upload_form.form_errors, *upload_form.file.errors],
                           colour_errors=[*colour_form.form_errors, *colour_form.colour.errors]), status


@bp.route("/settings/avatar", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute; 60 per hour", methods=["POST"])
def upload():
    """Upload a new avatar (GET shows the form on its own page, also where errors are shown)."""
    if request.method == "GET":
        return _page()
    form = AvatarForm()
    if form.validate_on_submit() and submit(form, services.set_avatar, current_user._get_current_object(),
                                            form.file.data):
        flash(_("Your avatar has been saved."), "success")
        return redirect(url_for("members.settings", _anchor="avatar"))
    if not form.errors and not form.form_errors:
        form.form_errors.append(_("The form has expired. Please try again."))
    return _page(upload_form=form, status=422)


@bp.route("/settings/avatar/remove", methods=["POST"])
@login_required
def remove():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if submit(form, services.remove_avatar, current_user._get_current_object()).value:
        flash(_("Your avatar has been removed; your letter avatar shows instead."), "success")
    return redirect(url_for("members.settings", _anchor="avatar"))


@bp.route("/settings/avatar/colour", methods=["POST"])
@login_required
def colour():
    form = ColourForm()
    if form.validate_on_submit():
        chosen = int(form.colour.data) if form.colour.data else None
        if submit(form, services.set_colour, current_user._get_current_object(), chosen):
            flash(_("Your settings have been saved."), "success")
            return redirect(url_for("members.settings", _anchor="avatar"))
    return _page(colour_form=form, status=422)


@bp.route("/u/<username>/card")
@limiter.limit("120 per minute")
def card(username: str):
    """The user card: a small HTML fragment shown on hover or tap (the profile without JavaScript)."""
    member = db.session.scalar(select(Member).where(Member.username_key == username_key(username)))
    if member is None or member.deleted_at is not None:
        abort(404)
    # as on the profile: a suspension is shown to those who may lift it
    suspended = is_suspended(member) and can_act_on_member(current_user, member)
    return render_template("community/avatars/card.html", member=member, suspended=suspended)
