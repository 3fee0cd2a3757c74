"""The migrations build, on SQLite and PostgreSQL alike, exactly the schema the models describe."""
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text

from application import create_app
from community import MIGRATIONS_DIR
from community.extensions import db

PG_ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _schema_differences(app):
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, db.metadata)


def _migrate_and_compare(url, tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="head")
    assert _schema_differences(app) == []
    with app.app_context():
        downgrade(directory=MIGRATIONS_DIR, revision="base")
        with db.engine.connect() as connection:
            tables = db.inspect(connection).get_table_names()
        assert set(tables) <= {"alembic_version"}
        upgrade(directory=MIGRATIONS_DIR, revision="head")  # and back up again after a full downgrade
        db.engine.dispose()


def test_migrations_match_models_on_sqlite(tmp_path):
    _migrate_and_compare(f"sqlite:///{tmp_path / 'migrated.db'}", tmp_path)


def _postgres_available():
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect():
            return engine
    except Exception:
        return None


def test_migrations_match_models_on_postgresql(tmp_path):
    admin = _postgres_available()
    if admin is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable at " + PG_ADMIN_URL)
        pytest.skip("PostgreSQL is not reachable")
    name = f"community_migrations_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _migrate_and_compare(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, tmp_path)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
