"""The community's identity: its name, tagline, logo, favicon, colours, default language, home intro, terms,
privacy page and contact address. The keys below are declared here, once; other areas read them here.

- `community_name()` is the one name shown everywhere (header, page titles, feeds, mails): `site.name`, else
  the configuration's `COMMUNITY_NAME`. Mail (community/mail/compose.py) uses it too: there is one name.
- `brand()` gathers what the page frame (base.html) shows, once per request (the settings cost one query).
- Colours: `site.primary_color` (buttons, links, the header band) must leave text on it readable, white or
  the page's text colour, at WCAG AA's 4.5:1; `site.accent_color` (the header's lower edge, current tabs) is
  decoration and needs 3:1 against white (WCAG 1.4.11, non-text contrast). They reach pages through
  `/brand.css?v=<hash>` (custom properties; the CSP forbids inline styles), see `brand_css()`.
- `save_branding(...)` checks everything (images included) before anything is written: a refused form
  leaves no setting changed and no file behind.
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from flask import current_app, g, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from .. import settings, text
from ..aftercommit import after_commit
from ..errors import ValidationFailed
from ..extensions import db
from ..uploads import storage

NAME_MAX, TAGLINE_MAX, PAGE_MAX = 100, 200, 50_000
LOGO_MAX_BYTES, LOGO_MAX_SIDE = 2 * 1024 * 1024, 1024
FAVICON_MAX_BYTES, FAVICON_MAX_SIDE = 512 * 1024, 256
WHITE, PAGE_TEXT = "#ffffff", "#1d2330"  # the page's text colour (--fg in static/css/site.css)
TEXT_CONTRAST, DECORATION_CONTRAST = 4.5, 3.0
HEX_RE = re.compile(r"^#[0-9a-f]{6}$")
SHORT_HEX_RE = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LANGUAGES = {"en": "en", "zh": "zh_CN"}  # the setting's value -> the locale it stands for


# ---- colours ---------------------------------------------------------------------------------------

def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, gr, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(gr) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def normalise_colour(value: str) -> str:
    """`#ABC`, `abc` or `#AABBCC` as `#aabbcc`; anything else is returned unchanged (the check refuses it)."""
    value = (value or "").strip()
    match = SHORT_HEX_RE.match(value)
    if not match:
        return value
    digits = match.group(1).lower()
    return "#" + ("".join(c * 2 for c in digits) if len(digits) == 3 else digits)


def text_on(colour: str) -> str | None:
    """The text colour readable on `colour` (white first, else the page's text), or None when neither is."""
    for candidate in (WHITE, PAGE_TEXT):
        if contrast(colour, candidate) >= TEXT_CONTRAST:
            return candidate
    return None


def _ratio(value: float) -> str:
    return f"{math.floor(value * 100) / 100:.2f}:1"  # rounded down: 4.499 must not read as 4.50


def _check_primary(value: str) -> str | None:
    if value == "":
        return None
    if not HEX_RE.match(value):
        return _l("Use a colour in the form #2456c8 (a # and six hexadecimal digits).")
    if text_on(value) is None:
        return _l("Text on this colour would be hard to read: its contrast is %(white)s with white text and "
                  "%(dark)s with the page's dark text; at least 4.5:1 is needed (WCAG AA). Choose a darker or "
                  "a lighter colour.", white=_ratio(contrast(value, WHITE)), dark=_ratio(contrast(value, PAGE_TEXT)))
    return None


def _check_accent(value: str) -> str | None:
    if value == "":
        return None
    if not HEX_RE.match(value):
        return _l("Use a colour in the form #2456c8 (a # and six hexadecimal digits).")
    ratio = contrast(value, WHITE)
    if ratio < DECORATION_CONTRAST:
        return _l("This colour is too faint on the white header: its contrast is %(ratio)s; at least 3:1 is "
                  "needed.", ratio=_ratio(ratio))
    return None


# ---- the settings ------------------------------------------------------------------------------------

def _line(limit: int):
    def check(value: str) -> str | None:
        if len(value) > limit:
            return _l("At most %(n)d characters.", n=limit)
        if CONTROL_RE.search(value) or "\n" in value or "\r" in value:
            return _l("One line, without control characters.")
        return None
    return check


def _page(value: str) -> str | None:
    if len(value) > PAGE_MAX:
        return _l("At most %(n)d characters.", n=PAGE_MAX)
    return None


def _upload(value: str) -> str | None:
    return None if value == "" or storage.valid_id(value) else _l("Not a stored image.")


def _email(value: str) -> str | None:
    if value == "":
        return None
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return _l("That is not a valid email address.")
    return None


NAME = settings.declare("site.name", "", str, check=_line(NAME_MAX))  # "": config COMMUNITY_NAME
TAGLINE = settings.declare("site.tagline", "", str, check=_line(TAGLINE_MAX))
LOGO = settings.declare("site.logo", "", str, check=_upload)  # an upload id (community/uploads/storage.py)
FAVICON = settings.declare("site.favicon", "", str, check=_upload)
PRIMARY_COLOR = settings.declare("site.primary_color", "", str, check=_check_primary)  # "": the stylesheet's
ACCENT_COLOR = settings.declare("site.accent_color", "", str, check=_check_accent)
DEFAULT_LANGUAGE = settings.declare("site.default_language", "en", str, choices=tuple(LANGUAGES))
INTRO = settings.declare("site.intro", "", str, check=_page)  # markdown
TERMS = settings.declare("site.terms", "", str, check=_page)  # markdown
PRIVACY = settings.declare("site.privacy", "", str, check=_page)  # markdown
CONTACT_EMAIL = settings.declare("site.contact_email", "", str, check=_email)

TEXT_FIELDS = ("name", "tagline", "primary_color", "accent_color", "default_language", "intro", "terms", "privacy",
               "contact_email")


def community_name() -> str:
    """The community's name: the admin's (site.name), else the configuration's COMMUNITY_NAME."""
    return NAME.value or current_app.config["COMMUNITY_NAME"]


def default_locale() -> str:
    """The language for readers whose browser and settings name none (site.default_language)."""
    try:
        return LANGUAGES.get(DEFAULT_LANGUAGE.value, current_app.config["BABEL_DEFAULT_LOCALE"])
    except SQLAlchemyError:  # the database is down: the error page must still render
        db.session.rollback()
        return current_app.config["BABEL_DEFAULT_LOCALE"]


@lru_cache(maxsize=32)
def markdown_html(source: str) -> Markup:
    """An admin's markdown (intro, terms, privacy) as sanitized HTML (kept: the same text renders the same)."""
    return Markup(text.render(source).html)


# ---- what pages show -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Brand:
    name: str
    tagline: str
    logo_url: str | None
    favicon_url: str | None
    css_url: str | None
    contact_email: str
    has_terms: bool
    has_privacy: bool


def brand_css(primary: str | None = None, accent: str | None = None) -> str:
    """The stylesheet of the brand colours (empty when none is set)."""
    primary = PRIMARY_COLOR.value if primary is None else primary
    accent = ACCENT_COLOR.value if accent is None else accent
    rules = []
    if primary and HEX_RE.match(primary):
        rules.append(f"--accent:{primary};--accent-fg:{text_on(primary) or WHITE};")
        # links are drawn in the primary colour on white: dark page text when it would be too faint there
        rules.append(f"--link:{primary if contrast(primary, WHITE) >= TEXT_CONTRAST else PAGE_TEXT};")
    if accent and HEX_RE.match(accent):
        rules.append(f"--brand-accent:{accent};")
    return f":root{{{''.join(rules)}}}\n" if rules else ""


def brand_css_version(css: str) -> str:
    return hashlib.sha256(css.encode()).hexdigest()[:12]


def brand() -> Brand:
    """What the page frame shows of the brand, read once per request."""
    found = g.get("_brand")
    if found is None:
        try:
            found = _read_brand()
        except SQLAlchemyError:  # the database is down: the error page still renders, unbranded
            db.session.rollback()
            return Brand(name=current_app.config["COMMUNITY_NAME"], tagline="", logo_url=None, favicon_url=None,
                         css_url=None, contact_email="", has_terms=False, has_privacy=False)
        g._brand = found
    return found


def _read_brand() -> Brand:
    css = brand_css()
    return Brand(
        name=community_name(), tagline=TAGLINE.value,
        logo_url=storage.url_of(LOGO.value) if LOGO.value else None,
        favicon_url=url_for("site.favicon", v=FAVICON.value[:8]) if FAVICON.value else None,
        css_url=url_for("site.brand_stylesheet", v=brand_css_version(css)) if css else None,
        contact_email=CONTACT_EMAIL.value, has_terms=bool(TERMS.value.strip()),
        has_privacy=bool(PRIVACY.value.strip()))


# ---- saving ----------------------------------------------------------------------------------------------

def _clean_text(name: str, value) -> str:
    value = str(value if value is not None else "")
    if name in ("intro", "terms", "privacy"):
        return CONTROL_RE.sub("", value.replace("\r\n", "\n")).strip()
    if name in ("primary_color", "accent_color"):
        return normalise_colour(value)
    if name == "contact_email":
        return value.strip()
    return " ".join(value.split()) if name in ("name", "tagline") else value.strip()


def save_branding(actor, data: dict, *, logo=None, favicon=None, remove_logo: bool = False,
                  remove_favicon: bool = False) -> list[str]:
    """Check and save the site settings in `data` (form field names, see TEXT_FIELDS) and the uploaded images.

    Every value and image is checked first; only then are images written and settings stored, so a refusal
    (ValidationFailed naming each bad field) changes nothing. Returns the keys that changed. Does not commit.
    """
    changes = {f"site.{name}": _clean_text(name, data[name]) for name in TEXT_FIELDS if name in data}
    problems: dict = {}
    prepared = {}
    for field, file, max_bytes, max_side in (("logo", logo, LOGO_MAX_BYTES, LOGO_MAX_SIDE),
                                             ("favicon", favicon, FAVICON_MAX_BYTES, FAVICON_MAX_SIDE)):
        if file is None or not getattr(file, "filename", "x"):
            continue
        try:
            prepared[field] = storage.prepare_image(file, max_bytes, max_side, field=field,
                                                    force_png=field == "favicon")
        except ValidationFailed as exc:
            problems.update(exc.fields)
    for field, remove in (("logo", remove_logo), ("favicon", remove_favicon)):
        if field in prepared:
            changes[f"site.{field}"] = prepared[field].id
        elif remove:
            changes[f"site.{field}"] = ""
    problems.update(_problems(changes))
    if problems:
        raise ValidationFailed(_l("Please correct the marked fields."), problems)
    replaced = [settings.get(f"site.{f}") for f in ("logo", "favicon") if f"site.{f}" in changes]
    for image in prepared.values():
        storage.store(image)
    changed = settings.save(changes, by=actor)
    g.pop("_brand", None)
    for old in replaced:
        if old and old not in (settings.get("site.logo"), settings.get("site.favicon")):
            after_commit(storage.delete_file, storage.path_of(old))  # a random name: nothing else points at it
    return changed


def _problems(changes: dict) -> dict:
    """The form fields whose new value the settings store would refuse (checked without saving)."""
    try:
        settings.check(changes)
    except ValidationFailed as exc:
        return {key.removeprefix("site."): message for key, message in exc.fields.items()}
    return {}
