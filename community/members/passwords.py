"""Password hashing (Argon2id) and the password policy."""
from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l

# 19 640 passwords seen most often in breaches; the list Django ships (compiled by Royce Williams).
_COMMON = Path(__file__).with_name("common-passwords.txt.gz")


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    with gzip.open(_COMMON, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(time_cost=config["ARGON2_TIME_COST"], memory_cost=config["ARGON2_MEMORY_COST"],
                          parallelism=config["ARGON2_PARALLELISM"])


def hash_password(password: str) -> str:
    """Return an Argon2id hash of `password`."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Check `password` against the stored hash, without raising on a mismatch."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def has_password(password_hash: str | None) -> bool:
    """Whether the account has a password at all (one made through single sign-on, or deleted, has none)."""
    return (password_hash or "").startswith("$argon2")


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def password_problem(password: str, *, username: str = "", email: str = ""):
    """Return why `password` is refused, or None when it is acceptable."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        return _l("Use at least %(n)d characters.", n=minimum)
    if len(password) > 1024:
        return _l("That password is too long.")
    lowered = password.strip().lower()
    if lowered in _common_passwords():
        return _l("That password is too common; it would be guessed quickly.")
    if username and lowered == username.strip().lower():
        return _l("Your password must not be your username.")
    if email and lowered in (email.strip().lower(), email.split("@")[0].strip().lower()):
        return _l("Your password must not be your email address.")
    return None
