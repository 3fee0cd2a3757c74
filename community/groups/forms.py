"""The groups admin forms: fields and CSRF only; the services check the values."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Optional


class GroupForm(FlaskForm):
    name = StringField(_l("Name (English)"), validators=[Optional()])
    name_zh = StringField(_l("Name (Simplified Chinese)"), validators=[Optional()],
                          description=_l("Shown to readers who chose Chinese; leave empty to show the English name."))
    description = TextAreaField(_l("Description (for staff)"), validators=[Optional()])
    show_badge = BooleanField(_l("Show the group as a badge beside its members' names"))

    def values(self) -> dict:
        return {"name": self.name.data, "name_zh": self.name_zh.data, "description": self.description.data,
                "show_badge": bool(self.show_badge.data)}


class AddMembersForm(FlaskForm):
    members = TextAreaField(_l("Usernames or email addresses, one per line"), validators=[Optional()])


class UploadForm(FlaskForm):
    file = FileField(_l("A text or CSV file: one username or email address per line (the first column)"))
