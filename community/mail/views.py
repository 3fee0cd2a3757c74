"""Pages that mail links lead to, the member's mail settings, and the admin's outbox and settings."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ..auth_loader import sign_in
from ..errors import ServiceError
from ..extensions import csrf, db, limiter
from ..forms import apply_errors, submit
from ..permissions import can_manage_mail
from . import compose, forms, preferences, services
from .models import MailMessage
from .transport import transport_for

bp = Blueprint("mail", __name__)


def _link_problem(exc: services.TokenProblem):
    """The clear page for a link that cannot be used (never a 500)."""
    response = make_response(render_template("community/mail/link_problem.html", reason=exc.reason,
                                             message=exc.message), exc.status)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _no_referrer(response):
    # Pages whose URL holds a token must not hand it to other sites through the Referer header.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- verification and address change -------------------------------------------------------

@bp.route("/email/verify/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute")
def verify(token: str):
    """GET shows a button (mail scanners prefetch links); POST verifies."""
    if request.method == "GET":
        try:
            member = services.verification_member(token)
        except services.TokenProblem as exc:
            return _link_problem(exc)
        return _no_referrer(make_response(render_template("community/mail/confirm.html", member=member,
                                                          title=_("Verify your email address"),
                                                          button=_("Verify %(email)s", email=member.email))))
    try:
        member = services.verify_email(token)
    except services.TokenProblem as exc:
        db.session.rollback()
        return _link_problem(exc)
    db.session.commit()
    flash(_("Thank you: %(email)s is verified.", email=member.email), "success")
    return redirect(url_for("members.settings") if current_user.is_authenticated else url_for("site.home"))


@bp.route("/settings/email/verify", methods=["POST"])
@login_required
@limiter.limit("5 per hour", methods=["POST"])
def resend_verification():
    member = current_user._get_current_object()
    if member.email_verified:
        flash(_("Your address is verified already."), "info")
    elif services.send_verification(member, throttle=True):
        db.session.commit()
        flash(_("We sent a new link to %(email)s.", email=member.email), "success")
    else:
        flash(_("A link was sent a moment ago. Please check your mailbox (and its spam folder) before asking again."),
              "info")
    return redirect(url_for("members.settings", _anchor="email-address"))


@bp.route("/settings/email", methods=["POST"])
@login_required
@limiter.limit("10 per hour", methods=["POST"])
def change_email():
    form = forms.ChangeEmailForm()
    if form.validate_on_submit():
        done = submit(form, services.request_email_change, current_user._get_current_object(), form.password.data,
                      form.email.data)
        if done:
            flash(_("We sent a link to %(email)s. Your address changes when you follow it.", email=done.value), "success")
            return redirect(url_for("members.settings", _anchor="email-address"))
    return render_template("community/mail/change_email.html", form=form), 422


@bp.route("/email/change/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute")
def confirm_email_change(token: str):
    if request.method == "GET":
        try:
            member, new_email = services.email_change_request(token)
        except services.TokenProblem as exc:
            return _link_problem(exc)
        return _no_referrer(make_response(render_template(
            "community/mail/confirm.html", member=member, title=_("Confirm your new email address"),
            button=_("Use %(email)s from now on", email=new_email))))
    try:
        member = services.confirm_email_change(token)
    except services.TokenProblem as exc:
        db.session.rollback()
        return _link_problem(exc)
    except ServiceError as exc:
        db.session.rollback()
        return _link_problem(services.TokenProblem("used", exc.message))
    db.session.commit()
    flash(_("Your email address is now %(email)s.", email=member.email), "success")
    return redirect(url_for("members.settings") if current_user.is_authenticated else url_for("site.home"))


# ---- password reset -------------------------------------------------------------------------

@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per 15 minutes; 2 per minute", methods=["POST"])
def forgot_password():
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.login.data)
        db.session.commit()
        # The same answer whether or not an account matched.
        flash(_("If an account matches, a link to choose a new password is on its way to its email address. "
                "The link works for %(minutes)d minutes.",
                minutes=current_app.config["MAIL_RESET_MAX_AGE"] // 60), "info")
        return redirect(url_for("mail.forgot_password"))
    status = 422 if form.errors else 200
    return render_template("community/mail/forgot_password.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def reset_password(token: str):
    try:
        member = services.member_for_reset(token)
    except services.TokenProblem as exc:
        return _link_problem(exc)
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        if form.password.data != form.confirm.data:
            form.confirm.errors = [_("The two passwords differ.")]
        else:
            try:
                member = services.reset_password(token, form.password.data,
                                                 revoke_tokens=bool(form.revoke_tokens.data))
            except services.TokenProblem as exc:
                db.session.rollback()
                return _link_problem(exc)
            except ServiceError as exc:
                db.session.rollback()
                apply_errors(form, exc)
            else:
                sign_in(member)  # this browser is signed in with the new password; every other session ended
                db.session.commit()
                flash(_("Your password has been changed. Other sessions have been signed out."), "success")
                return redirect(url_for("site.home"))
    status = 422 if form.errors or form.form_errors else 200
    return _no_referrer(make_response(render_template("community/mail/reset_password.html", form=form,
                                                      member=member), status))


# ---- preferences and unsubscribing ----------------------------------------------------------

@bp.route("/settings/email-notifications", methods=["POST"])
@login_required
@limiter.limit("30 per minute", methods=["POST"])
def save_preferences():
    form = forms.PreferencesForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        preferences.set_preferences(current_user._get_current_object(), request.form.getlist("kinds"),
                                 request.form.get("digest", "off"))
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("Your email settings have been saved."), "success")
    return redirect(url_for("members.settings", _anchor="email-notifications"))


@bp.route("/email/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: the mail client POSTs without a form; the signed token is the proof
@limiter.limit("60 per minute")
def unsubscribe(token: str):
    try:
        if request.method == "GET":  # never act on GET: link scanners fetch every link in a mail
            member, what = services.unsubscribe_payload(token)
            return _no_referrer(make_response(render_template("community/mail/unsubscribe.html", member=member,
                                                              what=preferences.list_label(what), done=False)))
        member, what = services.unsubscribe(token)
    except services.TokenProblem as exc:
        db.session.rollback()
        return _link_problem(exc)
    db.session.commit()
    return _no_referrer(make_response(render_template("community/mail/unsubscribe.html", member=member,
                                                      what=preferences.list_label(what), done=True)))


def mail_settings_section() -> dict:
    """What the settings page's email sections show (template global)."""
    prefs = preferences.preferences(current_user)
    return {"kinds": [{"kind": kind, "label": preferences.EMAIL_KIND_LABELS[kind], "on": kind in prefs["kinds"]}
                      for kind in preferences.EMAIL_KINDS],
            "digest": prefs["digest"], "digests": [(key, preferences.DIGEST_LABELS[key]) for key in preferences.DIGESTS],
            "change_form": forms.ChangeEmailForm(), "notifications_on": compose.is_enabled("notification"),
            "digests_on": compose.is_enabled("digest"),
            "delay": current_app.config["MAIL_NOTIFICATION_DELAY_MINUTES"]}


