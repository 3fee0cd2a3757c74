"""Contract settings: mail links follow HOST/PORT when no base URL is set; TRUSTED_PROXIES and UPLOADS_PATH by their plain names."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from application import create_app
from community.extensions import db
from community.mail.models import MailMessage, MailSettings
from community.members.services import register_member


def _verification_link(monkeypatch, tmp_path, env: dict, admin_base_url: str | None = None) -> str:
    for name in ("HOST", "PORT", "COMMUNITY_BASE_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "links",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'links.db'}", "RATELIMIT_ENABLED": False,
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1})
    with app.app_context():
        db.create_all()
        try:
            if admin_base_url:
                db.session.add(MailSettings(id=1, base_url=admin_base_url))
                db.session.commit()
            register_member("newcomer", "newcomer@example.com", "a-long-unusual-pass-7")
            db.session.commit()
            message = db.session.scalar(select(MailMessage).where(MailMessage.kind == "verification"))
            assert message is not None, "no verification mail was queued"
            return re.search(r"https?://\S+/\S*", message.text_body).group(0)
        finally:
            db.session.remove()
            db.drop_all()


def test_mail_links_follow_port_when_no_base_url_is_set(monkeypatch, tmp_path):
    link = _verification_link(monkeypatch, tmp_path, {"PORT": "8123"})
    assert link.startswith("http://127.0.0.1:8123/")


def test_mail_links_follow_host_and_port(monkeypatch, tmp_path):
    link = _verification_link(monkeypatch, tmp_path, {"HOST": "forum.internal", "PORT": "8080"})
    assert link.startswith("http://forum.internal:8080/")


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_a_wildcard_listen_address_is_not_put_in_links(monkeypatch, tmp_path, host):
    link = _verification_link(monkeypatch, tmp_path, {"HOST": host, "PORT": "9000"})
    assert link.startswith("http://127.0.0.1:9000/")


def test_community_base_url_wins_over_host_and_port(monkeypatch, tmp_path):
    link = _verification_link(monkeypatch, tmp_path, {"HOST": "forum.internal", "PORT": "8080",
                                                      "COMMUNITY_BASE_URL": "https://community.example.org"})
    assert link.startswith("https://community.example.org/")


def test_the_admin_pages_base_url_wins_over_everything(monkeypatch, tmp_path):
    link = _verification_link(monkeypatch, tmp_path, {"PORT": "8123", "COMMUNITY_BASE_URL": "https://env.example.org"},
                              admin_base_url="https://admin.example.org")
    assert link.startswith("https://admin.example.org/")


def test_contract_variables_for_proxies_and_uploads_are_read_under_their_plain_names(monkeypatch, tmp_path):
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    monkeypatch.setenv("UPLOADS_PATH", str(tmp_path / "shared-uploads"))
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    assert app.config["TRUSTED_PROXIES"] == 1
    assert app.config["UPLOADS_PATH"] == str(tmp_path / "shared-uploads")


def test_a_trusted_proxies_value_that_is_not_a_number_is_refused_clearly(monkeypatch, tmp_path):
    monkeypatch.setenv("TRUSTED_PROXIES", "yes")
    with pytest.raises(ValueError, match="number of reverse proxies"):
        create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
