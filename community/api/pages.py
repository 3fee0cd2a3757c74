"""HTML pages of the API: personal access tokens (settings), admin API keys, and the developers' page."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..extensions import db, limiter
from ..forms import ConfirmForm, submit
from ..members.models import Member, username_key
from ..permissions import can_manage_api_keys, can_revoke_token
from . import services
from .models import ApiToken
from .openapi import document

bp = Blueprint("api_pages", __name__)

SCOPE_CHOICES = [SelectChoice("read", _l("read: see what you can see")),
                 SelectChoice("write", _l("write: post, edit, vote, flag")),
                 SelectChoice("moderate", _l("moderate: moderation tools, where your role allows")),
                 SelectChoice("crm", _l("crm: the CRM, where your role allows")),
                 SelectChoice("admin", _l("admin: boards and roles, for admins"))]


class ScopesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Optional()], description=_l("What the token is for, e.g. 'my script'."))
    scopes = ScopesField(_l("Scopes"), choices=SCOPE_CHOICES, validate_choice=False)
    expires_in_days = StringField(_l("Expires after (days)"), validators=[Optional()],
                                  description=_l("Leave empty for a token that does not expire."))


class ApiKeyForm(TokenForm):
    member = StringField(_l("Acts as member"), validators=[Optional()],
                         description=_l("The username of the integration's account; its role limits the key."))


def _create_once(form_class, create):
    """Run the create-a-secret form: on success the secret is shown once and the form starts afresh.

    `create(form)` returns the new secret or raises ServiceError. Returns (form, secret or None, status).
    """
    form = form_class()
    if request.method != "POST":
        form.scopes.data = ["read"]
        return form, None, 200
    if not form.validate_on_submit():
        return form, None, 422
    done = submit(form, create, form)
    if not done:
        return form, None, 422
    return form_class(formdata=None, data={"scopes": ["read"]}), done.value, 200


@bp.route("/settings/tokens", methods=["GET", "POST"])
@login_required
@limiter.limit("20 per hour", methods=["POST"])
def tokens():
    member = current_user._get_current_object()

    def create(form):
        return services.create_personal_token(member, form.name.data, form.scopes.data, form.expires_in_days.data)[1]

    form, created, status = _create_once(TokenForm, create)
    response = render_template("community/api/tokens.html", form=form, created=created,
                               tokens=services.member_tokens(member), confirm=ConfirmForm())
    return response, status, {"Cache-Control": "no-store"}


@bp.route("/settings/tokens/<int(max=2147483647):token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    ConfirmForm()
    token = db.session.get(ApiToken, token_id)
    if token is None or not can_revoke_token(current_user, token):
        abort(404)
    services.revoke_token(token)
    db.session.commit()
    flash(_("The token has been revoked."), "success")
    back = "api_pages.api_keys" if token.kind.value == "key" else "api_pages.tokens"
    return redirect(url_for(back))


@bp.route("/admin/api-keys", methods=["GET", "POST"])
@login_required
def api_keys():
    if not can_manage_api_keys(current_user):
        abort(404)

    def create(form):
        name = (form.member.data or "").strip() or current_user.username
        acting_as = db.session.scalar(select(Member).where(Member.username_key == username_key(name)[:32]))
        return services.create_api_key(current_user, acting_as, form.name.data, form.scopes.data,
                                       form.expires_in_days.data)[1]

    form, created, status = _create_once(ApiKeyForm, create)
    return render_template("community/api/keys.html", form=form, created=created, keys=services.api_keys(),
                           confirm=ConfirmForm()), status, {"Cache-Control": "no-store"}


@bp.route("/developers/api")
def developers():
    """The readable API page: how to get a token, the conventions, and every operation."""
    spec = document()
    operations = [(method, path, op) for path, methods in spec["paths"].items() for method, op in methods.items()]
    return render_template("community/api/developers.html", operations=operations,
                           spec_url=url_for("api.openapi_document"), scope_of=_scope_of)


def _scope_of(op: dict) -> str | None:
    """The token scope an operation needs (its description names it in backticks), or None for no sign-in."""
    if not op.get("security"):
        return None
    parts = op.get("description", "").split("`")
    return parts[1] if len(parts) > 2 else None
