"""Single sign-on: members sign in with the brand's OpenID Connect provider (Authlib).

- `providers`: the providers (the contract's `OIDC_*` environment, slug `oidc`, and those an admin adds on
  /admin/sign-in) and the options "only SSO" and "an email domain that must use SSO".
- `oidc`: the one module that speaks OpenID Connect (discovery, code flow with PKCE, state and nonce checks).
- `services`: what a callback means: the linked member, a link through a verified email on both sides,
  a new member, or "sign in with your password to link" (never a silent merge); unlinking, never the last
  way to sign in.
- `views`, `admin`: the pages. /settings shows "Linked identities" through the `settings_extra` slot and
  the sign-in page its buttons through `login_extra`.

The CRM reads `SsoIdentity` to show (provider, subject) on a profile and to match social interactions;
nothing here knows the CRM.
"""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from .. import permissions
from ..admin.sections import Section, add_section
from ..registry import register_password_sign_in_check, register_template_slot
from ..signals import member_deleting
from . import admin, providers, services, views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    register_template_slot(app, "login_extra", "community/sso/_login_buttons.html")
    register_template_slot(app, "settings_extra", "community/sso/_settings_identities.html", order=20)
    register_template_slot(app, "confirm_identity", "community/sso/_confirm_identity.html")
    register_password_sign_in_check(app, services.password_sign_in_refusal)
    add_section(Section("sign-in", _l("Sign-in providers"), "sso_admin.overview", permissions.can_manage_sign_in,
                        _l("Single sign-on with OpenID Connect; only SSO; a domain that must use it."), order=27))
    app.add_template_global(providers.enabled_providers, "sso_providers")
    app.add_template_global(services.identities_of, "sso_identities")
    app.add_template_global(lambda slug: providers.provider_names().get(slug, slug), "sso_provider_name")
    member_deleting.connect(services.erase, weak=False)
    app.before_request(views.no_password_registration)
