"""Running it for real: the scheduler of daily jobs, backup and restore, request logs with an id.

- `scheduler`: `flask community scheduler [--once|--list]` runs the jobs areas register with
  `registry.register_scheduled_job(app, name, run, every=...)`.
- `jobs`: the community's own scheduled jobs (crm_bridge registers its own).
- `backup`: `flask community backup FILE` / `restore FILE` (database, uploads, instance files; one tar.gz).
- `requestlog`: one line per request with its `X-Request-ID`.
"""
from __future__ import annotations

from flask import Flask

from . import cli, jobs, models, requestlog  # noqa: F401  (models: the table, for create_all and Alembic)
from .scheduler import DEFAULTS


def init_app(app: Flask) -> None:
    """Add the commands, the request log and the community's scheduled jobs."""
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    requestlog.init_app(app)
    cli.init_app(app)
    jobs.register(app)
