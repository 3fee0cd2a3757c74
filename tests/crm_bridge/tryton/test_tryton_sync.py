"""The CRM kept in step with a real Tryton server (trytond with party, sale, sale_opportunity, sale_complaint)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from community.dbtypes import utcnow
from community.extensions import db as _db
from community.members.models import Role
from community.members.services import delete_account
from community.notifications.models import Notification
from crm_bridge import sync
from crm_bridge.cases import CaseStatus, open_case, set_case_status
from crm_bridge.leads import LeadStage, create_lead
from crm_bridge.models import CrmProfile, StaffNote, TimelineEvent
from crm_bridge.segments import save_segment
from crm_bridge.services import ensure_profile
from tests import factories

_seq = iter(range(1, 10_000))


def _verified(username: str, **kwargs):
    """Sign up and verify the email (a party is only ever matched or made for a verified address)."""
    n = next(_seq)
    member = factories.member(f"{username}{n}", email=f"{username}{n}@tent-owners.net", **kwargs)
    member.email_verified_at = utcnow()
    _db.session.commit()
    return member


def _link(kind: str, local_id: int):
    return _db.session.scalar(select(sync.SyncLink).where(sync.SyncLink.kind == kind,
                                                          sync.SyncLink.local_id == local_id))


def _pass():
    outcome = sync.sync_once()
    _db.session.expire_all()
    return outcome


def _party(tryton, party_id: int) -> dict:
    return tryton.call("party.party.read", [party_id], ["name", "active", "contact_mechanisms"])[0]


def test_sign_up_creates_a_party_with_the_verified_email(tryton_app, tryton):
    member = _verified("signup")
    assert "paused" not in _pass()
    link = _link("member", member.id)
    assert link.state == "linked" and link.remote_id
    emails = tryton.call("party.contact_mechanism.search_read", [["party", "=", link.remote_id]], 0, None, None,
                         ["value"])
    assert [e["value"] for e in emails] == [member.email]
    assert _pass()  # a second pass makes no second party
    assert tryton.call("party.contact_mechanism.search_count", [["value", "=", member.email]]) == 1


def test_an_existing_party_is_linked_and_two_are_ambiguous_never_guessed(tryton_app, tryton):
    one = _verified("known")
    tryton.call("party.party.create", [{"name": "Known Customer", "contact_mechanisms": [
        ["create", [{"type": "email", "value": one.email}]]], "addresses": [["create", [{"party_name": "Known Ltd"}]]]}])
    two = _verified("twice")
    for name in ("Twice A", "Twice B"):
        tryton.call("party.party.create", [{"name": name, "contact_mechanisms": [
            ["create", [{"type": "email", "value": two.email}]]]}])
    _pass()
    profile = _db.session.scalar(select(CrmProfile).where(CrmProfile.member_id == one.id))
    assert profile.full_name == "Known Customer" and profile.company == "Known Ltd"
    ambiguous = _link("member", two.id)
    assert ambiguous.state == "ambiguous" and ambiguous.remote_id is None and len(ambiguous.candidates) == 2


def test_a_complaint_becomes_a_sale_complaint_and_closing_it_in_tryton_closes_the_case(tryton_app, tryton, make):
    customer = _verified("cora")
    thread = make.thread(author=customer, title="The zip of my tent broke")
    case = open_case(customer, thread.title, threads=[thread], source="complaint")
    _db.session.commit()
    _pass()
    link = _link("case", case.id)
    complaint = tryton.call("sale.complaint.read", [link.remote_id], ["state", "customer", "reference"])[0]
    assert complaint["state"] == "draft" and complaint["customer"] == _link("member", customer.id).remote_id
    # staff here open it: Tryton's complaint waits for approval
    set_case_status(case, "open")
    _db.session.commit()
    _pass()
    assert tryton.call("sale.complaint.read", [link.remote_id], ["state"])[0]["state"] == "waiting"
    # the brand approves it in Tryton (processed at once): closed here
    tryton.call("sale.complaint.approve", [link.remote_id])
    _pass()
    assert _db.session.get(type(case), case.id).status is CaseStatus.closed


def test_a_lead_won_in_tryton_shows_as_won_and_its_value_follows(tryton_app, tryton):
    buyer = _verified("buyer")
    staffer = factories.member("staff-l", role=Role.staff)
    lead = create_lead(buyer, by=staffer, title="20 tents for a scout group", value="1200", currency="EUR")
    _db.session.commit()
    _pass()
    link = _link("lead", lead.id)
    opportunity = tryton.call("sale.opportunity.read", [link.remote_id], ["state", "amount"])[0]
    assert opportunity["state"] == "lead" and Decimal(opportunity["amount"]["decimal"]) == Decimal("1200")
    tryton.call("sale.opportunity.write", [link.remote_id], {"amount": {"__class__": "Decimal", "decimal": "1500"}})
    tryton.call("sale.opportunity.opportunity", [link.remote_id])
    tryton.call("sale.opportunity.convert", [link.remote_id])
    _pass()
    lead = _db.session.get(type(lead), lead.id)
    assert lead.stage is LeadStage.won and lead.value == Decimal("1500")


def test_changed_on_both_sides_waits_for_staff_then_their_pick_wins(tryton_app, tryton):
    member = _verified("both")
    _pass()
    link = _link("member", member.id)
    ensure_profile(member).company = "Ours Ltd"
    _db.session.commit()
    tryton.call("party.address.create", [{"party": link.remote_id, "party_name": "Theirs GmbH"}])
    _pass()
    link = _link("member", member.id)
    assert link.state == "conflict" and link.conflict["company"] == {"here": "Ours Ltd", "there": "Theirs GmbH"}
    sync.resolve_conflict(link, "there")
    _db.session.commit()
    _pass()
    assert ensure_profile(member).company == "Theirs GmbH" and _link("member", member.id).state == "linked"


def test_staff_notes_become_party_notes_and_orders_show_on_the_profile(tryton_app, tryton, client, auth):
    member = _verified("orders")
    staffer = factories.member("staff-n", role=Role.staff)
    _pass()
    party = _link("member", member.id).remote_id
    profile = ensure_profile(member)
    _db.session.add(StaffNote(profile_id=profile.id, author_id=staffer.id, body="Prefers phone calls"))
    _db.session.commit()
    product = tryton.call("product.template.create", [{"name": "Trail tent", "type": "service",
                                                        "salable": True, "sale_uom": 1, "default_uom": 1, "products": [["create", [{}]]]}])[0]
    variant = tryton.call("product.product.search", [["template", "=", product]])[0]
    tryton.call("sale.sale.create", [{"party": party, "lines": [["create", [
        {"product": variant, "quantity": 2, "unit": 1, "unit_price": {"__class__": "Decimal", "decimal": "99.50"}}]]]}])
    _pass()
    notes = tryton.call("ir.note.search_read", [["resource", "=", f"party.party,{party}"]], 0, None, None, ["message"])
    assert any("Prefers phone calls" in n["message"] for n in notes)
    orders = sync.member_orders(member.id)
    assert len(orders) == 1 and orders[0].amount == Decimal("199.00") and orders[0].products == ["Trail tent"]
    assert _db.session.scalar(select(TimelineEvent).where(TimelineEvent.member_id == member.id,
                                                          TimelineEvent.kind == "order")) is not None
    auth.login(staffer)
    html = client.get(f"/crm/members/{member.username}").get_data(as_text=True)
    assert f'data-order="{orders[0].number}"' in html and "Trail tent" in html and "199.00" in html


def test_killing_trytond_mid_sync_loses_nothing(tryton_app, tryton, make):
    customer = _verified("outage")
    _pass()
    staffer = factories.member("staff-k", role=Role.staff)
    cases = [open_case(customer, f"Outage case {i}", source="complaint") for i in range(3)]
    _db.session.commit()
    tryton.stop()
    outcome = _pass()
    assert "paused" in outcome
    state = _db.session.get(sync.SyncState, "tryton")
    assert state.paused_at is not None
    assert sync.status("tryton")["pending_count"] >= 3
    assert _db.session.scalar(select(Notification).where(Notification.member_id == staffer.id,
                                                         Notification.kind == "crm_sync_paused")) is not None
    tryton.start()
    assert "paused" not in _pass()
    references = {c["reference"] for c in tryton.call("sale.complaint.search_read", [], 0, None, None, ["reference"])}
    assert {sync._key("case", c.id, c.created_at) for c in cases} <= references
    assert _db.session.get(sync.SyncState, "tryton").paused_at is None
    left = sync.status("tryton")["pending"]
    assert left == [], [(i.kind, i.local_id, i.last_error) for i in left]


def test_account_deletion_unlinks_and_erases_the_party(tryton_app, tryton):
    member = _verified("leaving")
    _pass()
    party = _link("member", member.id).remote_id
    delete_account(member, factories.PASSWORD)
    _db.session.commit()
    assert _link("member", member.id) is None
    _pass()
    erased = _party(tryton, party)
    assert not erased["active"] and not erased["name"] and erased["contact_mechanisms"] == []


def test_a_segment_becomes_a_party_category_and_a_case_names_its_order(tryton_app, tryton):
    member = _verified("segment")
    _pass()
    party = _link("member", member.id).remote_id
    sale = tryton.call("sale.sale.create", [{"party": party}])[0]
    _pass()
    order = sync.member_orders(member.id)[0]
    segment = save_segment("Tent owners", {"q": member.username})
    case = open_case(member, "Pole snapped", source="complaint", order_ref=order.number)
    _db.session.commit()
    _pass()
    categories = tryton.call("party.party.read", [party], ["categories.name"])[0]["categories."]
    assert [c["name"] for c in categories] == [segment.name]
    # a draft sale cannot be a complaint's origin in Tryton (only a confirmed one): the description names it
    complaint = tryton.call("sale.complaint.read", [_link("case", case.id).remote_id], ["origin", "description"])[0]
    assert complaint["origin"] == f"sale.sale,{sale}" or f"Order: {order.number}" in complaint["description"]


def test_flask_crm_sync_runs_one_pass_and_says_when_tryton_is_down(tryton_app, tryton):
    member = _verified("cli")
    runner = tryton_app.test_cli_runner()
    result = runner.invoke(args=["crm", "sync"])
    assert result.exit_code == 0, result.output
    assert "Synced:" in result.output and _link("member", member.id).remote_id
    tryton.stop()
    result = runner.invoke(args=["crm", "sync"])
    assert result.exit_code == 1 and "paused" in result.output
    tryton_app.config.pop("TRYTON_URL")
    result = runner.invoke(args=["crm", "sync"])
    assert result.exit_code != 0 and "TRYTON_URL" in result.output
