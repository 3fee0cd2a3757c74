"""Who may use the CRM: the named predicates of crm_bridge, built on the community's roles.

They live here, beside the pages they guard, because the community knows nothing of the CRM. Views,
the API and crm_bridge's templates (as `crm_can`, a template global) ask them.
"""
from __future__ import annotations

from community.permissions import is_staff


def can_view_crm(member) -> bool:
    """The CRM (profiles, timelines, notes, exports) is for staff and admins; moderators see none of it."""
    return is_staff(member)


def can_manage_webhooks(member) -> bool:
    """Webhook endpoints send community events out of the system: staff and admins configure them."""
    return is_staff(member)
