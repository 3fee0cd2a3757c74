"""Forms of two-factor authentication."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import InputRequired, Length


class CodeForm(FlaskForm):
    """A code from the authenticator app (or, at sign-in, a recovery code)."""

    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=32)])


class ConfirmedCodeForm(CodeForm):
    """The password and a code: for turning two-factor off and for new recovery codes."""

    password = PasswordField(_l("Current password"), validators=[InputRequired()])


class RemovePasskeyForm(FlaskForm):
    """The password, to remove a passkey."""

    password = PasswordField(_l("Current password"), validators=[InputRequired()])


class SecuritySettingsForm(FlaskForm):
    """The admin's two-factor setting."""

    required_for_staff = BooleanField(_l("Admins, staff and moderators must use two-factor authentication"))
