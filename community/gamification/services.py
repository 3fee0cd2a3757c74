"""Gamification services: save points and labels (all or nothing), define, enable and delete badges.

Every function checks `can_manage_gamification`, raises ServiceError (nothing written) on bad input, flushes
and does not commit.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from .. import settings
from ..dbtypes import utcnow
from ..errors import Conflict, NotPermitted, ValidationFailed
from ..extensions import db
from ..forum.models import IdeaStatus
from ..ideas import labels
from ..permissions import can_manage_gamification
from ..reputation import badges
from ..reputation.models import Badge, BadgeGrant, BadgeLevel
from ..reputation.services import POINT_SETTINGS
from ..rewards.services import MAX_POINTS_PER_REPUTATION

WHOLE = re.compile(r"[+-]?[0-9]{1,9}")

# form field -> (setting key, lowest, highest)
POINT_FIELDS: dict[str, tuple[str, int, int]] = {
    key.rsplit(".", 1)[-1]: (key, low, high) for key, _default, low, high in POINT_SETTINGS}
POINT_FIELDS["points_per_reputation"] = ("rewards.points_per_reputation", 0, MAX_POINTS_PER_REPUTATION)


def _require(admin) -> None:
    if not can_manage_gamification(admin):
        raise NotPermitted(_l("Only administrators change gamification settings."))


def _whole(text, low: int, high: int) -> int | None:
    text = str(text if text is not None else "").strip()
    if not WHOLE.fullmatch(text):
        return None
    number = int(text)
    return number if low <= number <= high else None


def point_values() -> dict[str, int]:
    """Return the current value of each points field."""
    return {field: settings.get(key) for field, (key, _low, _high) in POINT_FIELDS.items()}


def save_points(admin, raw: dict) -> list[str]:
    """Save the points per action and limits from form text; return the setting keys that changed."""
    _require(admin)
    problems, values = {}, {}
    for field, (key, low, high) in POINT_FIELDS.items():
        number = _whole(raw.get(field), low, high)
        if number is None:
            problems[field] = _l("Enter a whole number from %(low)d to %(high)d.", low=low, high=high)
        else:
            values[key] = number
    if problems:
        raise ValidationFailed(_l("Please correct the marked fields."), problems)
    return settings.save(values, by=admin)


def label_field(status: IdeaStatus, language: str) -> str:
    return f"{status.value}_{language}"


def label_values() -> dict[str, str]:
    return {label_field(s, lang): settings.get(labels.label_key(s, lang)) for s in IdeaStatus for lang in ("en", "zh")}


def save_idea_labels(admin, raw: dict) -> list[str]:
    """Save the label of each idea status in English and Chinese (empty: the built-in label)."""
    _require(admin)
    problems, values = {}, {}
    for status in IdeaStatus:
        for language in ("en", "zh"):
            field = label_field(status, language)
            text = " ".join(str(raw.get(field) or "").split())
            if len(text) > labels.MAX_LABEL:
                problems[field] = _l("At most %(n)d characters.", n=labels.MAX_LABEL)
            else:
                values[labels.label_key(status, language)] = text
    if problems:
        raise ValidationFailed(_l("Please correct the marked fields."), problems)
    return settings.save(values, by=admin)


# ---- badges ---------------------------------------------------------------------------------------

@dataclass
class BadgeInput:
    name: str = ""
    name_zh: str = ""
    description: str = ""
    description_zh: str = ""
    icon: str = ""
    level: str = "bronze"
    rule: str = ""
    threshold: object = None


def _clean(text) -> str:
    return " ".join(str(text or "").split())


def _check_badge(data: BadgeInput) -> dict:
    problems: dict = {}
    values = {"name": _clean(data.name), "name_zh": _clean(data.name_zh), "description": _clean(data.description),
              "description_zh": _clean(data.description_zh), "icon": data.icon or ""}
    if not 2 <= len(values["name"]) <= 100:
        problems["name"] = _l("A name of 2 to 100 characters.")
    if len(values["name_zh"]) > 100:
        problems["name_zh"] = _l("At most %(n)d characters.", n=100)
    for field in ("description", "description_zh"):
        if len(values[field]) > 255:
            problems[field] = _l("At most %(n)d characters.", n=255)
    if values["icon"] not in badges.ICONS:
        problems["icon"] = _l("Choose one of the icons.")
    if data.level not in {level.value for level in BadgeLevel}:
        problems["level"] = _l("Choose bronze, silver or gold.")
    else:
        values["level"] = BadgeLevel(data.level)
    rule = badges.RULES.get(data.rule or "")
    if rule is None:
        problems["rule"] = _l("Choose one of the rules.")
    else:
        values["rule"] = rule.kind
        threshold = _whole(data.threshold, rule.low, rule.high)
        if threshold is None:
            problems["threshold"] = _l("Enter a whole number from %(low)d to %(high)d.", low=rule.low, high=rule.high)
        values["threshold"] = threshold
    if problems:
        raise ValidationFailed(_l("Please correct the marked fields."), problems)
    return values


def _new_slug(name: str) -> str:
    base = "-".join(re.findall(r"[a-z0-9]+", name.lower()))[:48].strip("-") or "badge"
    taken = set(badges.REGISTRY) | set(db.session.scalars(select(Badge.slug).where(Badge.slug.like(f"{base}%"))))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_badge(admin, data: BadgeInput) -> Badge:
    """Define a custom badge; members who meet its rule get it at their next matching event."""
    _require(admin)
    values = _check_badge(data)
    badge = Badge(slug=_new_slug(values["name"]), created_at=utcnow(), enabled=True, **values)
    db.session.add(badge)
    db.session.flush()
    badges.forget_cached_rows()
    return badge


def update_badge(admin, badge: Badge, data: BadgeInput) -> Badge:
    """Change a custom badge (its slug stays, so links keep working; holders keep it whatever the new rule)."""
    _require(admin)
    if not badge.custom:
        raise NotPermitted(_l("Built-in badges can only be enabled or disabled."))
    for key, value in _check_badge(data).items():
        setattr(badge, key, value)
    db.session.flush()
    badges.forget_cached_rows()
    return badge


def set_badge_enabled(admin, slug: str, enabled: bool) -> Badge:
    """Enable or disable a badge (built-in or custom). Disabled: nobody new earns it; holders keep it."""
    _require(admin)
    badge = badges.badge_row(slug)
    badge.enabled = bool(enabled)
    db.session.flush()
    badges.forget_cached_rows()
    return badge


def holder_count(badge: Badge) -> int:
    return int(db.session.scalar(select(func.count()).select_from(BadgeGrant).where(BadgeGrant.badge_id == badge.id))
               or 0)


def delete_badge(admin, badge: Badge) -> None:
    """Delete a custom badge nobody holds. One with holders can only be disabled: its grants, and the
    reputation and points they carried, are history that stays."""
    _require(admin)
    if not badge.custom:
        raise NotPermitted(_l("Built-in badges can only be enabled or disabled."))
    if db.session.scalar(select(exists().where(BadgeGrant.badge_id == badge.id))):
        raise Conflict(_l("Members hold this badge: disable it instead, so they keep it and nobody new earns it."))
    db.session.delete(badge)
    db.session.flush()
    badges.forget_cached_rows()


def badge_overview() -> tuple[list, list]:
    """Return (built-in rows, custom rows) for the admin list: (BadgeDef, enabled, holders) and (Badge, holders)."""
    counts = dict(db.session.execute(select(Badge.slug, func.count(BadgeGrant.id))
                                     .outerjoin(BadgeGrant, BadgeGrant.badge_id == Badge.id).group_by(Badge.slug)).all())
    rows = {badge.slug: badge for badge in db.session.scalars(select(Badge).order_by(Badge.id))}
    built_in = [(spec, rows[spec.slug].enabled if spec.slug in rows else True, counts.get(spec.slug, 0))
                for spec in badges.REGISTRY.values()]
    custom = [(badge, counts.get(badge.slug, 0)) for badge in rows.values() if badge.custom]
    return built_in, custom
