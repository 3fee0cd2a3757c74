"""WebAuthn passkeys as a second factor (the `webauthn` package): the one module that knows it.

The relying party is this site as the browser reached it: its host name is the RP ID and its origin the
expected origin (behind a proxy, `TRUSTED_PROXIES` makes the forwarded host and scheme believed). Each
ceremony's challenge lives in the signed session cookie for five minutes. Services flush, never commit."""
from __future__ import annotations

import json
import secrets
import time

from flask import request, session
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ..dbtypes import utcnow
from ..errors import ValidationFailed
from ..extensions import db
from ..members.models import Member
from .models import SecondFactor

CHALLENGE = "twofactor_webauthn"
CHALLENGE_SECONDS = 300


def _relying_party() -> tuple[str, str]:
    return request.host.split(":")[0], f"{request.scheme}://{request.host}"


def passkeys_of(member: Member) -> list[SecondFactor]:
    """Return the member's passkeys, oldest first."""
    return list(db.session.scalars(select(SecondFactor).where(SecondFactor.member_id == member.id,
                                                              SecondFactor.kind == "passkey")
                                   .order_by(SecondFactor.id)))


def _descriptors(member: Member) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(id=base64url_to_bytes(key.credential_id)) for key in passkeys_of(member)]


def _remember(purpose: str, member: Member, challenge: bytes) -> None:
    session[CHALLENGE] = {"p": purpose, "m": member.id, "c": bytes_to_base64url(challenge), "t": int(time.time())}


def _take(purpose: str, member: Member) -> bytes | None:
    kept = session.pop(CHALLENGE, None)
    if not isinstance(kept, dict) or kept.get("p") != purpose or kept.get("m") != member.id \
            or time.time() - int(kept.get("t", 0)) > CHALLENGE_SECONDS:
        return None
    return base64url_to_bytes(kept["c"])


def registration_options(member: Member, site_name: str) -> str:
    """Return the JSON options for `navigator.credentials.create` (the challenge is kept in the session)."""
    rp_id, _origin = _relying_party()
    options = generate_registration_options(
        rp_id=rp_id, rp_name=site_name, user_name=member.username, user_id=f"member-{member.id}".encode(),
        user_display_name=member.name, challenge=secrets.token_bytes(32), exclude_credentials=_descriptors(member),
        authenticator_selection=AuthenticatorSelectionCriteria(resident_key=ResidentKeyRequirement.PREFERRED,
                                                               user_verification=UserVerificationRequirement.PREFERRED))
    _remember("register", member, options.challenge)
    return options_to_json(options)


def _refused():
    return ValidationFailed(_l("The passkey could not be checked. Please try again."),
                            {"credential": _l("The passkey could not be checked. Please try again.")})


def add_passkey(member: Member, credential, name: str = "") -> SecondFactor:
    """Store the passkey the browser made for the kept challenge; raise ValidationFailed when it does not check."""
    challenge = _take("register", member)
    if challenge is None:
        raise _refused()
    rp_id, origin = _relying_party()
    try:
        verified = verify_registration_response(credential=credential if isinstance(credential, str)
                                                else json.dumps(credential), expected_challenge=challenge,
                                                expected_rp_id=rp_id, expected_origin=origin)
    except (WebAuthnException, ValueError, TypeError, KeyError):  # anything a browser (or not) sends
        raise _refused() from None
    key = SecondFactor(member_id=member.id, kind="passkey", secret="", name=(name or "").strip()[:64] or "Passkey",
                       credential_id=bytes_to_base64url(verified.credential_id),
                       public_key=bytes_to_base64url(verified.credential_public_key),
                       sign_count=verified.sign_count, created_at=utcnow(), last_used_at=utcnow())
    db.session.add(key)
    db.session.flush()
    return key


def authentication_options(member: Member) -> str:
    """Return the JSON options for `navigator.credentials.get` with the member's passkeys."""
    rp_id, _origin = _relying_party()
    options = generate_authentication_options(rp_id=rp_id, challenge=secrets.token_bytes(32),
                                              allow_credentials=_descriptors(member),
                                              user_verification=UserVerificationRequirement.PREFERRED)
    _remember("sign_in", member, options.challenge)
    return options_to_json(options)


def check_passkey(member: Member, credential) -> bool:
    """Whether `credential` is a valid answer of one of the member's passkeys to the kept challenge."""
    challenge = _take("sign_in", member)
    if challenge is None or not isinstance(credential, dict):
        return False
    key = next((k for k in passkeys_of(member) if k.credential_id == credential.get("id")), None)
    if key is None:
        return False
    rp_id, origin = _relying_party()
    try:
        verified = verify_authentication_response(
            credential=json.dumps(credential), expected_challenge=challenge, expected_rp_id=rp_id,
            expected_origin=origin, credential_public_key=base64url_to_bytes(key.public_key),
            credential_current_sign_count=key.sign_count or 0)
    except (WebAuthnException, ValueError, TypeError, KeyError):
        return False
    key.sign_count, key.last_used_at = verified.new_sign_count, utcnow()
    db.session.flush()
    return True
