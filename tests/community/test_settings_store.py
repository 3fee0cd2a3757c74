"""The site settings store (community/settings.py): declared keys, checked values, all or nothing."""
import pytest

from community import settings
from community.errors import ValidationFailed
from community.extensions import db

NAME = settings.declare("test.name", "Community", str, check=lambda v: "too long" if len(v) > 10 else None)
MODE = settings.declare("test.mode", "open", str, choices=("open", "closed"))
LIMIT = settings.declare("test.limit", 5, int)


def test_an_untouched_setting_reads_its_default(app):
    assert NAME.value == "Community" and settings.get("test.limit") == 5


def test_saved_values_are_read_back_in_a_later_request(app):
    assert settings.save({"test.name": "Acme", "test.limit": 9}) == ["test.name", "test.limit"]
    db.session.commit()
    with app.test_request_context():
        assert NAME.value == "Acme" and LIMIT.value == 9
        assert settings.values("test.") == {"test.limit": 9, "test.mode": "open", "test.name": "Acme"}


def test_one_bad_value_saves_nothing(app):
    with pytest.raises(ValidationFailed) as caught:
        settings.save({"test.name": "Acme", "test.mode": "sideways", "test.limit": "9", "test.nope": 1})
    assert set(caught.value.fields) == {"test.mode", "test.limit", "test.nope"}
    db.session.rollback()
    assert NAME.value == "Community"
    with pytest.raises(ValidationFailed):
        settings.save({"test.name": "a name far too long"})
    with pytest.raises(ValidationFailed):
        settings.save({"test.limit": True})  # a bool is not a number of things


def test_going_back_to_the_default_removes_the_row(app):
    settings.save({"test.mode": "closed"})
    db.session.commit()
    assert db.session.get(settings.SiteSetting, "test.mode").value == "closed"
    assert settings.save({"test.mode": "open"}) == ["test.mode"]
    db.session.commit()
    assert db.session.get(settings.SiteSetting, "test.mode") is None
    assert settings.save({"test.mode": "open"}) == []  # nothing changed, nothing sent


def test_declaring_a_key_twice_is_refused():
    with pytest.raises(ValueError):
        settings.declare("test.limit", 6, int)
    with pytest.raises(ValueError):
        settings.declare("test.name", "Community", str, check=lambda v: None)  # another check


def test_reading_an_undeclared_key_fails_loudly(app):
    with pytest.raises(KeyError):
        settings.get("test.misspelt")


# ---- kept in the process between signed-in requests, while the token read with the member stays the same ----

def _settings_reads(statements) -> int:
    return sum(1 for statement in statements if "FROM site_settings\n" in statement + "\n"
               or "FROM site_settings " in statement)


def _signed_in(make, auth):
    member = make.member()
    db.session.commit()
    auth.login(member)
    return member


def test_a_signed_in_request_reads_no_settings_row_while_no_save_happened(app, make, auth, client, count_queries):
    settings.save({"site.name": "Acme Forum"})  # a token now exists, as after the migration
    db.session.commit()
    _signed_in(make, auth)
    client.get("/")  # reads the rows under the token and keeps them
    with count_queries() as statements:
        page = client.get("/").get_data(as_text=True)
    assert "Acme Forum" in page
    assert _settings_reads(statements) == 0, statements


def test_a_save_in_another_process_is_seen_by_the_next_signed_in_request(app, make, auth, client, count_queries):
    settings.save({"site.name": "Acme Forum"})
    db.session.commit()
    _signed_in(make, auth)
    assert "Acme Forum" in client.get("/").get_data(as_text=True)
    # what another process's save commits: the row and a new token (this test's context is no request of this app's)
    settings.save({"site.name": "Bolt Forum"})
    db.session.commit()
    with count_queries() as statements:
        page = client.get("/").get_data(as_text=True)
    assert "Bolt Forum" in page and "Acme Forum" not in page
    assert _settings_reads(statements) == 1
    # back to the default: the row goes, the token moves
    settings.save({"site.name": ""})
    db.session.commit()
    assert "Bolt Forum" not in client.get("/").get_data(as_text=True)


def test_a_row_and_token_written_by_sql_are_seen_too(app, make, auth, client):
    from sqlalchemy import text  # noqa: PLC0415

    settings.save({"site.name": "Acme Forum"})
    db.session.commit()
    _signed_in(make, auth)
    assert "Acme Forum" in client.get("/").get_data(as_text=True)
    db.session.execute(text("UPDATE site_settings SET value = :v WHERE key = 'site.name'"), {"v": '"Crest Forum"'})
    db.session.execute(text("UPDATE site_settings_generation SET token = 'another-process'"))
    db.session.commit()
    assert "Crest Forum" in client.get("/").get_data(as_text=True)


def test_without_a_token_every_request_reads_the_rows(app, make, auth, client, count_queries):
    _signed_in(make, auth)
    client.get("/")
    with count_queries() as statements:
        client.get("/")
    assert _settings_reads(statements) == 1


def test_a_save_rolled_back_leaves_the_kept_settings_alone(app, make, auth, client):
    settings.save({"site.name": "Acme Forum"})
    db.session.commit()
    _signed_in(make, auth)
    assert "Acme Forum" in client.get("/").get_data(as_text=True)
    with app.test_request_context():
        settings.save({"site.name": "Never Forum"})
        assert settings.get("site.name") == "Never Forum"  # the saving request reads what it wrote
        db.session.rollback()
    page = client.get("/").get_data(as_text=True)
    assert "Acme Forum" in page and "Never Forum" not in page
