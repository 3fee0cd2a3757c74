"""The gamification forms: fields and CSRF only; the services check the values."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from ..forum.models import IdeaStatus
from ..ideas.labels import BUILT_IN
from ..reputation.badges import ICONS, RULES


class PointsForm(FlaskForm):
    upvote = StringField(_l("Reputation per upvote"), validators=[Optional()])
    downvote = StringField(_l("Reputation per downvote (0 or less)"), validators=[Optional()])
    accepted_answer = StringField(_l("Reputation per accepted answer"), validators=[Optional()])
    badge_bronze = StringField(_l("Reputation per bronze badge"), validators=[Optional()])
    badge_silver = StringField(_l("Reputation per silver badge"), validators=[Optional()])
    badge_gold = StringField(_l("Reputation per gold badge"), validators=[Optional()])
    daily_limit = StringField(_l("Daily limit of reputation from upvotes and accepted answers"),
                              validators=[Optional()],
                              description=_l("Per member and UTC day; 0 means no limit. Upvotes past it earn "
                                             "nothing and do not count toward upvote badges; downvotes always count."))
    points_per_reputation = StringField(_l("Reward points per reputation point earned"), validators=[Optional()],
                                        description=_l("0 stops members earning points; staff can still give them."))


class IdeaLabelsForm(FlaskForm):
    """One English and one Chinese field per idea status (fields added below, from IdeaStatus)."""


for _status in IdeaStatus:
    setattr(IdeaLabelsForm, f"{_status.value}_en", StringField(
        _l("%(status)s (English)", status=BUILT_IN[_status]), validators=[Optional()]))
    setattr(IdeaLabelsForm, f"{_status.value}_zh", StringField(
        _l("%(status)s (Simplified Chinese)", status=BUILT_IN[_status]), validators=[Optional()]))

LEVEL_CHOICES = [SelectChoice("bronze", _l("Bronze")), SelectChoice("silver", _l("Silver")),
                 SelectChoice("gold", _l("Gold"))]


class BadgeForm(FlaskForm):
    name = StringField(_l("Name (English)"), validators=[Optional()])
    name_zh = StringField(_l("Name (Simplified Chinese)"), validators=[Optional()],
                          description=_l("Shown to readers who chose Chinese; leave empty to show the English name."))
    description = TextAreaField(_l("Description (English)"), validators=[Optional()],
                                description=_l("Leave empty to describe the rule, e.g. “Wrote 50 posts.”"))
    description_zh = TextAreaField(_l("Description (Simplified Chinese)"), validators=[Optional()])
    icon = SelectField(_l("Icon"), choices=[SelectChoice(icon, icon) for icon in ICONS], validate_choice=False)
    level = SelectField(_l("Level"), choices=LEVEL_CHOICES, validate_choice=False,
                        description=_l("The level decides the reputation the badge carries."))
    rule = SelectField(_l("Rule"), choices=[SelectChoice(kind, rule.label) for kind, rule in RULES.items()],
                       validate_choice=False)
    threshold = StringField(_l("Threshold"), validators=[Optional()],
                            description=_l("The badge is granted when the rule's number reaches this."))

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "name", "name_zh", "description", "description_zh", "icon", "level", "rule", "threshold")}
