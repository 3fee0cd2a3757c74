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
