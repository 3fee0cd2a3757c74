"""/setup: a fresh install names the community and makes its first admin, once; then it is gone for ever."""
from __future__ import annotations

import threading

import pytest
from flask import g
from sqlalchemy import func, select

from community import settings
from community.extensions import db
from community.members.models import Member, Role
from tests.conftest import csrf_token_from

PASSWORD = "a-long-unusual-pass-7"
GOOD = {"site_name": "Acme Community", "username": "founder", "email": "founder@acme.example",
        "password": PASSWORD, "mode": "approval"}


@pytest.fixture(autouse=True)
def fresh_install(app):
    """Each test starts as a fresh install: the per-process "setup done" memo forgotten."""
    app.extensions.pop("community.setup_done", None)
    yield
    app.extensions.pop("community.setup_done", None)


def current(key):
    g.pop("site_settings", None)
    return settings.get(key)


def member_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Member))


def test_a_fresh_install_points_to_setup_which_makes_the_first_admin_once(client):
    home = client.get("/").get_data(as_text=True)
    assert 'href="/setup"' in home and "no administrator yet" in home
    assert client.get("/setup").status_code == 200
    response = client.post("/setup", data=GOOD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/boards")
    admin = db.session.scalar(select(Member))
    assert (admin.username, admin.email, admin.role) == ("founder", "founder@acme.example", Role.admin)
    assert current("site.name") == "Acme Community" and current("registration.mode") == "approval"
    assert client.get("/admin/boards").status_code == 200  # signed in as the new admin
    assert client.get("/setup").status_code == 404
    assert client.post("/setup", data=dict(GOOD, username="second", email="s@acme.example")).status_code == 404
    assert member_count() == 1
    assert 'href="/setup"' not in client.get("/").get_data(as_text=True)


def test_setup_is_gone_once_an_admin_exists(app, client, make):
    make.member("boss", role=Role.admin)
    assert client.get("/setup").status_code == 404
    assert 'href="/setup"' not in client.get("/").get_data(as_text=True)


def test_setup_is_gone_after_the_demo_is_seeded(app, client):
    result = app.test_cli_runner().invoke(args=["community", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert client.get("/setup").status_code == 404


def test_members_without_an_admin_still_see_setup(client, make):
    make.member("plain")
    assert client.get("/setup").status_code == 200


@pytest.mark.parametrize("change, field, message", [
    ({"site_name": "  "}, "site_name", "Give the community a name"),
    ({"site_name": "x" * 101}, "site_name", "At most 100 characters"),
    ({"password": "password"}, "password", ""),
    ({"username": "a"}, "username", "3 to 20 letters"),
    ({"username": "admin"}, "username", "reserved"),
    ({"email": "nobody"}, "email", "not a valid email"),
    ({"mode": "sideways"}, "mode", "Choose one of the registration modes"),
])
def test_bad_input_is_shown_on_the_form_and_nothing_is_saved(client, change, field, message):
    response = client.post("/setup", data=dict(GOOD, **change))
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="{field}-error"' in text and message in text
    assert member_count() == 0
    assert current("site.name") == "" and current("registration.mode") == "open"
    assert current("setup.completed") is False
    assert client.get("/setup").status_code == 200


def test_setup_needs_the_csrf_token(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/setup").get_data(as_text=True)
    refused = client.post("/setup", data=GOOD)
    assert refused.status_code in (400, 422) and member_count() == 0
    token = csrf_token_from(page)
    assert client.post("/setup", data=dict(GOOD, csrf_token=token)).status_code == 302
    assert member_count() == 1


@pytest.mark.postgres
def test_two_setups_at_once_make_one_admin(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers (set TEST_DATABASE_URL)")
    clients = [app.test_client() for _ in range(4)]
    barrier = threading.Barrier(len(clients))
    statuses, errors = [], []

    def run(n, client):
        try:
            barrier.wait(timeout=60)
            statuses.append(client.post("/setup", data=dict(GOOD, username=f"founder{n}",
                                                            email=f"f{n}@acme.example")).status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(n, c)) for n, c in enumerate(clients)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert not errors, errors[:3]
    assert sorted(statuses) == [302] + [404] * 3
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Member).where(Member.role == Role.admin)) == 1
