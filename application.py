"""The application factory: one Flask app with the forum (community) and the CRM bridge."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask

import community
import config
import crm_bridge

ROOT = Path(__file__).resolve().parent


def create_app(overrides: dict | None = None) -> Flask:
    """Build the application; `overrides` replace settings (tests use it)."""
    app = Flask(__name__, instance_relative_config=True, template_folder=str(ROOT / "templates"),
                static_folder=str(ROOT / "static"),
                instance_path=(overrides or {}).get("INSTANCE_PATH") or os.environ.get("COMMUNITY_INSTANCE_PATH"))
    config.load(app, overrides)
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "WARNING"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    community.init_app(app)
    crm_bridge.init_app(app)
    # the transaction's last statements (shared counters) after every area's before-commit work
    community.aftercommit.connect()
    return app
