"""The CRM's jobs for `flask community scheduler` (registered through community.registry; the forum never imports us)."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask

from community.registry import register_scheduled_job

from . import cases, webhooks
from .services import refresh_all_stages

DAY = timedelta(days=1)


def refresh_stages() -> str:
    """Recompute every profile's scores and lifecycle stage."""
    return f"{refresh_all_stages()} profiles refreshed"


def prune_webhooks() -> str:
    """Delete finished webhook events older than WEBHOOK_RETENTION_DAYS, with deliveries and attempts."""
    return f"{webhooks.prune()} webhook events deleted"


def open_overdue_cases() -> str:
    """Open a case for every question past its response target that has none."""
    return f"{cases.open_overdue_questions()} cases opened"


def register(app: Flask) -> None:
    register_scheduled_job(app, "crm.cases-overdue", open_overdue_cases, every=timedelta(hours=1))
    register_scheduled_job(app, "crm.refresh-stages", refresh_stages, every=DAY)
    register_scheduled_job(app, "crm.webhooks-prune", prune_webhooks, every=DAY)
