"""The staff form that changes an idea's status. The rules live in the service."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from ..forum.models import IdeaStatus

STATUS_LABELS = {
    IdeaStatus.open: _l("Open"),
    IdeaStatus.under_review: _l("Under review"),
    IdeaStatus.planned: _l("Planned"),
    IdeaStatus.in_progress: _l("In progress"),
    IdeaStatus.shipped: _l("Shipped"),
    IdeaStatus.declined: _l("Declined"),
    IdeaStatus.duplicate: _l("Duplicate"),
}


class IdeaStatusForm(FlaskForm):
    status = SelectField(_l("New status"), choices=[SelectChoice(s.value, label) for s, label in STATUS_LABELS.items()],
                         validators=[InputRequired()], validate_choice=False)
    reason = TextAreaField(_l("Reason (public)"), validators=[Optional()],
                           description=_l("Shown in the thread and sent to voters and followers. "
                                          "Required when declining."))
    duplicate_of = StringField(_l("Duplicate of"), validators=[Optional()],
                               description=_l("For a duplicate: the number or link of the idea it merges into. "
                                              "Its votes move there for good, and this idea is closed."))
