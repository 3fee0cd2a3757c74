"""Pages: two-factor settings (enrol, new recovery codes, turn off) and the second step of signing in."""
from __future__ import annotations

import hashlib
import time

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..admin.sections import sections_for
from ..auth_loader import sign_in
from ..errors import ServiceError
from ..extensions import db, limiter
from ..forms import submit
from ..members.models import Member
from ..permissions import can_manage_site_settings, is_suspended
from ..site.branding import community_name
from . import passkeys, services, totp
from .forms import CodeForm, ConfirmedCodeForm, RemovePasskeyForm, SecuritySettingsForm
from .throttle import PENDING, code_limit

bp = Blueprint("twofactor", __name__)

ENROL_SECRET = "twofactor_enrol"
PENDING_SECONDS = 600  # the password was right this long ago at most


# ---- the second step of signing in ------------------------------------------------------------------

def _fingerprint(member: Member) -> str:
    # A pending sign-in stops working when the password changes meanwhile.
    return hashlib.sha256((member.password_hash or "").encode()).hexdigest()[:16]


def ask_second_factor(member: Member, *, remember: bool, next_url: str):
    """The sign-in step (registered with the registry): an enrolled member types a code before any session."""
    if not services.is_enrolled(member):
        return None
    session[PENDING] = {"m": member.id, "r": bool(remember), "n": next_url, "t": int(time.time()),
                        "p": _fingerprint(member)}
    return redirect(url_for("twofactor.verify"))


def _json_error(status: int, message, code: str):
    """The JSON error of the passkey endpoints (called by fetch, whatever Accept says)."""
    return jsonify(error={"code": code, "message": str(message)}), status


def _pending_member() -> tuple[Member | None, dict]:
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - int(pending.get("t", 0)) > PENDING_SECONDS:
        return None, {}
    member = db.session.get(Member, int(pending.get("m") or 0))
    if member is None or member.deleted_at is not None or pending.get("p") != _fingerprint(member) \
            or is_suspended(member):
        return None, {}
    return member, pending