# ---- admin ----------------------------------------------------------------------------------

def _admin():
    if not can_manage_mail(current_user):
        abort(404)


@bp.route("/admin/mail", methods=["GET", "POST"])
@login_required
def admin():
    _admin()
    settings = compose.mail_settings()
    form = forms.MailSettingsForm(data=None if request.method == "POST" else {
        "base_url": settings["base_url"],
        "mail_from": settings["mail_from"], "enabled": [t for t in compose.MESSAGE_TYPES if t not in settings["disabled"]]})
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            if submit(form, compose.save_settings, base_url=form.base_url.data,
                      mail_from=form.mail_from.data, enabled=form.enabled.data):
                flash(_("The mail settings have been saved."), "success")
                return redirect(url_for("mail.admin"))
            status = 422
        else:
            status = 422
    status_filter = request.args.get("status")
    query = select(MailMessage).order_by(MailMessage.id.desc()).limit(100)
    if status_filter == "queued":
        query = query.where(MailMessage.sent_at.is_(None), MailMessage.failed_at.is_(None))
    elif status_filter == "failed":
        query = query.where(MailMessage.failed_at.is_not(None))
    elif status_filter == "sent":
        query = query.where(MailMessage.sent_at.is_not(None))
    messages = db.session.scalars(query).all()
    counts = dict(db.session.execute(select(
        func.count(MailMessage.id).filter(MailMessage.sent_at.is_(None), MailMessage.failed_at.is_(None)),
        func.count(MailMessage.id).filter(MailMessage.failed_at.is_not(None)),
        func.count(MailMessage.id).filter(MailMessage.sent_at.is_not(None)))).one()._asdict())
    counts = dict(zip(("queued", "failed", "sent"), counts.values(), strict=True))
    transport = transport_for(current_app.config)
    return render_template("community/mail/admin.html", form=form, messages=messages, counts=counts,
                           transport=transport.describe(), status_filter=status_filter,
                           smtp=bool(current_app.config.get("SMTP_URL"))), status


@bp.route("/admin/mail/<int:message_id>")
@login_required
def admin_message(message_id: int):
    _admin()
    message = db.get_or_404(MailMessage, message_id)
    transport = transport_for(current_app.config)
    path = transport.path_for(message.message_id) if hasattr(transport, "path_for") else None
    return render_template("community/mail/message.html", message=message,
                           file=path if path is not None and path.exists() else None)


@bp.route("/admin/mail/<int:message_id>/html")
@login_required
def admin_message_html(message_id: int):
    """The HTML part alone, for the sandboxed frame on the message page."""
    _admin()
    message = db.get_or_404(MailMessage, message_id)
    response = make_response(message.html_body)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; "
                                                   "frame-ancestors 'self'; sandbox")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
