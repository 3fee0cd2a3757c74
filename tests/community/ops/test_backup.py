"""`flask community backup FILE` / `restore FILE`: a round trip serves the same community; restore refuses a used database.

Runs on the suite's database: SQLite, or PostgreSQL with TEST_DATABASE_URL (the restore then goes into a
database of its own, `<name>_restore`, made fresh by the test).
"""
from __future__ import annotations

import io
import json
import re
import tarfile
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from application import create_app
from community.extensions import db
from community.ops import backup as backups
from tests.conftest import test_settings as suite_settings


def _empty_target(app, tmp_path) -> str:
    """The URL of a new, empty database of the suite's kind."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.db'}"
    name = f"{url.database}_restore"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def restored_app(app, tmp_path_factory, tmp_path):
    settings = suite_settings(tmp_path_factory)
    settings["SQLALCHEMY_DATABASE_URI"] = _empty_target(app, tmp_path)
    other = create_app(settings)
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def instance_files(app):
    """An upload and a generated key in the suite's instance folder (removed afterwards)."""
    instance = Path(app.instance_path)
    upload = instance / "uploads" / "2026" / "logo.png"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_bytes(b"\x89PNG\r\n\x1a\n not really a logo")
    key = instance / "data_encryption_key"
    key.write_text("the-key-that-decrypts-the-crm")
    yield upload, key
    upload.unlink()
    key.unlink()


def _seed(make):
    board = make.board(slug="ideas-corner", name="Ideas corner")
    thread = make.thread(board=board, title="Dark mode for the mobile app", body="Please add **dark mode**.")
    for n in range(3):
        make.post(thread, body=f"Reply number {n}: yes, please.")
    make.thread(board=board, title="Export to CSV")
    return thread


def _page(client, path) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.get_data(as_text=True)
    return re.sub(r'(name="csrf_token"[^>]*value=|content=)"[^"]*"', r'\1""', html)


def test_backup_and_restore_round_trip_serves_the_same_community(app, make, tmp_path, restored_app, instance_files):
    thread = _seed(make)
    before = {path: _page(app.test_client(), path) for path in (f"/t/{thread.id}", "/b/ideas-corner")}
    counts = backups.counts()
    archive = tmp_path / "community-backup.tar.gz"

    result = app.test_cli_runner().invoke(args=["community", "backup", str(archive)])
    assert result.exit_code == 0, result.output
    # every file in the uploads folder (other tests of the session may have left members' pictures there)
    stored = [p for p in backups.uploads_path(app).rglob("*") if p.is_file()]
    assert instance_files[0] in stored and f"{len(stored)} uploads" in result.output
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("manifest.json"))
    kind = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    assert manifest["format"] == 1 and manifest["database"] == kind and manifest["created_at"]
    assert "alembic_revision" in manifest and manifest["counts"] == counts
    assert {"manifest.json", backups.DUMPS[kind], "uploads/2026/logo.png", "instance/data_encryption_key"} <= names
    assert archive.stat().st_mode & 0o077 == 0  # it holds the secret key and members' data

    with restored_app.app_context():  # a command runs in the app context it finds (the suite's, otherwise)
        result = restored_app.test_cli_runner().invoke(args=["community", "restore", str(archive)])
        assert result.exit_code == 0, result.output
        assert "posts indexed" in result.output
        assert backups.counts() == counts
    client = restored_app.test_client()
    for path, html in before.items():
        assert _page(client, path) == html, path
    assert "Dark mode for the mobile app" in before[f"/t/{thread.id}"]
    search = client.get("/api/v1/search?q=dark").get_json()  # the index was rebuilt from the restored posts
    assert {item["thread"]["id"] for item in search["items"]} == {thread.id}
    restored = Path(restored_app.instance_path)
    assert (restored / "uploads" / "2026" / "logo.png").read_bytes() == instance_files[0].read_bytes()
    assert (restored / "data_encryption_key").read_text() == "the-key-that-decrypts-the-crm"


def test_restore_refuses_a_database_that_is_not_empty(app, make, tmp_path):
    _seed(make)
    archive = tmp_path / "backup.tar.gz"
    assert app.test_cli_runner().invoke(args=["community", "backup", str(archive)]).exit_code == 0
    counts = backups.counts()
    result = app.test_cli_runner().invoke(args=["community", "restore", str(archive)])
    assert result.exit_code != 0
    assert "not empty" in result.output and "restore only goes into an empty database" in result.output
    assert backups.counts() == counts


def test_restore_refuses_a_file_that_is_not_a_backup(app, tmp_path):
    bogus = tmp_path / "notes.tar.gz"
    with tarfile.open(bogus, "w:gz") as tar:
        tar.add(__file__, "notes.py")
    result = app.test_cli_runner().invoke(args=["community", "restore", str(bogus)])
    assert result.exit_code != 0 and "is not a backup made by" in result.output
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"not even gzip")
    result = app.test_cli_runner().invoke(args=["community", "restore", str(garbage)])
    assert result.exit_code != 0 and "is not a backup made by" in result.output


def test_restore_refuses_an_archive_that_writes_outside_its_folder(app, tmp_path, restored_app):
    manifest = json.dumps({"format": 1, "database": make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name(),
                           "alembic_revision": None, "created_at": "2026-12-04T00:00:00+00:00", "counts": {}}).encode()
    hostile = tmp_path / "hostile.tar.gz"
    with tarfile.open(hostile, "w:gz") as tar:
        for name, data in (("manifest.json", manifest), ("../escaped.txt", b"owned")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with restored_app.app_context():
        result = restored_app.test_cli_runner().invoke(args=["community", "restore", str(hostile)])
        assert result.exit_code != 0 and "cannot be unpacked safely" in result.output
        assert backups.existing_tables() == []
    assert not list(Path(tempfile.gettempdir()).glob("escaped.txt"))


def test_backup_into_a_missing_folder_says_so(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["community", "backup", str(tmp_path / "nowhere" / "b.tar.gz")])
    assert result.exit_code != 0 and "does not exist" in result.output
