"""The admin forms: fields and CSRF only; the services check the values."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

KIND_CHOICES = [SelectChoice("discussion", _l("Discussion")),
                SelectChoice("question", _l("Questions and answers")),
                SelectChoice("idea", _l("Ideas")), SelectChoice("announcement", _l("Announcements"))]
VISIBILITY_CHOICES = [SelectChoice("public", _l("Public: everyone, guests too")),
                      SelectChoice("members", _l("Members: signed-in members")),
                      SelectChoice("staff", _l("Staff: staff and admins only")),
                      SelectChoice("groups", _l("Groups: the members of the groups chosen below, and staff"))]
SORT_CHOICES = [SelectChoice("latest", _l("Latest activity")), SelectChoice("new", _l("Newest")),
                SelectChoice("hot", _l("Hot")), SelectChoice("top", _l("Top"))]
POLICY_CHOICES = [SelectChoice("members", _l("Every member who can read the board")),
                  SelectChoice("trust", _l("Members from a trust level up")),
                  SelectChoice("staff", _l("Staff only"))]
TRUST_CHOICES = [SelectChoice(str(n), str(n)) for n in range(5)]
ROLE_CHOICES = [SelectChoice("member", _l("member")), SelectChoice("moderator", _l("moderator")),
                SelectChoice("staff", _l("staff")), SelectChoice("admin", _l("admin"))]

class BoardForm(FlaskForm):
    # validate_choice=False: an unknown value reaches the service, which names the problem
    slug = StringField(_l("Slug"), validators=[Optional()],
                       description=_l("The board's address: /b/<slug>. Lower-case letters a-z, digits and dashes."))
    name = StringField(_l("Name (English)"), validators=[Optional()])
    name_zh = StringField(_l("Name (Simplified Chinese)"), validators=[Optional()],
                          description=_l("Shown to readers who chose Chinese; leave empty to show the English name."))
    description = TextAreaField(_l("Description (English)"), validators=[Optional()])
    description_zh = TextAreaField(_l("Description (Simplified Chinese)"), validators=[Optional()])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES, validate_choice=False)
    visibility = SelectField(_l("Who can read it"), choices=VISIBILITY_CHOICES, validate_choice=False)
    groups = SelectMultipleField(_l("Groups that may read it (when the board is for groups)"), choices=[],
                                 validate_choice=False)
    default_sort = SelectField(_l("Default sort"), choices=SORT_CHOICES, validate_choice=False)
    start_policy = SelectField(_l("Who may start threads"), choices=POLICY_CHOICES, validate_choice=False,
                               description=_l("Announcement boards: staff only, whatever is chosen here."))
    start_min_trust = SelectField(_l("Lowest trust level (when members from a trust level up)"),
                                  choices=TRUST_CHOICES, validate_choice=False)
    # not in values(): the uploads area keeps it (community/uploads/services.py, uploads.board_policies)
    uploads = SelectField(_l("Pictures and files in posts"), choices=[
        SelectChoice("all", _l("Pictures and files")), SelectChoice("images", _l("Pictures only")),
        SelectChoice("none", _l("No uploads"))], validate_choice=False)

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "slug", "name", "name_zh", "description", "description_zh", "kind", "visibility", "default_sort",
            "start_policy", "start_min_trust", "groups")}


class DeleteBoardForm(FlaskForm):
    move_to = SelectField(_l("Move its threads to"), choices=[], validate_choice=False)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validate_choice=False)
    reason = StringField(_l("Reason (for the log)"), validators=[Optional()])


LANGUAGE_CHOICES = [SelectChoice("en", "English"), SelectChoice("zh", "简体中文")]


class SiteSettingsForm(FlaskForm):
    """The site settings and branding (community/site/branding.py checks the values and the images)."""

    name = StringField(_l("Community name"), validators=[Optional()],
                       description=_l("Shown in the header, page titles and emails. Leave empty for the configured "
                                      "name."))
    tagline = StringField(_l("Tagline"), validators=[Optional()],
                          description=_l("One line under the name on the home page."))
    logo = FileField(_l("Logo"), description=_l("PNG, JPEG, GIF or WebP, at most 2 MB; shown in the header and on "
                                                "the home page."))
    remove_logo = BooleanField(_l("Remove the logo"))
    favicon = FileField(_l("Favicon"), description=_l("A square PNG, JPEG, GIF, WebP or ICO picture, at most 512 KB; "
                                                      "the icon browsers show in tabs."))
    remove_favicon = BooleanField(_l("Remove the favicon"))
    primary_color = StringField(_l("Primary colour"), validators=[Optional()],
                                description=_l("Buttons, links and the header band, e.g. #2456c8. Text on it must "
                                               "stay readable (contrast of at least 4.5:1). Empty: the default."))
    accent_color = StringField(_l("Accent colour"), validators=[Optional()],
                               description=_l("The header's lower edge, e.g. #c2410c (at least 3:1 against white). Empty: the default."))
    default_language = SelectField(_l("Default language"), choices=LANGUAGE_CHOICES, validate_choice=False,
                                   description=_l("For visitors whose browser asks for no language we have."))
    intro = TextAreaField(_l("Home page introduction"), validators=[Optional()],
                          description=_l("Markdown, shown at the top of the home page."))
    terms = TextAreaField(_l("Terms of service"), validators=[Optional()],
                          description=_l("Markdown. When set, the footer links to it and registering asks to "
                                         "accept it."))
    privacy = TextAreaField(_l("Privacy policy"), validators=[Optional()],
                            description=_l("Markdown. When set, the footer and the registration form link to it."))
    contact_email = StringField(_l("Contact address"), validators=[Optional()],
                                description=_l("Shown in the footer, e.g. community@example.com."))

    TEXT_FIELDS = ("name", "tagline", "primary_color", "accent_color", "default_language", "intro", "terms",
                   "privacy", "contact_email")

    def values(self) -> dict:
        return {name: getattr(self, name).data or "" for name in self.TEXT_FIELDS}
