"""Signing in through an OpenID Connect provider: start, callback, linking with a password, unlinking.

Thin: provider (404) -> Authlib (community/sso/oidc.py) -> one service call -> commit -> redirect or page.
A provider that is down or a callback that fails a check ends on a page that says so (503 / 400), never a 500.
"""
from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from ..auth_loader import confirm_identity, sign_in
from ..errors import NotPermitted, ServiceError
from ..extensions import db, limiter
from ..forms import ConfirmForm
from ..i18n import select_locale
from ..members import registration
from ..permissions import is_suspended
from ..registry import sign_in_steps
from . import oidc, services
from .providers import get_provider

bp = Blueprint("sso", __name__)
PENDING_KEY, NEXT_KEY, CONFIRM_KEY = "sso_pending", "sso_next", "sso_confirm"
PENDING_SECONDS = 600  # how long a "sign in with your password to link" offer stays open


class LinkForm(FlaskForm):
    login = StringField(_l("Username or email"), validators=[InputRequired()])
    password = PasswordField(_l("Password"), validators=[InputRequired()])


def _local(target: str | None, default: str) -> str:
    parts = urlsplit(target or "")
    if (target or "").startswith("/") and not target.startswith("//") and not parts.netloc and "\\" not in target:
        return target
    return default


def _provider_or_404(slug: str):
    provider = get_provider(slug)
    if provider is None:
        abort(404)
    return provider


def _problem(message: str, status: int, provider=None):
    return render_template("community/sso/problem.html", message=message, provider=provider), status


@bp.route("/sso/<slug>/start", methods=["POST"])
@limiter.limit("20 per minute")
def start(slug: str):
    """Send the browser to the provider (a form button: CSRF-checked, so no other site starts a sign-in)."""
    provider = _provider_or_404(slug)
    ConfirmForm()  # the global CSRF check has run; the form documents it
    session[NEXT_KEY] = _local(request.form.get("next"), url_for("site.home"))
    if request.form.get("confirm") and current_user.is_authenticated:  # "confirm it is you", not a link
        session[CONFIRM_KEY] = current_user.id
    else:
        session.pop(CONFIRM_KEY, None)
    try:
        return oidc.authorization_redirect(provider, url_for("sso.callback", slug=slug, _external=True))
    except oidc.ProviderUnavailable:
        return _problem(_("%(provider)s is not answering right now, so signing in through it is not possible. "
                          "Please try again in a few minutes.", provider=provider.name), 503, provider)


@bp.route("/sso/<slug>/callback")
@limiter.limit("20 per minute")
def callback(slug: str):
    provider = _provider_or_404(slug)
    if request.args.get("error"):  # the member said no at the provider, or it refused
        return _problem(_("%(provider)s did not sign you in (%(reason)s).", provider=provider.name,
                          reason=request.args.get("error", "")[:60]), 400, provider)
    try:
        claims = oidc.finish(provider)
    except oidc.ProviderUnavailable:
        return _problem(_("%(provider)s is not answering right now, so signing in through it is not possible. "
                          "Please try again in a few minutes.", provider=provider.name), 503, provider)
    except oidc.SignInRefused:
        return _problem(_("This sign-in could not be completed: the answer from %(provider)s did not match the "
                          "request this browser made (an old or copied link?). Please start again.",
                          provider=provider.name), 400, provider)
    linking = current_user._get_current_object() if current_user.is_authenticated else None
    confirming = session.pop(CONFIRM_KEY, None)
    if confirming is not None:
        return _confirm(provider, claims, linking if linking is not None and linking.id == confirming else None)
    try:
        result = services.sign_in_with(provider, claims, current=linking,
                                       locale=select_locale() if request.accept_languages else None)
    except ServiceError as exc:
        db.session.rollback()
        return _problem(str(exc.message), exc.status, provider)
    if result.needs_password:
        session[PENDING_KEY] = {"provider": provider.slug, "claims": claims, "at": time.time()}
        return redirect(url_for("sso.link_account"))
    if linking is not None:
        db.session.commit()
        flash(_("Your %(provider)s identity is now linked: you can sign in with it.", provider=provider.name),
              "success")
        return redirect(url_for("members.settings", _anchor="identities"))
    return _finish_sign_in(result.member, pending=result.pending, created=result.created)


