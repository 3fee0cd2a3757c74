"""/admin/registration: the mode and domain lists (admins), invitations and the approval queue (staff).

Thin: load (404) -> predicate (404 for a reader who may not use the section, 403 for a staff member
changing what only admins change) -> one service -> commit -> redirect or page (422 with the form's errors).
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from .. import settings
from ..extensions import db, limiter
from ..forms import submit
from ..members.registration import MODE_LABELS, MODES
from ..members.registration_models import Invite
from ..permissions import can_configure_registration, can_manage_invites, can_review_registrations
from ..web import page_arg, paged
from . import registration as services
from .sections import sections_for

bp = Blueprint("admin_registration", __name__, url_prefix="/admin/registration")


class RegistrationSettingsForm(FlaskForm):
    mode = SelectField(_l("Registration mode"), choices=[SelectChoice(m, MODE_LABELS[m]) for m in MODES], validate_choice=False)
    allowed_domains = TextAreaField(_l("Allowed email domains"), validators=[Optional()], description=_l(
        "One per line. When not empty, only addresses at these domains (or their subdomains) can register."))
    blocked_domains = TextAreaField(_l("Blocked email domains"), validators=[Optional()], description=_l(
        "One per line. Addresses at these domains (or their subdomains) cannot register."))
    staff_domains = TextAreaField(_l("Staff email domains"), validators=[Optional()], description=_l(
        "One per line. When not empty, only members with an address at these domains can be made moderator, "
        "staff or admin."))


class InviteForm(FlaskForm):
    max_uses = IntegerField(_l("How many people can use it"), default=1, validators=[Optional()])
    days = IntegerField(_l("Valid for (days)"), default=7, validators=[Optional()])
    email = EmailField(_l("For this email address (optional)"), validators=[Optional()])
    note = StringField(_l("Note (shown to staff only)"), validators=[Optional()])


class DecisionForm(FlaskForm):
    reason = TextAreaField(_l("Reason (sent to the applicant)"), validators=[Optional()])


def _require(predicate) -> None:
    if not predicate(current_user):
        abort(404)


def _render(template: str, status: int = 200, **context):
    return render_template(template, sections=sections_for(current_user), section="registration",
                           **context), status


def _settings_form(form=None):
    if form is not None:
        return form
    values = settings.values()
    return RegistrationSettingsForm(data={
        "mode": values["registration.mode"],
        "allowed_domains": "\n".join(values["registration.allowed_domains"]),
        "blocked_domains": "\n".join(values["registration.blocked_domains"]),
        "staff_domains": "\n".join(values["roles.staff_domains"])})


@bp.route("", methods=["GET", "POST"])
@login_required
def overview():
    """The mode and lists (admins change them, staff read them) and how many accounts wait."""
    _require(can_manage_invites)
    form, status = None, 200
    if request.method == "POST":
        if not can_configure_registration(current_user):
            abort(403)
        form = RegistrationSettingsForm()
        if form.validate() and submit(form, services.save_registration_settings, current_user,
                                      mode=form.mode.data or "", allowed=form.allowed_domains.data or "",
                                      blocked=form.blocked_domains.data or "", staff=form.staff_domains.data or ""):
            flash(_("Registration settings saved."), "success")
            return redirect(url_for("admin_registration.overview"))
        status = 422
    from_settings = settings.values()
    return _render("community/admin/registration.html", status, form=_settings_form(form),
                   can_configure=can_configure_registration(current_user), mode=from_settings["registration.mode"],
                   labels=MODE_LABELS, pending=services.queue_page(1, 1).total)


# ---- invitations ----------------------------------------------------------------------------

@bp.route("/invites", methods=["GET", "POST"])
@login_required
@limiter.limit("60 per hour", methods=["POST"])
def invites():
    _require(can_manage_invites)
    form, status, created = InviteForm(), 200, None
    if request.method == "POST":
        status = 422
        if form.validate():
            done = submit(form, services.create_invite, current_user, max_uses=form.max_uses.data,
                          days=form.days.data, note=form.note.data or "", email=form.email.data or "")
            if done:
                invite, token = done.value
                created = {"invite": invite, "url": url_for("members.invite", token=token, _external=True)}
                form, status = InviteForm(formdata=None), 201
    found = paged(services.invites_page, page_arg())
    return _render("community/admin/invites.html", status, form=form, found=found, created=created)


@bp.route("/invites/<int:invite_id>/revoke", methods=["POST"])
@login_required
def revoke_invite(invite_id: int):
    _require(can_manage_invites)
    invite = db.get_or_404(Invite, invite_id)
    if not FlaskForm().validate():
        abort(400)
    if services.revoke_invite(current_user, invite):
        db.session.commit()
        flash(_("The invitation has been withdrawn."), "success")
    return redirect(url_for("admin_registration.invites"))


# ---- the approval queue ---------------------------------------------------------------------

@bp.route("/queue")
@login_required
def queue():
    _require(can_review_registrations)
    found = paged(services.queue_page, page_arg())
    return _render("community/admin/registration_queue.html", found=found, form=DecisionForm())


@bp.route("/queue/<int:member_id>/<any(approve, reject):decision>", methods=["POST"])
@login_required
def decide(member_id: int, decision: str):
    _require(can_review_registrations)
    application = services.pending_application(member_id)
    if application is None:
        abort(404)
    form = DecisionForm()
    name = application.member.username
    if not form.validate():
        abort(400)
    done = submit(form, services.decide, current_user, application, decision == "approve", form.reason.data or "")
    if not done:
        found = paged(services.queue_page, page_arg())
        return _render("community/admin/registration_queue.html", 422, found=found, form=DecisionForm(formdata=None),
                       failed={"member_id": member_id, "errors": form.reason.errors or form.form_errors})
    flash(_("%(name)s has been approved.", name=name) if decision == "approve"
          else _("%(name)s has been rejected.", name=name), "success")
    return redirect(url_for("admin_registration.queue"))
