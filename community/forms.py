"""Web forms. They carry fields and CSRF; the rules themselves live in the services."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from .errors import ServiceError
from .extensions import db


def apply_errors(form: FlaskForm, exc) -> None:
    """Put a service's per-field problems onto the form's fields (the rest onto `form.form_errors`)."""
    for name, message in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors or []) + [message]
        else:
            form.form_errors.append(message)
    if not exc.fields:
        form.form_errors.append(exc.message)


@dataclass
class Outcome:
    """What `submit` did: true when committed (`value` is the service's answer), else `error` is on the form."""

    value: object = None
    error: ServiceError | None = None

    def __bool__(self) -> bool:
        return self.error is None


def submit(form: FlaskForm, action, *args, **kwargs) -> Outcome:
    """Call the service `action(*args, **kwargs)` for a validated `form` and commit.

    On a ServiceError nothing is kept: the transaction is rolled back and the problems go onto the
    form (`apply_errors`), for the view to show it again.
    """
    try:
        value = action(*args, **kwargs)
    except ServiceError as exc:
        db.session.rollback()
        apply_errors(form, exc)
        return Outcome(error=exc)
    db.session.commit()
    return Outcome(value)


class RegisterForm(FlaskForm):
    username = StringField(_l("Username"), validators=[InputRequired()],
                           description=_l("3 to 20 letters, digits, dots, dashes or underscores."))
    email = EmailField(_l("Email"), validators=[InputRequired()])
    password = PasswordField(_l("Password"), validators=[InputRequired()],
                             description=_l("At least 8 characters; common passwords are refused."))
    # Asked only when the site has terms of service (the view checks it).
    accept_terms = BooleanField(_l("I accept the terms of service"))
    # A honeypot: hidden from people by CSS, filled in by bots that fill in every field.
    website = StringField(_l("Leave this field empty"), validators=[Optional()])


class LoginForm(FlaskForm):
    login = StringField(_l("Username or email"), validators=[InputRequired()])
    password = PasswordField(_l("Password"), validators=[InputRequired()])
    remember = BooleanField(_l("Remember me"))


LOCALE_CHOICES = [SelectChoice("", _l("Same as my browser")), SelectChoice("en", "English"),
                  SelectChoice("zh_CN", "简体中文")]


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[Optional()])
    bio = TextAreaField(_l("About me"), validators=[Optional()])
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES, validators=[Optional()])


class PasswordForm(FlaskForm):
    old_password = PasswordField(_l("Current password"), validators=[InputRequired()])
    new_password = PasswordField(_l("New password"), validators=[InputRequired()])


class ConsentForm(FlaskForm):
    """What the member lets the brand do with their profile; both off until they tick them."""

    marketing = BooleanField(_l("Marketing: the brand may send me news and offers"), default=False)
    research = BooleanField(_l("Research: the brand may invite me to surveys and user research"), default=False)


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Current password"), validators=[InputRequired()])


class ThreadForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired()])
    tags = StringField(_l("Tags (optional)"), validators=[Optional()],
                       description=_l("Up to 5 single-word tags, separated by commas."))
    body = TextAreaField(_l("Message"), validators=[InputRequired()],
                         description=_l("Markdown is supported. Mention someone with @username."))


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Your reply"), validators=[InputRequired()],
                         description=_l("Markdown is supported. Mention someone with @username."))
    reply_to = HiddenField()
    whisper = BooleanField(_l("Whisper: only staff and moderators will see this reply"))


class EditForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Optional()])
    body = TextAreaField(_l("Message"), validators=[InputRequired()])
    reason = StringField(_l("Reason for the edit (optional)"), validators=[Optional()])


class ConfirmForm(FlaskForm):
    """A button that changes something: CSRF and nothing else."""