def _confirm(provider, claims, member):
    """The signed-in member signed in again at the provider to confirm it is them: only the identity already
    linked to this account counts (nothing is linked or signed in here)."""
    if member is None or not services.is_linked(member, provider, claims):
        session.pop(NEXT_KEY, None)
        return _problem(_("That %(provider)s identity is not the one linked to your account, so it does not "
                          "confirm it is you.", provider=provider.name), 403, provider)
    confirm_identity(member)
    flash(_("You have confirmed it is you."), "success")
    return redirect(_local(session.pop(NEXT_KEY, None), url_for("members.settings")))


def no_password_registration():
    """Under "only SSO" an account is made by signing in through a provider: the password sign-up form would
    make accounts that can never sign in, so it says where to go instead."""
    if request.endpoint in ("members.register", "members.invite") and services.password_sign_in_refusal_for_all():
        return render_template("community/members/registration_closed.html", message=_(
            "Join by signing in with your organisation's account on the sign-in page: passwords are not used here.")), 403
    return None


def _finish_sign_in(member, *, pending=False, created=False):
    refusal = registration.sign_in_refusal(member)
    if pending or registration.approval_status(member) is registration.ApprovalStatus.pending:
        db.session.commit()  # the account (and its identity) waits for approval
        return render_template("community/members/awaiting_approval.html")
    if refusal:  # rejected by the staff
        db.session.commit()
        return _problem(str(refusal), 403)
    if is_suspended(member):
        db.session.rollback()
        return _problem(_("Your account is suspended until %(when)s. Reason: %(reason)s",
                          when=format_datetime(member.suspended_until, "short"),
                          reason=member.suspended_reason or "-"), 403)
    next_url = _local(session.pop(NEXT_KEY, None), url_for("site.home"))
    for step in sign_in_steps():  # the site's own second factor, when the member enrolled one (community/twofactor)
        taken = step(member, remember=False, next_url=next_url)
        if taken is not None:
            db.session.commit()
            return taken
    sign_in(member)
    db.session.commit()
    if created:
        flash(_("Welcome, %(name)s! Your account is ready.", name=member.username), "success")
    return redirect(next_url)


def _pending():
    found = session.get(PENDING_KEY)
    if not found or time.time() - found.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        return None, None
    provider = get_provider(found.get("provider", ""))
    return (provider, found["claims"]) if provider is not None else (None, None)


@bp.route("/sso/link", methods=["GET", "POST"])
@limiter.limit("6 per minute", methods=["POST"])
def link_account():
    """An account with the provider's address exists: its owner signs in with the password to link it."""
    provider, claims = _pending()
    if provider is None:
        return _problem(_("There is nothing to link any more. Please sign in again."), 404)
    form = LinkForm(data=None if request.method == "POST" else {"login": claims.get("email", "")})
    if form.validate_on_submit():
        try:
            member = services.link_with_password(provider, claims, form.login.data, form.password.data)
        except ServiceError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc.message))
        else:
            session.pop(PENDING_KEY, None)
            flash(_("Your %(provider)s identity is now linked: you can sign in with it.", provider=provider.name),
                  "success")
            return _finish_sign_in(member)
    return render_template("community/sso/link.html", form=form, provider=provider,
                           email=claims.get("email", "")), (422 if form.errors or form.form_errors else 200)


@bp.route("/settings/identities/<int:identity_id>/unlink", methods=["POST"])
@login_required
def unlink(identity_id: int):
    member = current_user._get_current_object()
    if not ConfirmForm(prefix="identity").validate_on_submit():
        abort(400)
    try:
        services.unlink(member, identity_id)
    except ServiceError as exc:
        db.session.rollback()
        if isinstance(exc, NotPermitted):  # not one of mine: it does not exist for me
            abort(404)
        flash(str(exc.message), "error")
        return redirect(url_for("members.settings", _anchor="identities"))
    db.session.commit()
    flash(_("That identity is no longer linked to your account."), "success")
    return redirect(url_for("members.settings", _anchor="identities"))
