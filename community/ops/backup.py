"""`flask community backup FILE` and `restore FILE`: the database, uploads and instance files in one archive.

The archive is a tar.gz holding:

    manifest.json        {"format": 1, "database": "sqlite"|"postgresql", "alembic_revision", "created_at",
                          "counts": {table: rows} of the main tables, "files": [...]}
    database.sqlite3     SQLite: a consistent copy made with SQLite's online backup API (the site keeps serving)
    database.pgdump      PostgreSQL: `pg_dump --format=custom` (one consistent snapshot)
    uploads/...          the uploaded files (UPLOADS_PATH, default <instance>/uploads)
    instance/...         the small files at the top of the instance folder (secret_key and other generated
                         keys and settings), without the database itself, the search index or the mail folder,
                         and never the data encryption key (keep it apart: docs/crm.md, "Encryption at rest")

`restore` goes into an EMPTY database only (it refuses otherwise, saying why), puts the files back
(an instance file that differs is kept beside as `<name>.before-restore`), rebuilds the search index
and checks the counts against the manifest. It restores into the same kind of database it came from.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import make_url

from .. import crypto
from ..dbtypes import utcnow
from ..extensions import db
from ..forum.models import Board, Post, Thread
from ..members.models import Member
from ..search.backends import backend as search_backend

FORMAT = 1
MANIFEST = "manifest.json"
DUMPS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
COUNTED = {"members": Member, "boards": Board, "threads": Thread, "posts": Post}
INSTANCE_FILE_MAX_BYTES = 1024 * 1024  # settings and keys are small; anything larger is not one of them
_DATABASE_SUFFIXES = (".db", ".db-wal", ".db-shm", ".db-journal", ".sqlite", ".sqlite3", ".partial")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass
class RestoreReport:
    manifest: dict
    files: int = 0
    kept_aside: list[str] = field(default_factory=list)  # instance files the backup's replaced
    not_replaced: list[str] = field(default_factory=list)  # uploads already there, different, left alone
    indexed: int = 0
    counts: dict = field(default_factory=dict)
    head: str | None = None


def database_kind(app: Flask) -> str:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise BackupError("An in-memory SQLite database cannot be backed up or restored; use a file.")
        return "sqlite"
    if backend == "postgresql":
        return "postgresql"
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {backend}.")


def uploads_path(app: Flask) -> Path:
    return Path(app.config.get("UPLOADS_PATH") or Path(app.instance_path) / "uploads")


def _sqlite_file(app: Flask) -> str:
    """The file of the configured SQLite database."""
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database


def _sqlite_copy(source: str | os.PathLike, target: str | os.PathLike) -> None:
    """Copy the SQLite database `source` into `target` with SQLite's online backup API (consistent while
    `source` is in use; never a file copy, which would break a live database's locks)."""
    source_db = sqlite3.connect(source)
    target_db = sqlite3.connect(target)
    try:
        source_db.backup(target_db)
    finally:
        target_db.close()
        source_db.close()


def _instance_files(app: Flask) -> list[Path]:
    instance = Path(app.instance_path)
    skip = set()
    if database_kind(app) == "sqlite":
        skip.add(Path(_sqlite_file(app)).resolve())
    found = []
    for path in sorted(instance.iterdir()) if instance.is_dir() else []:
        if not path.is_file() or path.is_symlink() or path.resolve() in skip:
            continue
        if path.name.endswith(_DATABASE_SUFFIXES) or ".before-restore" in path.name:
            continue
        if path.name.startswith(crypto.KEY_FILE) or path.name == crypto.RETIRED_FILE:
            continue  # the data key never travels with the ciphertext it protects (community/crypto.py)
        if path.stat().st_size <= INSTANCE_FILE_MAX_BYTES:
            found.append(path)
    return found


def counts() -> dict[str, int]:
    """Rows of the main tables (written into the manifest, checked after a restore)."""
    return {name: db.session.scalar(select(func.count()).select_from(model)) or 0 for name, model in COUNTED.items()}


def alembic_revision() -> str | None:
    try:
        with db.engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # a database made without migrations (tests) has no such table
        return None


