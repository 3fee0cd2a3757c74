"""Forms of the mail pages (fields and CSRF; the rules live in the services)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from .compose import MESSAGE_TYPES


class ForgotPasswordForm(FlaskForm):
    login = StringField(_l("Username or email"), validators=[InputRequired()])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[InputRequired()],
                             description=_l("At least 8 characters; common passwords are refused."))
    confirm = PasswordField(_l("New password again"), validators=[InputRequired()])
    revoke_tokens = BooleanField(_l("Also revoke my personal access tokens (API)"), default=True)


class ChangeEmailForm(FlaskForm):
    email = EmailField(_l("New email address"), validators=[InputRequired()])
    password = PasswordField(_l("Current password"), validators=[InputRequired()])


class PreferencesForm(FlaskForm):
    """CSRF only: the checkboxes are read as a list."""


class MailSettingsForm(FlaskForm):
    base_url = StringField(_l("Base URL of links in emails"), validators=[Optional()],
                           description=_l("Where members reach the site, e.g. https://community.example.com"))
    mail_from = StringField(_l("Sender"), validators=[Optional()],
                            description=_l("The From address, e.g. Acme Community <community@example.com>"))
    enabled = SelectMultipleField(_l("Emails that are sent"), validators=[Optional()],
                                  widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.enabled.choices = [(key, label) for key, label in MESSAGE_TYPES.items()]
