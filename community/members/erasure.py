"""Finding and rewriting copies of a deleted member's identity in stored text (mail, logs, payloads).

Account deletion (`services.delete_account`) sends `member_deleting` before the name and address are
gone; each area that keeps copies asks `Identity.of(member, ...)` for what identifies the member and
rewrites its rows with `Identity.scrub`. Whole words only, ignoring case: the username "ann" is erased
from "thanks @ann" but "announcement" is left alone. docs/security.md ("Account deletion") says what is
erased, what is pseudonymised and what stays.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy import Text, cast, func, or_

REPLACEMENT = "[deleted member]"


@dataclass(frozen=True)
class Identity:
    values: tuple[str, ...]

    @classmethod
    def of(cls, member, *extra: str) -> Identity:
        """What identifies `member` in text: username, email, display name, and `extra` (company, phone ...)."""
        found = []
        for value in (member.username, member.email, member.display_name, *extra):
            value = (value or "").strip()
            if len(value) >= 3 and value.casefold() not in {v.casefold() for v in found}:
                found.append(value)
        return cls(tuple(sorted(found, key=len, reverse=True)))  # longest first: the email before its user part

    @property
    def pattern(self) -> re.Pattern | None:
        if not self.values:
            return None
        return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(v) for v in self.values) + r")(?!\w)", re.IGNORECASE)

    def scrub(self, value, replacement: str = REPLACEMENT):
        """Return `value` (text, or JSON-like lists and dicts) with every identifier replaced."""
        pattern = self.pattern
        if pattern is None:
            return value
        return _scrub(value, pattern, replacement)

    def where_mentioned(self, *columns):
        """SQL: rows where one of `columns` (text or JSON) may hold an identifier (checked again in Python)."""
        if not self.values:
            return None
        tests = []
        for column in columns:
            text = func.lower(cast(column, Text))
            for value in self.values:
                for form in {value.lower(), json.dumps(value.lower())[1:-1]}:  # JSON escapes non-ASCII
                    tests.append(text.like("%" + form.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                                           + "%", escape="\\"))
        return or_(*tests)


def _scrub(value, pattern: re.Pattern, replacement: str):
    if isinstance(value, str):
        return pattern.sub(replacement, value)
    if isinstance(value, list):
        return [_scrub(item, pattern, replacement) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, pattern, replacement) for key, item in value.items()}
    return value
