"""Members choose marketing and research consent in /settings; the CRM records the choice and its time,
its exports say it and its consent filter lists only those who agreed; /me/data shows it back."""
from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from community.extensions import db as _db
from community.members.models import Member, Role
from crm_bridge.models import CrmProfile


def _profile(member) -> CrmProfile:
    _db.session.expire_all()
    return _db.session.scalar(select(CrmProfile).where(CrmProfile.member_id == member.id))


def _save(client, **ticked):
    data = {f"consent-{name}": "y" for name, on in ticked.items() if on}
    return client.post("/settings/consent", data=data)


def test_settings_offer_both_consents_off_by_default(client, auth, make):
    member = make.member("ivy")
    auth.login(member)
    html = client.get("/settings").get_data(as_text=True)
    assert 'id="consent"' in html and 'name="consent-marketing"' in html and 'name="consent-research"' in html
    assert "checked" not in html.split('id="consent"')[1].split("</form>")[0]
    profile = _profile(member)
    assert not profile.consent_marketing and not profile.consent_research and profile.consent_marketing_at is None


def test_saving_consent_records_the_choice_and_its_time_on_the_crm_profile(client, auth, make):
    member = make.member("ivy")
    auth.login(member)
    response = _save(client, marketing=True)
    assert response.status_code == 302 and response.headers["Location"].endswith("/settings#consent")
    profile = _profile(member)
    assert profile.consent_marketing is True and profile.consent_research is False
    assert profile.consent_marketing_at is not None and profile.consent_research_at is not None
    first = profile.consent_marketing_at

    html = client.get("/settings").get_data(as_text=True).split('id="consent"')[1].split("</form>")[0]
    assert re.search(r'<input[^>]*checked[^>]*name="consent-marketing"', html)
    assert not re.search(r'<input[^>]*checked[^>]*name="consent-research"', html)
    assert "Last chosen:" in html

    _save(client, marketing=False, research=True)  # changing one's mind
    profile = _profile(member)
    assert profile.consent_marketing is False and profile.consent_research is True
    assert profile.consent_marketing_at >= first
    member = _db.session.get(Member, member.id)
    assert member.consent_marketing is False and member.consent_research is True


def test_consent_needs_a_valid_form_token(app, client, auth, make):
    member = make.member("ivy")
    auth.login(member)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert _save(client, marketing=True).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert _profile(member).consent_marketing is False


def test_my_data_shows_my_choices_and_when(client, auth, make):
    member = make.member("ivy")
    auth.login(member)
    _save(client, research=True)
    data = client.get("/me/data.json").get_json()
    assert data["profile"]["consent_marketing"] is False and data["profile"]["consent_research"] is True
    assert data["profile"]["consent_research_at"]
    html = client.get("/me/data").get_data(as_text=True)
    assert "Marketing consent" in html and "Research consent" in html
    assert html.split('data-consent="research">')[1].startswith("yes (")


def test_crm_export_marks_consent_and_the_marketing_list_leaves_out_who_did_not_agree(client, auth, make):
    staffer = make.member("sam", role=Role.staff)
    yes, no = make.member("ivy"), make.member("bartek")
    auth.login(yes)
    _save(client, marketing=True)
    auth.logout()
    auth.login(staffer)

    everyone = list(csv.DictReader(io.StringIO(client.get("/crm/members?format=csv").get_data(as_text=True))))
    by_name = {row["username"]: row for row in everyone}
    assert by_name["ivy"]["consent_marketing"] == "yes" and by_name["ivy"]["consent_marketing_at"]
    assert by_name["bartek"]["consent_marketing"] == "no" and by_name["bartek"]["consent_marketing_at"] == ""

    campaign = client.get("/crm/members?consent=marketing&format=csv").get_data(as_text=True)
    assert [row["username"] for row in csv.DictReader(io.StringIO(campaign))] == ["ivy"]
    assert no.username not in client.get("/crm/members?consent=marketing").get_data(as_text=True)
    assert client.get("/crm/members?consent=everything").status_code == 400
    # the staff profile shows the choice
    assert client.get("/crm/members/ivy").get_data(as_text=True).split('data-consent="marketing">')[1].startswith("yes")
