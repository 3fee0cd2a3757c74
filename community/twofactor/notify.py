"""Mail the member each change of their second factor (one cannot be turned off or used unnoticed)."""
from __future__ import annotations

from ..mail.compose import compose, enqueue, link


def on_second_factor_changed(member, *, action: str, address: str = "", at=None, remaining: int = 0, **_extra) -> None:
    """Queue the notice in the change's transaction (security notices cannot be turned off)."""
    if member.deleted_at is not None or not member.email:
        return
    enqueue(compose(to=member.email, kind="security", template="twofactor_changed", member=member, action=action,
                    address=address, at=at, remaining=remaining, settings_url=link("twofactor.settings")))
