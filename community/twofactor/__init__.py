"""Two-factor authentication: a TOTP authenticator app and ten single-use recovery codes.

- `models`: the factors (`member_second_factors`) and the recovery codes (`member_recovery_codes`, Argon2).
- `totp`: codes (pyotp) and the QR code (segno); `services`: enrol, check, remove, who must have one.
- `views`: /settings/two-factor and the sign-in step /login/two-factor; `throttle`: the per-account limit.
- `notify`: the mail to the member on every change (`second_factor_changed`; crm_bridge audits it too).

Enforcement: while the admin setting `twofactor.required_for_staff` is on (the default), a moderator,
staff member or admin without a second factor reaches nothing but the enrolment page, sign-out and the
site's assets: pages redirect there, the API answers 403 `second_factor_required` (bearer tokens
included). `TWO_FACTOR_ENFORCED` (True) turns enforcement off for a whole deployment; only the test
app does that (docs/security.md). `TWO_FACTOR_CODE_LIMIT` ("10 per hour"): wrong codes per account.
"""
from __future__ import annotations

from flask import Flask, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..admin.sections import Section, add_section
from ..pages import error_response
from ..permissions import can_manage_site_settings
from ..registry import register_sign_in_step, register_template_slot
from ..signals import member_deleting, second_factor_changed
from . import (
    models,  # noqa: F401  (tables known to create_all and Alembic)
    notify,
    services,
    views,
)

# What a member who must enrol may still reach: enrolment, signing out, and what every page loads.
OPEN_ENDPOINTS = frozenset({
    "static", "members.logout", "members.language", "localtime.set_timezone", "csp.report", "site.healthz",
    "site.brand_stylesheet", "site.favicon", "site.privacy", "site.terms", "uploads.serve",
    "seo.icon", "seo.manifest", "seo.offline", "seo.service_worker", "seo.robots",
})


def require_enrolment():
    """Send a moderator, staff member or admin without a second factor to enrol (API: a JSON 403)."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in OPEN_ENDPOINTS or endpoint.startswith("twofactor."):
        return None
    if not current_user.is_authenticated or not services.must_enrol(current_user):
        return None
    if request.path.startswith("/api/"):
        return error_response(403, _("Your role needs two-factor authentication: turn it on in your settings "
                                     "on the website first."), code="second_factor_required")
    flash(_("Your role needs two-factor authentication. Please turn it on to continue."), "info")
    return redirect(url_for("twofactor.settings"))


def init_app(app: Flask) -> None:
    """Register the pages, the sign-in step, the enforcement hook and the subscribers."""
    app.config.setdefault("TWO_FACTOR_ENFORCED", True)
    app.config.setdefault("TWO_FACTOR_CODE_LIMIT", "10 per hour")
    app.register_blueprint(views.bp)
    add_section(Section("security", _l("Security"), "twofactor.admin_security", can_manage_site_settings,
                        _l("Two-factor authentication for admins, staff and moderators."), order=15))
    register_sign_in_step(app, views.ask_second_factor)
    register_template_slot(app, "settings_extra", "community/twofactor/_settings.html", order=5)
    app.before_request(require_enrolment)
    second_factor_changed.connect(notify.on_second_factor_changed, weak=False)
    member_deleting.connect(services.on_member_deleting, weak=False)