def _libpq(app: Flask) -> tuple[str, dict]:
    """The libpq URI (without the password) and the environment (PGPASSWORD) for pg_dump/pg_restore."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _run(args: list[str], env: dict) -> None:
    program = shutil.which(args[0])
    if program is None:
        raise BackupError(f"{args[0]} was not found: install the PostgreSQL client programs "
                          "(the same major version as the server or newer).")
    done = subprocess.run([program, *args[1:]], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed (exit {done.returncode}): {done.stderr.strip()[:2000]}")


def backup(app: Flask, target: str | os.PathLike) -> dict:
    """Write the archive to `target` (atomically: a half-written archive never has the name); return its manifest."""
    kind = database_kind(app)
    target = Path(target)
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist; create it or name another file.")
    with tempfile.TemporaryDirectory(prefix="community-backup-") as tmp:
        dump = Path(tmp) / DUMPS[kind]
        if kind == "sqlite":
            _sqlite_copy(_sqlite_file(app), dump)
        else:
            uri, env = _libpq(app)
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(dump), "--dbname", uri],
                 env)
        uploads = uploads_path(app)
        upload_files = sorted(p for p in uploads.rglob("*") if p.is_file() and not p.is_symlink()) \
            if uploads.is_dir() else []
        instance_files = _instance_files(app)
        manifest = {
            "format": FORMAT,
            "database": kind,
            "alembic_revision": alembic_revision(),
            "created_at": utcnow().isoformat(),
            "counts": counts(),
            "files": {"uploads": len(upload_files), "instance": [p.name for p in instance_files]},
        }
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(utcnow().timestamp()), 0o600
            archive.addfile(info, io.BytesIO(data))
            archive.add(dump, DUMPS[kind])
            for path in upload_files:
                archive.add(path, "uploads/" + path.relative_to(uploads).as_posix())
            for path in instance_files:
                archive.add(path, "instance/" + path.name)
        os.chmod(partial, 0o600)  # it holds the secret key and every member's data
        os.replace(partial, target)
    return manifest


def read_manifest(source: str | os.PathLike) -> dict:
    try:
        with tarfile.open(source, "r:gz") as archive:
            member = archive.extractfile(MANIFEST)
            manifest = json.load(member) if member is not None else None
    except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
        raise BackupError(f"{source} is not a backup made by `flask community backup` ({exc}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("database") not in DUMPS:
        raise BackupError(f"{source}: unknown backup format {manifest and manifest.get('format')!r} (this version reads "
                          f"format {FORMAT}).")
    return manifest


def existing_tables() -> list[str]:
    return inspect(db.engine).get_table_names()


def restore(app: Flask, source: str | os.PathLike, *, reindex: bool = True) -> RestoreReport:
    """Load the archive into the (empty) configured database, put the files back, rebuild the search index."""
    manifest = read_manifest(source)
    kind = database_kind(app)
    if manifest["database"] != kind:
        raise BackupError(f"This backup holds a {manifest['database']} database; DATABASE_URL names a {kind} one. "
                          f"Restore into a {manifest['database']} database.")
    tables = existing_tables()
    if tables:
        raise BackupError(
            f"The database is not empty ({len(tables)} tables, e.g. {', '.join(sorted(tables)[:3])}); restore only "
            "goes into an empty database. Create a new one (PostgreSQL: createdb; SQLite: a DATABASE_URL naming a new "
            "file) and point DATABASE_URL at it; do not run `db upgrade` before restoring.")
    report = RestoreReport(manifest)
    with tempfile.TemporaryDirectory(prefix="community-restore-") as tmp:
        try:
            with tarfile.open(source, "r:gz") as archive:
                archive.extractall(tmp, filter="data")  # no absolute paths, no .., no links out, no devices
        except (tarfile.TarError, OSError) as exc:
            raise BackupError(f"{source} cannot be unpacked safely ({exc}); nothing was restored.") from None
        dump = Path(tmp) / DUMPS[kind]
        if not dump.is_file():
            raise BackupError(f"{source} has no {DUMPS[kind]}; the archive is incomplete.")
        db.session.remove()
        db.engine.dispose()
        if kind == "sqlite":
            _sqlite_copy(dump, _sqlite_file(app))
        else:
            uri, env = _libpq(app)
            _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", uri, str(dump)], env)
        db.engine.dispose()
        report.files = _put_back(Path(tmp) / "uploads", uploads_path(app), report, aside=False)
        report.files += _put_back(Path(tmp) / "instance", Path(app.instance_path), report, aside=True)
    if reindex:
        report.indexed = search_backend(app).reindex()
    report.counts = counts()
    report.head = ScriptDirectory(app.extensions["migrate"].directory).get_current_head()
    return report


def _put_back(source: Path, target: Path, report: RestoreReport, *, aside: bool) -> int:
    if not source.is_dir():
        return 0
    copied = 0
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        if destination.exists():
            if destination.read_bytes() == path.read_bytes():
                continue
            if aside:  # the fresh install's generated key: keep it, but the backup's is the one that works
                destination.replace(destination.with_name(destination.name + ".before-restore"))
                report.kept_aside.append(destination.name)
            else:
                report.not_replaced.append(str(destination))
                continue
        shutil.copy2(path, destination)
        copied += 1
    return copied
