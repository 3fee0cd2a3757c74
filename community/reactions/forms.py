"""The admins' reaction settings form: fields and CSRF only; the service checks the values."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Optional

from .kinds import KINDS


class ReactionSettingsForm(FlaskForm):
    """Per reaction: offered or not (`on_<code>`), reputation per reaction received (`points_<code>`)."""


for _code, _kind in KINDS.items():
    setattr(ReactionSettingsForm, f"on_{_code}", BooleanField(_l("Offer %(reaction)s", reaction=_kind.label)))
    setattr(ReactionSettingsForm, f"points_{_code}", StringField(
        _l("Reputation per %(reaction)s received", reaction=_kind.label), validators=[Optional()]))
