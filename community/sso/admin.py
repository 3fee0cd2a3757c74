"""/admin/sign-in: the providers members may sign in with, and the two options (only SSO, the SSO domain). Admins."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import Length, Optional

from ..admin.sections import sections_for
from ..extensions import db
from ..forms import ConfirmForm, submit
from ..permissions import can_manage_sign_in
from . import providers
from .models import SsoProvider

bp = Blueprint("sso_admin", __name__, url_prefix="/admin/sign-in")


class OptionsForm(FlaskForm):
    only_sso = BooleanField(_l("Only through a provider: members cannot sign in with a password (admins still can)"))
    domain = StringField(_l("Email domain that must use a provider"), validators=[Optional(), Length(max=253)],
                         description=_l("For example the brand's own domain, so staff sign in with their company "
                                        "account. Leave empty for none."))


class ProviderForm(FlaskForm):
    name = StringField(_l("Name shown on the button"), validators=[Length(max=64)])
    slug = StringField(_l("Slug (part of the redirect URI)"), validators=[Length(max=31)])
    issuer = StringField(_l("Issuer URL"), validators=[Length(max=300)],
                         description=_l("Its discovery document is read from <issuer>/.well-known/openid-configuration."))
    client_id = StringField(_l("Client ID"), validators=[Length(max=300)])
    client_secret = PasswordField(_l("Client secret"), validators=[Length(max=500)],
                                  description=_l("Leave empty to keep the saved one."))
    enabled = BooleanField(_l("Offered on the sign-in page"), default=True)


def _require() -> None:
    if not can_manage_sign_in(current_user):
        abort(404)


def _render(template: str, status: int = 200, **context):
    return render_template(template, sections=sections_for(current_user), section="sign-in", **context), status


@bp.route("", methods=["GET", "POST"])
@login_required
def overview():
    _require()
    form = OptionsForm(data=None if request.method == "POST" else
                       {"only_sso": providers.ONLY_SSO.value, "domain": providers.SSO_DOMAIN.value})
    if request.method == "POST" and form.validate() and submit(
            form, providers.save_options, bool(form.only_sso.data), form.domain.data or "", by=current_user):
        flash(_("The sign-in options have been saved."), "success")
        return redirect(url_for("sso_admin.overview"))
    return _render("community/sso/admin.html", 422 if form.errors or form.form_errors else 200, form=form,
                   env_provider=providers.env_provider(), rows=providers.admin_rows(),
                   callback_url=lambda slug: url_for("sso.callback", slug=slug, _external=True),
                   delete_form=ConfirmForm(prefix="delete"))


@bp.route("/providers/new", methods=["GET", "POST"], defaults={"provider_id": None})
@bp.route("/providers/<int:provider_id>", methods=["GET", "POST"])
@login_required
def provider(provider_id: int | None):
    _require()
    row = db.session.get(SsoProvider, provider_id) if provider_id is not None else None
    if provider_id is not None and row is None:
        abort(404)
    form = ProviderForm(obj=row if request.method == "GET" and row is not None else None)
    if request.method == "GET" and row is not None:
        form.client_secret.data = ""
    if request.method == "POST" and form.validate() and submit(
            form, providers.save_provider, row, slug=form.slug.data, name=form.name.data, issuer=form.issuer.data,
            client_id=form.client_id.data, client_secret=form.client_secret.data, enabled=form.enabled.data):
        flash(_("The provider has been saved."), "success")
        return redirect(url_for("sso_admin.overview"))
    return _render("community/sso/admin_provider.html", 422 if form.errors or form.form_errors else 200,
                   form=form, row=row)


@bp.route("/providers/<int:provider_id>/delete", methods=["POST"])
@login_required
def delete_provider(provider_id: int):
    _require()
    row = db.session.get(SsoProvider, provider_id)
    if row is None:
        abort(404)
    if not ConfirmForm(prefix="delete").validate_on_submit():
        abort(400)
    db.session.delete(row)  # identities stay (their provider may come back under the same slug)
    db.session.commit()
    flash(_("The provider has been removed."), "success")
    return redirect(url_for("sso_admin.overview"))
