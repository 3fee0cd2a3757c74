"""The operator's contract: configuration from the environment, /healthz, and the CLI."""
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from application import create_app
from community.members.models import Member, Role

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_names_each_part_it_checked(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["search_index"]["ok"] is True
    assert "message_queue" not in body["checks"]  # no Redis configured


def test_healthz_is_503_when_the_message_queue_is_down(tmp_path, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    app = create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["message_queue"]["ok"] is False


def test_healthz_is_503_when_the_search_index_is_unreadable(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True, "SEARCH_INDEX_DIR": str(blocker)})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["search_index"]["ok"] is False


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    second = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by the owner only
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"] == "from-the-environment"


def test_environment_chooses_database_and_prefixed_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/community")
    monkeypatch.setenv("COMMUNITY_POSTS_PER_PAGE", "7")
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/community"
    assert app.config["POSTS_PER_PAGE"] == 7
    assert app.config["RATELIMIT_ENABLED"] is False
    monkeypatch.delenv("DATABASE_URL")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'community.db'}"


def test_create_admin_needs_no_prompt(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["community", "create-admin", "--username", "boss", "--email", "boss@example.com",
                                 "--password", "a-long-unusual-pass-7"])
    assert result.exit_code == 0, result.output
    member = db.session.scalar(select(Member).where(Member.username == "boss"))
    assert member.role is Role.admin
    again = runner.invoke(args=["community", "create-admin", "--username", "boss", "--email", "b2@example.com",
                                "--password", "a-long-unusual-pass-7"])
    assert again.exit_code != 0 and "taken" in again.output


def test_flask_db_upgrade_from_the_command_line(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "COMMUNITY_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "community", "create-admin",
                             "--username", "root_admin", "--email", "r@example.com", "--password", "a-long-unusual-pass-7"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
