"""TOTP codes (pyotp, RFC 6238: 6 digits, 30 seconds) and their QR code (segno): the one module that knows them."""
from __future__ import annotations

import time

import pyotp
import segno

DIGITS = 6
INTERVAL = 30
DRIFT_STEPS = 1  # a code of the step before or after is accepted too (a phone's clock a little off)

clock = time.time  # what "now" is (the tests set a fixed clock here)


def new_secret() -> str:
    """Return a new random base32 secret (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """Return the otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """Return the QR code of `uri` as an inline <svg> element (drawn here, no script, no outside service)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff",
                                                  title="QR code", svgclass="qr-code")


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """Return the time step whose code `code` is (within the drift allowed), else None."""
    code = "".join((code or "").split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = clock() if at is None else at
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    step = int(now // INTERVAL)
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if pyotp.utils.strings_equal(totp.at(candidate * INTERVAL), code):
            return candidate
    return None
