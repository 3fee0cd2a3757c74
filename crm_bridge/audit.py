"""The audit log of staff access: one line for every profile view, export and change by staff."""
from __future__ import annotations

from community.extensions import db
from community.members.models import Member

from .models import AuditEntry, CrmProfile


def audit(staff: Member, action: str, profile: CrmProfile | None, **detail) -> None:
    """Write one line of the audit log (every profile view and change by staff)."""
    db.session.add(AuditEntry(staff_id=staff.id, action=action, profile_id=profile.id if profile else None,
                              detail=detail))
