"""Changes of members' roles (community's `member_role_changed`) go to the staff audit log, in the same
transaction as the change: who changed whose role, from what to what. None as the actor is the operator
at the command line (`flask community member set-role`). So do staff decisions on accounts waiting for
approval (`registration_reviewed`): who admitted or turned away whom, and why; and every change of a member's
second factor (`second_factor_changed`: enrolment, removal, a recovery code used, new codes), by the member."""
from __future__ import annotations

from sqlalchemy import select

from community import signals
from community.extensions import db

from .models import AuditEntry, CrmProfile
from .subscribe import connect_all


def on_member_role_changed(member, by=None, previous=None, role=None, **_kw):
    profile_id = db.session.scalar(select(CrmProfile.id).where(CrmProfile.member_id == member.id))
    db.session.add(AuditEntry(staff_id=by.id if by is not None else None, action="role_changed",
                              profile_id=profile_id,
                              detail={"member_id": member.id,
                                      "previous": getattr(previous, "value", previous),
                                      "role": getattr(role, "value", role),
                                      "via": "web" if by is not None else "command line"}))


def on_registration_reviewed(member, by=None, decision="", reason="", **_kw):
    profile_id = db.session.scalar(select(CrmProfile.id).where(CrmProfile.member_id == member.id))
    db.session.add(AuditEntry(staff_id=by.id if by is not None else None, action=f"registration_{decision}"[:32],
                              profile_id=profile_id, detail={"member_id": member.id, "reason": reason}))


def on_second_factor_changed(member, action="", kind="totp", address="", remaining=None, **_kw):
    profile_id = db.session.scalar(select(CrmProfile.id).where(CrmProfile.member_id == member.id))
    db.session.add(AuditEntry(staff_id=member.id, action=f"2fa_{action}"[:32], profile_id=profile_id,
                              detail={"member_id": member.id, "kind": kind, "address": address,
                                      "recovery_codes_left": remaining}))


_SUBSCRIPTIONS = {signals.member_role_changed: on_member_role_changed,
                  signals.registration_reviewed: on_registration_reviewed,
                  signals.second_factor_changed: on_second_factor_changed}


def connect() -> None:
    connect_all(_SUBSCRIPTIONS)
