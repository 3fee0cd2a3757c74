"""/admin/uploads: what members may upload (types, sizes, trust levels, daily quota) and each board's rule."""
from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange

from .. import settings
from ..admin import services as admin_services
from ..admin.sections import Section, add_section, sections_for
from ..forms import submit
from ..permissions import can_manage_site_settings
from . import services, storage

bp = Blueprint("uploads_admin", __name__, url_prefix="/admin/uploads")
TRUST_CHOICES = [SelectChoice(str(n), str(n)) for n in range(5)] + [SelectChoice("5", _l("Nobody (staff only)"))]
BOARD_CHOICES = [SelectChoice("all", _l("Pictures and files")), SelectChoice("images", _l("Pictures only")),
                 SelectChoice("none", _l("No uploads"))]
MB = 1024 * 1024


class UploadSettingsForm(FlaskForm):
    file_extensions = StringField(_l("Attachment types"), description=_l(
        "Space-separated, from: %(types)s. Pictures (PNG, JPEG, GIF, WebP) are always accepted; SVG never.",
        types=" ".join(storage.FILE_TYPES)))
    max_image_mb = IntegerField(_l("Largest picture (MB)"), validators=[InputRequired(), NumberRange(1, 100)])
    max_file_mb = IntegerField(_l("Largest attachment (MB)"), validators=[InputRequired(), NumberRange(1, 100)])
    max_image_side = IntegerField(_l("Pictures are shrunk to (pixels, longer side)"),
                                  validators=[InputRequired(), NumberRange(64, 8000)])
    images_min_trust = SelectField(_l("Lowest trust level that may upload pictures"), choices=TRUST_CHOICES)
    files_min_trust = SelectField(_l("Lowest trust level that may attach files"), choices=TRUST_CHOICES)
    daily_count = IntegerField(_l("Uploads per member per day (0: no limit)"),
                               validators=[InputRequired(), NumberRange(0, 100000)])
    daily_mb = IntegerField(_l("MB per member per day (0: no limit)"),
                            validators=[InputRequired(), NumberRange(0, 100000)])
    mb_by_trust = StringField(_l("Largest upload at trust levels 0 to 4 (MB)"), description=_l(
        "Five numbers, for example \"2 5 0 0 0\": new members send at most 2 MB. 0: the sizes above."))


def _current() -> dict:
    return {"file_extensions": services.FILE_EXTENSIONS.value, "max_image_mb": services.MAX_IMAGE_BYTES.value // MB,
            "max_file_mb": services.MAX_FILE_BYTES.value // MB, "max_image_side": services.MAX_IMAGE_SIDE.value,
            "images_min_trust": str(services.IMAGES_MIN_TRUST.value),
            "files_min_trust": str(services.FILES_MIN_TRUST.value), "daily_count": services.DAILY_COUNT.value,
            "daily_mb": services.DAILY_BYTES.value // MB,
            "mb_by_trust": " ".join(str(n) for n in services.MB_BY_TRUST.value)}


def _numbers(text: str | None) -> list:
    """ "2 5 0 0 0" -> [2, 5, 0, 0, 0]; anything else is handed on as it is, for the setting's check to refuse."""
    words = (text or "").replace(",", " ").split()
    if not words:
        return [0, 0, 0, 0, 0]  # left empty: the sizes above for everyone
    return [int(w) for w in words] if all(w.isdigit() for w in words) else words


def _save(admin, form: UploadSettingsForm, boards, chosen: dict) -> None:
    policies = {str(b.id): chosen[b.id] for b in boards if chosen.get(b.id) in ("images", "none")}
    settings.save({"uploads.file_extensions": " ".join((form.file_extensions.data or "").lower().split()),
                   "uploads.max_image_bytes": form.max_image_mb.data * MB,
                   "uploads.max_file_bytes": form.max_file_mb.data * MB,
                   "uploads.max_image_side": form.max_image_side.data,
                   "uploads.images_min_trust": int(form.images_min_trust.data),
                   "uploads.files_min_trust": int(form.files_min_trust.data),
                   "uploads.daily_count": form.daily_count.data,
                   "uploads.daily_bytes": form.daily_mb.data * MB,
                   "uploads.max_mb_by_trust": _numbers(form.mb_by_trust.data),
                   "uploads.board_policies": policies}, by=admin)


@bp.route("", methods=["GET", "POST"])
@login_required
def settings_page():
    if not can_manage_site_settings(current_user):
        abort(404)
    form = UploadSettingsForm(data=None if request.method == "POST" else _current())
    boards = admin_services.ordered_boards()
    policies = services.BOARD_POLICIES.value
    chosen = {b.id: policies.get(str(b.id), "all") for b in boards}
    status = 200
    if request.method == "POST":
        chosen = {b.id: request.form.get(f"board-{b.id}", "all") for b in boards}
        if form.validate() and submit(form, _save, current_user, form, boards, chosen):
            flash(_("The upload settings have been saved."), "success")
            return redirect(url_for("uploads_admin.settings_page"))
        status = 422
    return render_template("community/uploads/admin.html", sections=sections_for(current_user), section="uploads",
                           form=form, boards=boards, chosen=chosen, board_choices=BOARD_CHOICES), status


def init_app(app: Flask) -> None:
    add_section(Section("uploads", _l("Uploads"), "uploads_admin.settings_page", can_manage_site_settings,
                        _l("Pictures and files members attach: types, sizes, trust levels, daily quota and "
                           "each board's rule."), order=8))
    app.register_blueprint(bp)
