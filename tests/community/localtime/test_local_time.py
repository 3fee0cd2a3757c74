"""Times are shown in the reader's zone, named on hover; the zone is a setting, guessed once from the browser."""
from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from community.bookmarks.services import remind_time
from community.extensions import db
from community.members.models import Member
from tests.community.localtime.conftest import at_known_time, in_zone


def _times(html):
    return re.findall(r'<time datetime="([^"]+)" title="([^"]+)">([^<]+)</time>', html)


def test_a_shanghai_member_sees_a_post_time_eight_hours_ahead_of_utc_with_the_zone_named(client, auth, make):
    thread = at_known_time(make.thread(title="Charging overnight"))
    reader = in_zone(make.member("lihua"), "Asia/Shanghai")
    auth.login(reader)
    times = _times(client.get(f"/t/{thread.id}").get_data(as_text=True))
    assert times, "no <time> on the thread page"
    iso, title, text = times[0]
    assert iso == "2026-03-01T10:00:00Z"  # machines get UTC
    assert "6:00" in text and "PM" in text  # 10:00 UTC is 18:00 in Shanghai
    assert "6:00:00" in title and "(Asia/Shanghai)" in title


def test_a_member_without_a_zone_reads_utc_and_is_told_so(client, auth, make):
    thread = at_known_time(make.thread())
    auth.login(make.member())
    [(_iso, title, text), *_] = _times(client.get(f"/t/{thread.id}").get_data(as_text=True))
    assert "10:00" in text and title.endswith("(UTC)")


def test_lists_show_times_in_the_readers_zone_too(client, auth, make):
    at_known_time(make.thread(title="Firmware 2.1 notes"))
    auth.login(in_zone(make.member(), "Europe/Paris"))
    page = client.get("/latest").get_data(as_text=True)
    assert any("11:00" in text and "(Europe/Paris)" in title for _iso, title, text in _times(page))


def test_a_guest_with_a_zone_cookie_sees_local_times_and_the_page_cache_keeps_zones_apart(app, make, page_cache):
    thread = at_known_time(make.thread())
    shanghai, plain = app.test_client(), app.test_client()
    shanghai.set_cookie("tz", "Asia/Shanghai")
    assert "(Asia/Shanghai)" in shanghai.get(f"/t/{thread.id}").get_data(as_text=True)
    page = plain.get(f"/t/{thread.id}").get_data(as_text=True)  # the next guest, without the cookie
    assert "(Asia/Shanghai)" not in page and "(UTC)" in page
    nonsense = app.test_client()
    nonsense.set_cookie("tz", "Mars/Olympus_Mons")
    assert nonsense.get(f"/t/{thread.id}").status_code == 200


def test_the_settings_page_sets_the_zone_from_a_searchable_list(client, auth, make):
    member = auth.login(make.member("pierre")) and db.session.scalar(select(Member).where(Member.username == "pierre"))
    page = client.get("/settings").get_data(as_text=True)
    assert 'list="timezone-list"' in page and '<option value="Asia/Shanghai">' in page
    response = client.post("/settings/timezone", data={"timezone": "Europe/Paris"})
    assert response.status_code == 302
    assert "Times are now shown in Europe/Paris." in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.refresh(member)
    assert member.timezone == "Europe/Paris"


def test_an_unknown_zone_is_refused_with_a_clear_message(client, auth, make):
    member = make.member()
    auth.login(member)
    answer = client.post("/settings/timezone", data={"timezone": "../../etc/passwd"},
                         headers={"Accept": "application/json"})
    assert answer.status_code == 422 and answer.json["error"]["code"] == "validation_failed"
    assert "time zone" in answer.json["error"]["message"]
    db.session.refresh(member)
    assert member.timezone is None


def test_the_browsers_guess_is_taken_once_and_never_replaces_a_chosen_zone(client, auth, make):
    member = make.member()
    auth.login(member)
    page = client.get("/latest").get_data(as_text=True)
    assert 'data-save="/settings/timezone"' in page  # the script posts the browser's zone once
    json = {"Accept": "application/json"}
    assert client.post("/settings/timezone", data={"timezone": "Asia/Shanghai", "detected": "1"},
                       headers=json).json == {"timezone": "Asia/Shanghai"}
    assert 'data-save=' not in client.get("/latest").get_data(as_text=True)  # nothing more to ask
    assert client.post("/settings/timezone", data={"timezone": "Europe/Paris", "detected": "1"},
                       headers=json).json == {"timezone": "Asia/Shanghai"}


def test_setting_the_zone_needs_the_csrf_token_and_a_signed_in_member(app, client, auth, make):
    assert client.post("/settings/timezone", data={"timezone": "Asia/Shanghai"}).status_code == 302  # to sign in
    member = make.member()
    auth.login(member)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/settings/timezone", data={"timezone": "Asia/Shanghai"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.refresh(member)
    assert member.timezone is None


def test_guest_pages_carry_no_token_and_let_the_browser_keep_its_zone_in_a_cookie(client, make):
    page = client.get("/latest").get_data(as_text=True)
    assert "js/localtime.js" in page and "data-guest" in page and "data-csrf" not in page


def test_a_reminder_time_is_read_in_the_members_zone(make):
    now = datetime(2030, 5, 6, 22, 30, tzinfo=UTC)  # already the 7th, 06:30, in Shanghai
    assert remind_time("custom", "2030-06-01T08:15", now=now, zone="Asia/Shanghai") == datetime(2030, 6, 1, 0, 15,
                                                                                                 tzinfo=UTC)
    assert remind_time("tomorrow", now=now, zone="Asia/Shanghai") == datetime(2030, 5, 8, 1, 0, tzinfo=UTC)
