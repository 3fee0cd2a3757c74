"""Social interactions: POST /api/v1/crm/interactions, matching by an exact link only, the staff queue,
the timeline, response times, /me/data and erasure."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from community.dbtypes import utcnow
from community.extensions import db
from community.members.models import Role
from community.sso.models import SsoIdentity
from crm_bridge.interactions import Interaction, SocialHandle, response_times
from crm_bridge.models import TimelineEvent
from tests.community.api.conftest import Api, token_for
from tests.concurrency import require_postgres, run_at_once


@pytest.fixture
def api(app):
    def make(member=None, scopes=None):
        return Api(app.test_client(), token_for(member, scopes) if member is not None else None)
    return make


@pytest.fixture
def staff(make):
    return make.member("sam", role=Role.staff)


def body(**overrides):
    data = {"channel": "weibo", "handle": "@LiLei", "text": "The new router keeps dropping wifi, very disappointed",
            "url": "https://weibo.com/1234/abc", "occurred_at": "2026-12-01T09:30:00Z", "direction": "inbound",
            "external_id": "weibo:abc"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not ...}


def _count(model=Interaction):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("role,scopes,status", [(Role.member, None, 403), (Role.moderator, None, 403),
                                                (Role.staff, ["read", "write"], 403), (Role.staff, None, 201),
                                                (Role.admin, None, 201)])
def test_only_staff_tokens_with_the_crm_scope_record_interactions(api, make, role, scopes, status):
    response = api(make.member("caller", role=role), scopes=scopes).post("crm/interactions", json=body())
    assert response.status_code == status, response.get_json()
    if status == 403:
        assert set(response.get_json()) == {"error"} and _count() == 0


def test_a_guest_gets_401(api):
    assert api().post("crm/interactions", json=body()).status_code == 401


def test_the_same_external_id_is_stored_once(api, staff):
    caller = api(staff)
    first = caller.post("crm/interactions", json=body())
    again = caller.post("crm/interactions", json=body(text="a retry with other text"))
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"] and again.get_json()["text"] == first.get_json()["text"]
    assert _count() == 1


@pytest.mark.parametrize("change,field", [({"channel": "myspace"}, "channel"), ({"direction": "sideways"}, "direction"),
                                          ({"occurred_at": "yesterday"}, "occurred_at"),
                                          ({"occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
                                          ({"url": "javascript:alert(1)"}, "url"), ({"handle": "  @ "}, "handle"),
                                          ({"external_id": ...}, "external_id"), ({"text": 5}, "text"),
                                          ({"surprise": 1}, "surprise")])
def test_bad_input_is_a_422_naming_the_field(api, staff, change, field):
    response = api(staff).post("crm/interactions", json=body(**change))
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert _count() == 0


def test_bad_json_is_a_400(api, staff):
    response = api(staff).call("POST", "crm/interactions", data="{nope", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_json"


def test_an_unknown_handle_waits_in_the_queue_and_is_never_guessed(api, make, staff, client, auth):
    make.member("lilei", email="lilei@example.com")  # same name as the handle: still not a match
    created = api(staff).post("crm/interactions", json=body()).get_json()
    assert created["status"] == "unmatched" and created["member"] is None
    assert created["sentiment"]["label"] == "negative" and created["feedback_kind"] == "complaint"
    auth.login(staff)
    page = client.get("/crm/interactions").get_data(as_text=True)
    assert "keeps dropping wifi" in page


def test_a_handle_staff_set_on_the_profile_matches_and_lands_on_the_timeline(api, make, staff, client, auth):
    lilei = make.member("lilei")
    auth.login(staff)
    client.post("/crm/members/lilei/handles", data={"channel": "weibo", "handle": "LiLei"})
    assert db.session.scalar(select(SocialHandle.handle_key)) == "lilei"
    created = api(staff).post("crm/interactions", json=body()).get_json()
    assert created["status"] == "matched" and created["member"]["username"] == "lilei"
    event = db.session.scalar(select(TimelineEvent).where(TimelineEvent.member_id == lilei.id,
                                                          TimelineEvent.kind == "interaction"))
    assert event.data["channel"] == "weibo" and event.data["sentiment"] == "negative"
    page = client.get("/crm/members/lilei").get_data(as_text=True)
    assert "Wrote to the brand on Weibo" in page and "keeps dropping wifi" in page


def test_a_linked_sign_in_identity_of_the_channel_matches(api, make, staff):
    mei = make.member("mei")
    db.session.add(SsoIdentity(member_id=mei.id, provider="twitter", subject="99887766", username="MeiTweets",
                               email="", email_verified=False, created_at=utcnow()))
    db.session.commit()
    by_name = api(staff).post("crm/interactions", json=body(channel="twitter", handle="@meitweets",
                                                            external_id="tw:1")).get_json()
    by_subject = api(staff).post("crm/interactions", json=body(channel="twitter", handle="99887766",
                                                               external_id="tw:2")).get_json()
    assert by_name["member"]["username"] == "mei" and by_subject["member"]["username"] == "mei"
    other_channel = api(staff).post("crm/interactions", json=body(channel="weibo", handle="meitweets",
                                                                  external_id="wb:1")).get_json()
    assert other_channel["status"] == "unmatched"


def test_two_candidates_leave_the_interaction_unmatched(api, make, staff):
    one, two = make.member("one"), make.member("two")
    db.session.add(SocialHandle(member_id=one.id, channel="facebook", handle="pat", handle_key="pat"))
    db.session.add(SsoIdentity(member_id=two.id, provider="facebook", subject="pat", username="", email="",
                               email_verified=False, created_at=utcnow()))
    db.session.commit()
    created = api(staff).post("crm/interactions", json=body(channel="facebook", handle="pat")).get_json()
    assert created["status"] == "unmatched"


def test_staff_link_a_queued_interaction_and_the_next_one_matches(api, make, staff, client, auth):
    lilei = make.member("lilei")
    first = api(staff).post("crm/interactions", json=body()).get_json()
    auth.login(staff)
    client.post(f"/crm/interactions/{first['id']}/link", data={"username": "lilei", "remember": "y"})
    assert db.session.get(Interaction, first["id"]).member_id == lilei.id
    second = api(staff).post("crm/interactions", json=body(external_id="weibo:def")).get_json()
    assert second["member"]["username"] == "lilei"
    assert "keeps dropping wifi" not in client.get("/crm/interactions").get_data(as_text=True)


def test_staff_dismiss_a_queued_interaction(api, staff, client, auth):
    first = api(staff).post("crm/interactions", json=body(text="Buy cheap followers now")).get_json()
    auth.login(staff)
    client.post(f"/crm/interactions/{first['id']}/dismiss")
    assert db.session.get(Interaction, first["id"]).status == "dismissed"
    assert "cheap followers" not in client.get("/crm/interactions").get_data(as_text=True)


def test_a_member_and_a_moderator_never_see_the_queue(make, client, auth):
    for role in (Role.member, Role.moderator):
        auth.login(make.member(f"someone{role.value}", role=role))
        assert client.get("/crm/interactions").status_code == 404
        assert client.post("/crm/members/nobody/interactions").status_code == 404
        auth.logout()


def test_a_staff_answer_counts_in_the_response_times(api, make, staff):
    lilei = make.member("lilei")
    db.session.add(SocialHandle(member_id=lilei.id, channel="weibo", handle="LiLei", handle_key="lilei"))
    db.session.commit()
    now = utcnow().replace(microsecond=0)
    asked = (now.replace(hour=0, minute=0, second=0)).isoformat()
    answered = (now.replace(hour=0, minute=0, second=0).replace(hour=3)).isoformat()
    caller = api(staff)
    caller.post("crm/interactions", json=body(occurred_at=asked))
    reply = caller.post("crm/interactions", json=body(direction="outbound", external_id="weibo:reply",
                                                      text="Sorry! A fix is coming.", occurred_at=answered))
    assert reply.status_code == 201
    inbound = db.session.scalar(select(Interaction).where(Interaction.external_id == "weibo:abc"))
    assert inbound.answered_at is not None
    figures = response_times(30)
    assert figures["items"] == 1 and figures["first_official_reply"]["median_hours"] == 3.0


def test_staff_add_a_phone_call_by_hand_on_the_profile(make, staff, client, auth):
    lilei = make.member("lilei")
    auth.login(staff)
    response = client.post("/crm/members/lilei/interactions", data={
        "channel": "phone", "direction": "inbound", "occurred_at": "2026-12-02T10:00",
        "text": "Called about the warranty; thanks for the quick help"})
    assert response.status_code == 302
    row = db.session.scalar(select(Interaction))
    assert row.member_id == lilei.id and row.external_id is None and row.sentiment_label == "positive"
    assert "Wrote to the brand on Phone" in client.get("/crm/members/lilei").get_data(as_text=True)
    refused = client.post("/crm/members/lilei/interactions", data={"channel": "pigeon", "direction": "inbound",
                                                                  "text": "x"}, follow_redirects=True)
    assert "Choose a channel" in refused.get_data(as_text=True) and _count() == 1


def test_the_member_sees_matched_interactions_in_my_data_and_deletion_erases_them(api, make, staff, client, auth):
    lilei = make.member("lilei")
    db.session.add(SocialHandle(member_id=lilei.id, channel="weibo", handle="LiLei", handle_key="lilei"))
    db.session.commit()
    api(staff).post("crm/interactions", json=body())
    auth.login(lilei)
    assert "keeps dropping wifi" in client.get("/me/data").get_data(as_text=True)
    client.post("/settings/delete-account", data={"password": "correct-horse-battery-9", "confirm": "y"})
    assert _count() == 0 and _count(SocialHandle) == 0


def test_the_crm_profile_shows_linked_identities(make, staff, client, auth):
    mei = make.member("mei")
    db.session.add(SsoIdentity(member_id=mei.id, provider="oidc", subject="sub-123", username="", email="",
                               email_verified=True, created_at=utcnow()))
    db.session.commit()
    auth.login(staff)
    page = client.get("/crm/members/mei").get_data(as_text=True)
    assert "sub-123" in page and 'data-identity="oidc"' in page


def test_the_openapi_document_describes_the_operation(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/crm/interactions"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"]["properties"]["channel"]["enum"][0] == "weibo"
    assert "201" in operation["responses"] and "403" in operation["responses"]


def test_racing_deliveries_of_one_external_id_store_one_row(app, db, api, staff):
    require_postgres(db)
    callers = [api(staff) for _ in range(6)]
    statuses = []

    def deliver(caller):
        statuses.append(caller.post("crm/interactions", json=body()).status_code)

    run_at_once(app, db, [(deliver, (caller,)) for caller in callers])
    assert sorted(statuses) == [200] * 5 + [201]
    assert _count() == 1


def test_the_queue_costs_the_same_queries_for_3_or_30_interactions(api, staff, client, auth, count_queries):
    caller = api(staff)
    auth.login(staff)

    def measure(total):
        for n in range(total):
            caller.post("crm/interactions", json=body(external_id=f"q:{total}:{n}", handle=f"stranger{n}"))
        client.get("/crm/interactions")  # warm: the session's first page of the test
        with count_queries() as queries:
            assert client.get("/crm/interactions").status_code == 200
        db.session.execute(Interaction.__table__.delete())
        db.session.commit()
        return len(queries)

    assert measure(3) == measure(30)
