"""The staff form that changes an idea's status. The rules live in the service."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from ..forum.models import IdeaStatus
from .labels import BUILT_IN as STATUS_LABELS  # noqa: F401  (the built-in labels, kept under their old name)
from .labels import status_label


class IdeaStatusForm(FlaskForm):
    status = SelectField(_l("New status"), choices=[], validators=[InputRequired()], validate_choice=False)
    reason = TextAreaField(_l("Reason (public)"), validators=[Optional()],
                           description=_l("Shown in the thread and sent to voters and followers. "
                                          "Required when declining."))
    duplicate_of = StringField(_l("Duplicate of"), validators=[Optional()],
                               description=_l("For a duplicate: the number or link of the idea it merges into. "
                                              "Its votes move there for good, and this idea is closed."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The labels admins set, read when the form is built (per request), not at import.
        self.status.choices = [SelectChoice(s.value, status_label(s)) for s in IdeaStatus]
