"""Sales leads: staff mark them, a rule suggests them, consent is respected, stage and value change."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from community.extensions import db as _db
from community.forum import services as forum
from community.members.models import Role
from community.members.services import set_consent
from crm_bridge.leads import Lead, LeadStage, create_lead, lead_for_thread, set_lead_stage, set_lead_value
from crm_bridge.models import OutboxEvent, TimelineEvent


def leads_count() -> int:
    return _db.session.scalar(select(func.count()).select_from(Lead))


@pytest.mark.parametrize("role,status", [(None, 302), (Role.member, 404), (Role.moderator, 404),
                                         (Role.staff, 200), (Role.admin, 200)])
def test_only_staff_and_admins_reach_the_lead_pages(client, auth, make, role, status):
    buyer = make.member("bea")
    thread = make.thread(board=make.board(), author=buyer, title="Thinking of a mesh kit for the office")
    lead = create_lead(buyer, thread=thread)
    _db.session.commit()
    if role is not None:
        auth.login(make.member("viewer", role=role))
    for path in ("/crm/leads", "/crm/leads?view=suggested", "/crm/leads?stage=won&owner=me"):
        assert client.get(path).status_code == status, path
    code = client.post(f"/crm/leads/{lead.id}", data={"stage": "qualified", "value": "1200", "currency": "EUR"})
    assert code.status_code == (303 if status == 200 else status)
    _db.session.refresh(lead)
    assert (lead.stage is LeadStage.qualified) == (status == 200)
    for path in ("/crm/leads", f"/crm/leads/{lead.id}/confirm", f"/crm/leads/{lead.id}/dismiss"):
        assert client.post(path, data={"thread_id": str(thread.id)}).status_code in (
            (303, 422) if status == 200 else (status,)), path


def test_a_pricing_question_is_suggested_and_staff_confirm_it_onto_the_profile(client, auth, make):
    staffer, buyer = make.member("sam", role=Role.staff), make.member("bea")
    thread = forum.start_thread(buyer, make.board(), "What is the price for 40 cameras?", "We have three shops.")
    plain = forum.start_thread(buyer, make.board(), "Night vision looks washed out", "Any setting for that?")
    _db.session.commit()
    lead = lead_for_thread(thread.id)
    assert lead is not None and lead.confirmed_at is None and lead_for_thread(plain.id) is None
    auth.login(staffer)
    assert "What is the price for 40 cameras?" not in client.get("/crm/leads").get_data(as_text=True)
    assert "What is the price for 40 cameras?" in client.get("/crm/leads?view=suggested").get_data(as_text=True)
    assert client.post(f"/crm/leads/{lead.id}/confirm").status_code == 303
    assert "What is the price for 40 cameras?" in client.get("/crm/leads").get_data(as_text=True)
    kinds = _db.session.scalars(select(TimelineEvent.kind).where(TimelineEvent.member_id == buyer.id)).all()
    assert "lead_created" in kinds
    assert "Became a sales lead" in client.get(f"/crm/members/{buyer.username}").get_data(as_text=True)
    bad = client.post(f"/crm/leads/{lead.id}", data={"stage": "won", "value": "a lot", "currency": "EUR"})
    assert bad.status_code == 422 and "The value must be an amount" in bad.get_data(as_text=True)
    assert client.post(f"/crm/leads/{lead.id}", data={"stage": "won", "value": "4,800.5", "currency": "eur",
                                                      "owner": staffer.username}).status_code == 303
    _db.session.refresh(lead)
    assert lead.stage is LeadStage.won and lead.value == Decimal("4800.50") and lead.currency == "EUR"
    assert lead.owner_id == staffer.id


def test_no_lead_from_a_member_who_declined_contact(client, auth, make):
    staffer, shy = make.member("sam", role=Role.staff), make.member("shy")
    set_consent(shy, marketing=False, research=False)
    _db.session.commit()
    thread = forum.start_thread(shy, make.board(), "How much is the upgrade to Pro?", "Asking for pricing.")
    _db.session.commit()
    assert lead_for_thread(thread.id) is None  # the rule stays silent
    auth.login(staffer)
    marked = client.post("/crm/leads", data={"thread_id": str(thread.id)})
    assert marked.status_code == 303 and leads_count() == 0
    assert "declined marketing contact" in client.get(marked.headers["Location"]).get_data(as_text=True)


def test_stage_and_value_changes_are_outbox_events(make):
    buyer = make.member("bea")
    lead = create_lead(buyer, title="Office kit", value="900", currency="usd")
    set_lead_stage(lead, "qualified")
    set_lead_value(lead, "950.00")
    _db.session.commit()
    types = _db.session.scalars(select(OutboxEvent.type).where(OutboxEvent.type.like("lead.%"))
                                .order_by(OutboxEvent.id)).all()
    assert types == ["lead.created", "lead.changed", "lead.changed"]
    with pytest.raises(Exception, match="Unknown stage"):
        set_lead_stage(lead, "maybe")