@bp.route("/login/two-factor", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@code_limit
def verify():
    """Type the code of the authenticator app (or a recovery code) after the password."""
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    member, pending = _pending_member()
    if member is None:
        session.pop(PENDING, None)
        flash(_("Please sign in again."), "info")
        return redirect(url_for("members.login"))
    form = CodeForm()
    if form.validate_on_submit():
        used = services.verify(member, form.code.data)
        if used is not None:
            session.pop(PENDING, None)
            sign_in(member, remember=bool(pending.get("r")))
            db.session.commit()  # the session, the spent step or recovery code (and its mail and audit line)
            if used == "recovery":
                flash(_("You signed in with a recovery code; %(count)d are left.",
                        count=services.recovery_codes_left(member)), "info")
            return redirect(pending.get("n") or url_for("site.home"))
        db.session.rollback()
        form.code.errors = [_("That code is not right. Type the six digits your app shows now, or a recovery code.")]
    status = 422 if form.errors else 200
    return render_template("community/twofactor/verify.html", form=form,
                           has_passkeys=bool(passkeys.passkeys_of(member))), status


@bp.route("/login/two-factor/passkey/options", methods=["POST"])
@limiter.limit("10 per minute")
def sign_in_passkey_options():
    """The WebAuthn options to sign in with one of the pending member's passkeys (JSON)."""
    member, _pending = _pending_member()
    if member is None:
        return _json_error(401, _("Please sign in again."), "sign_in_expired")
    return Response(passkeys.authentication_options(member), mimetype="application/json")


@bp.route("/login/two-factor/passkey", methods=["POST"])
@limiter.limit("10 per minute")
@code_limit
def sign_in_passkey():
    """Finish signing in with a passkey: JSON in, `{"next"}` out."""
    member, pending = _pending_member()
    if member is None:
        return _json_error(401, _("Please sign in again."), "sign_in_expired")
    data = request.get_json(silent=True) or {}
    if not services.verify_passkey(member, data.get("credential")):
        db.session.rollback()
        return _json_error(422, _("The passkey could not be checked. Please try again."), "invalid_passkey")
    session.pop(PENDING, None)
    sign_in(member, remember=bool(pending.get("r")))
    db.session.commit()
    return jsonify(next=pending.get("n") or url_for("site.home"))


# ---- settings -----------------------------------------------------------------------------------------

def _enrol_secret() -> str:
    secret = session.get(ENROL_SECRET)
    if not isinstance(secret, str) or len(secret) != 32:
        secret = totp.new_secret()
        session[ENROL_SECRET] = secret
    return secret


def _page(form=None, confirm_form=None, status: int = 200, codes=None):
    member = current_user._get_current_object()
    enrolled, totp_on = services.is_enrolled(member), services.factor_of(member) is not None
    context = {"enrolled": enrolled, "totp_on": totp_on, "required": services.is_required(member), "codes": codes,
               "form": form or CodeForm(prefix="enrol"), "passkeys": passkeys.passkeys_of(member),
               "confirm_form": confirm_form or ConfirmedCodeForm(prefix="confirm"),
               "remove_form": RemovePasskeyForm(prefix="remove")}
    if enrolled:
        context["codes_left"] = services.recovery_codes_left(member)
    if not totp_on:
        secret = _enrol_secret()
        uri = totp.provisioning_uri(secret, member.username, community_name())
        context.update(secret=secret, qr=totp.qr_svg(uri))
    return render_template("community/twofactor/settings.html", **context), status


@bp.route("/settings/two-factor", methods=["GET"])
@login_required
def settings():
    """Two-factor authentication: turn it on with an authenticator app, or see and change it."""
    return _page()


@bp.route("/settings/two-factor", methods=["POST"])
@login_required
@limiter.limit("10 per minute")
@code_limit
def enrol():
    """Turn two-factor on: the code proves the app holds the secret shown; the recovery codes show once."""
    member = current_user._get_current_object()
    form = CodeForm(prefix="enrol")
    if not form.validate_on_submit():
        return _page(form=form, status=422)
    done = submit(form, services.enrol, member, session.get(ENROL_SECRET) or "", form.code.data)
    if not done:
        return _page(form=form, status=done.error.status)
    session.pop(ENROL_SECRET, None)
    return _page(codes=done.value)


@bp.route("/settings/two-factor/recovery-codes", methods=["POST"])
@login_required
@limiter.limit("10 per minute")
@code_limit
def renew_codes():
    """Make ten new recovery codes (the old ones stop working) and show them once."""
    member = current_user._get_current_object()
    form = ConfirmedCodeForm(prefix="confirm")
    if not form.validate_on_submit():
        return _page(confirm_form=form, status=422)
    done = submit(form, services.renew_codes, member, form.password.data, form.code.data)
    if not done:
        return _page(confirm_form=form, status=done.error.status)
    return _page(codes=done.value)


@bp.route("/settings/two-factor/disable", methods=["POST"])
@login_required
@limiter.limit("10 per minute")
@code_limit
def disable():
    """Turn two-factor off (password and a code); every other session of the member ends."""
    member = current_user._get_current_object()
    form = ConfirmedCodeForm(prefix="confirm")
    if not form.validate_on_submit():
        return _page(confirm_form=form, status=422)
    done = submit(form, services.remove, member, form.password.data, form.code.data, keep=member.session_key)
    if not done:
        return _page(confirm_form=form, status=done.error.status)
    flash(_("Two-factor authentication is off. Other sessions have been signed out."), "success")
    return redirect(url_for("twofactor.settings"))



# ---- the admin's setting ----------------------------------------------------------------------------

@bp.route("/admin/security", methods=["GET", "POST"])
@login_required
def admin_security():
    """Whether staff roles must use two-factor, and who of them has not enrolled yet."""
    if not can_manage_site_settings(current_user):
        abort(404)
    form = SecuritySettingsForm(formdata=request.form if request.method == "POST" else None,
                                data={"required_for_staff": services.REQUIRED_FOR_STAFF.value})
    if form.validate_on_submit():
        services.save_requirement(bool(form.required_for_staff.data), by=current_user._get_current_object())
        db.session.commit()
        flash(_("Your settings have been saved."), "success")
        return redirect(url_for("twofactor.admin_security"))
    return render_template("community/twofactor/admin.html", form=form, sections=sections_for(current_user),
                           section="security", missing=services.staff_without_second_factor(),
                           enforced=current_app.config.get("TWO_FACTOR_ENFORCED", True))


# ---- passkeys -------------------------------------------------------------------------------------------

@bp.route("/settings/two-factor/passkeys/options", methods=["POST"])
@login_required
@limiter.limit("10 per minute")
def passkey_options():
    """The WebAuthn options to make a passkey for this member (JSON)."""
    return Response(passkeys.registration_options(current_user._get_current_object(), community_name()),
                    mimetype="application/json")


@bp.route("/settings/two-factor/passkeys", methods=["POST"])
@login_required
@limiter.limit("10 per minute")
def add_passkey():
    """Store the passkey the browser made: JSON in, `{"next", "codes"}` out (codes when it is the first factor)."""
    member = current_user._get_current_object()
    data = request.get_json(silent=True) or {}
    try:
        codes = services.add_passkey(member, data.get("credential"), str(data.get("name") or "")[:64])
    except ServiceError as exc:
        db.session.rollback()
        return _json_error(exc.status, exc.message, exc.code)
    db.session.commit()
    return jsonify(next=url_for("twofactor.settings"), codes=codes), 201


@bp.route("/settings/two-factor/passkeys/<int(max=2147483647):key_id>/remove", methods=["POST"])
@login_required
@limiter.limit("10 per minute")
def remove_passkey(key_id: int):
    """Remove a passkey (password); every other session of the member ends."""
    member = current_user._get_current_object()
    form = RemovePasskeyForm(prefix="remove")
    if not form.validate_on_submit():
        return _page(status=422)
    done = submit(form, services.remove_passkey, member, key_id, form.password.data, keep=member.session_key)
    if not done:
        flash(done.error.message, "error")
        return _page(status=done.error.status)
    flash(_("The passkey has been removed. Other sessions have been signed out."), "success")
    return redirect(url_for("twofactor.settings"))
