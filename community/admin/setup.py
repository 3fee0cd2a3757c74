"""/setup: the first run of a fresh install names the community and makes its first admin, once.

The page exists only while there is no admin (and setup has not been completed); after that, and on a
community made by `seed-demo` or `create-admin`, it answers 404 for ever. Two submits at the same time make
one admin: the first writes the `setup.completed` setting row (its key is the primary key), the second's
insert of that row fails (PostgreSQL waits for the first and raises a unique violation; SQLite lets one
writer in) and it gets 404 like any later visitor.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from .. import settings
from ..auth_loader import sign_in, sign_out
from ..errors import ServiceError, ValidationFailed
from ..extensions import db, limiter
from ..forms import apply_errors
from ..members.models import Member, Role
from ..members.registration import MODE_LABELS, MODES
from ..members.services import register_member
from ..site import branding

SITE_NAME_MAX = branding.NAME_MAX  # `site.name` is declared once, with the other site settings
SETUP_COMPLETED = settings.declare("setup.completed", False, bool)
_DONE = "community.setup_done"  # app.extensions flag: once an admin exists, setup never comes back

bp = Blueprint("setup", __name__)


class SetupForm(FlaskForm):
    site_name = StringField(_l("Community name"), validators=[InputRequired()],
                            description=_l("Shown in the header, titles and mails. At most 100 characters."))
    username = StringField(_l("Your username (the first admin)"), validators=[InputRequired()],
                           description=_l("3 to 20 letters, digits, dots, dashes or underscores."))
    email = EmailField(_l("Your email"), validators=[InputRequired()])
    password = PasswordField(_l("Password"), validators=[InputRequired()],
                             description=_l("At least 8 characters; common passwords are refused."))
    mode = SelectField(_l("Who can register"), choices=[SelectChoice(m, MODE_LABELS[m]) for m in MODES], default="open",
                       validate_choice=False)


def setup_done() -> bool:
    """Whether the community has an admin or went through /setup (remembered per process once true)."""
    if current_app.extensions.get(_DONE):
        return True
    done = bool(SETUP_COMPLETED.value) or db.session.scalar(
        select(Member.id).where(Member.role == Role.admin, Member.deleted_at.is_(None)).limit(1)) is not None
    if done:
        current_app.extensions[_DONE] = True
    return done


def setup_needed() -> bool:
    """For the home page: point the visitor to /setup (a fresh install without an admin)."""
    return not setup_done()


def complete_setup(*, site_name: str, username: str, email: str, password: str, mode: str) -> Member:
    """Name the community, set the registration mode and make the first admin (the create-admin rules)."""
    site_name = " ".join((site_name or "").split())
    problems = {}
    if not site_name:
        problems["site_name"] = _l("Give the community a name.")
    elif len(site_name) > SITE_NAME_MAX:
        problems["site_name"] = _l("At most %(n)d characters.", n=SITE_NAME_MAX)
    if mode not in MODES:
        problems["mode"] = _l("Choose one of the registration modes.")
    if problems:
        raise ValidationFailed(_l("Please correct the marked fields."), problems)
    # First the marker row: a concurrent setup stops here (see the module's docstring).
    settings.save({"setup.completed": True, "site.name": site_name, "registration.mode": mode})
    return register_member(username, email, password, role=Role.admin)


@bp.route("/setup", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def setup():
    if setup_done():
        abort(404)
    form = SetupForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                admin = complete_setup(site_name=form.site_name.data, username=form.username.data,
                                       email=form.email.data, password=form.password.data, mode=form.mode.data)
            except ServiceError as exc:
                db.session.rollback()
                apply_errors(form, exc)
            except (IntegrityError, OperationalError):  # another setup won the race
                db.session.rollback()
                abort(404)
            else:
                if current_user.is_authenticated:  # a member left over from before: this browser is the admin now
                    sign_out()
                sign_in(admin)
                try:
                    db.session.commit()
                except (IntegrityError, OperationalError):
                    db.session.rollback()
                    abort(404)
                current_app.extensions[_DONE] = True
                flash(_("Welcome, %(name)s! Your community is ready. Create its first boards here.",
                        name=admin.username), "success")
                return redirect(url_for("admin.boards"))
    return render_template("community/admin/setup.html", form=form), status
