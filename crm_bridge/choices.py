"""What a member chose for the brand: consent to marketing and research, where rewards are sent.

Both arrive through community signals (`consent_changed`, `reward_redeemed`) in the member's own
transaction and are copied onto the CRM profile; exports and segments read them from there.
"""
from __future__ import annotations

from sqlalchemy import update

from community import signals
from community.extensions import db

from .models import CrmProfile
from .services import ensure_profile
from .subscribe import connect_all


def on_consent_changed(member, marketing=False, research=False, marketing_at=None, research_at=None, **_kw):
    ensure_profile(member)
    db.session.execute(update(CrmProfile).where(CrmProfile.member_id == member.id).values(
        consent_marketing=bool(marketing), consent_research=bool(research),
        consent_marketing_at=marketing_at, consent_research_at=research_at)
        .execution_options(synchronize_session="fetch"))


def on_reward_redeemed(redemption, member=None, **_kw):
    if member is None or not getattr(redemption, "shipping_address", ""):
        return
    ensure_profile(member)
    db.session.execute(update(CrmProfile).where(CrmProfile.member_id == member.id).values(
        shipping_name=redemption.shipping_name, shipping_address=redemption.shipping_address,
        shipping_phone=redemption.shipping_phone).execution_options(synchronize_session="fetch"))


def connect() -> None:
    connect_all({signals.consent_changed: on_consent_changed, signals.reward_redeemed: on_reward_redeemed})
