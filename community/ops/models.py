"""The scheduler's bookkeeping: one row per scheduled job (its last run and who holds it now)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime
from ..extensions import db


class ScheduledJob(db.Model):
    """A job of `flask community scheduler`: when it last ran, how it ended, when it is due again.

    A scheduler takes a job by moving `lease_until` forward in one conditional UPDATE (only when the job
    is due and nobody holds it), so two scheduler processes never run one job at once, on SQLite and
    PostgreSQL alike, and a restarted scheduler does not rerun a job that ran within its interval.
    """

    __tablename__ = "scheduled_jobs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str] = mapped_column(String(100), default="")
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[str] = mapped_column(String(16), default="")  # "", ok, failed
    last_result: Mapped[str] = mapped_column(Text, default="")  # what the job returned, or the error
