"""The poll form: a section of the new-thread form, or a page of its own to add a poll later."""
from __future__ import annotations

from datetime import UTC, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, HiddenField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

PREFIX = "poll"


class PollForm(FlaskForm):
    question = StringField(_l("Question"), validators=[Optional()])
    options = TextAreaField(_l("Options"), validators=[Optional()],
                            description=_l("One option per line, at least 2."))
    kind = RadioField(_l("Members may choose"), default="single",
                      choices=[SelectChoice("single", _l("one option")), SelectChoice("multiple", _l("several options"))])
    max_choices = IntegerField(_l("At most this many options (optional)"),
                               validators=[Optional(), NumberRange(min=1, max=1000)],
                               description=_l("For several options; empty means any number."))
    closes_at = DateTimeLocalField(_l("Closing time (optional)"), validators=[Optional()],
                                   format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
                                   description=_l("In UTC."))
    # Filled in by static/js/polls.js with the browser's offset, so that the closing time is local.
    tz_offset = HiddenField()
    hide_results = BooleanField(_l("Hide the results from everyone until the poll closes (staff only)"))

    def wants_poll(self) -> bool:
        """Whether the author started writing a poll (the section is optional)."""
        return bool((self.question.data or "").strip() or (self.options.data or "").strip())

    def closing_time(self):
        """Return the closing time as an aware UTC datetime, reading it in the browser's zone when known."""
        local = self.closes_at.data
        if local is None:
            return None
        raw = (self.tz_offset.data or "").strip()
        offset = int(raw) if raw.lstrip("-").isdigit() and abs(int(raw)) <= 16 * 60 else 0
        # getTimezoneOffset() is UTC minus local time, in minutes.
        return (local + timedelta(minutes=offset)).replace(tzinfo=UTC)

    def service_arguments(self) -> dict:
        return dict(multiple=self.kind.data == "multiple", max_choices=self.max_choices.data,
                    closes_at=self.closing_time(), hide_results=bool(self.hide_results.data))
