"""A member deletes their account: posts stay under "Deleted member", personal data and CRM records go."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from community.extensions import db as _db
from community.mail.models import MailMessage
from community.members.models import Member, Role
from community.notifications.models import Notification, ThreadFollow
from crm_bridge import services as crm
from crm_bridge.models import AuditEntry, CrmProfile, FeedbackItem, ProfileTag, StaffNote, TimelineEvent
from tests import factories


def count(model, *where) -> int:
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def ivy_with_history(make):
    ivy = make.member("ivy", display_name="Ivy Chen")
    ivy.bio = "Router enthusiast in Leeds"
    board = make.board("ideas", kind="idea")
    idea = make.thread(board=board, author=ivy, title="Dark mode for the router app")
    other = make.thread(author=make.member("olga"), title="Firmware 2.1 questions")
    reply = make.post(other, author=ivy, body="@olga it fixed the reboots for me, thanks!")
    make.post(idea, author=make.member("pat"), body="Yes please, @ivy, my eyes hurt at night.")
    staffer = make.member("sam", role=Role.staff)
    profile = crm.ensure_profile(ivy)
    crm.add_note(staffer, profile, "Called her about the RMA; VIP customer.")
    crm.update_profile(staffer, profile, tags="vip, beta")
    crm.audit(staffer, "viewed", profile)
    _db.session.commit()
    return ivy, idea, reply


def test_deleting_keeps_posts_without_the_name_and_signs_out(client, auth, ivy_with_history):
    ivy, idea, reply = ivy_with_history
    ivy_id = ivy.id
    auth.login(ivy)
    page = client.get("/settings/delete-account")
    assert page.status_code == 200 and "cannot be undone" in page.get_data(as_text=True)
    response = client.post("/settings/delete-account", data={"password": factories.PASSWORD})
    assert response.status_code == 302
    assert client.get("/settings").status_code in (302, 401)  # signed out
    _db.session.expire_all()
    gone = _db.session.get(Member, ivy_id)
    assert gone.deleted_at is not None and gone.email != "ivy@example.com" and gone.bio == ""
    assert "ivy" not in gone.username_key and gone.display_name == ""
    thread_page = client.get(f"/t/{idea.id}").get_data(as_text=True)
    assert "Dark mode for the router app" in thread_page and "Deleted member" in thread_page
    assert "Ivy Chen" not in thread_page
    # nobody can sign in as her any more, by old name or placeholder, and the old name is free again
    assert client.post("/login", data={"login": "ivy", "password": factories.PASSWORD}).status_code == 422
    assert client.post("/login", data={"login": gone.username, "password": factories.PASSWORD}).status_code == 422
    assert client.get("/u/ivy").status_code == 404
    newcomer = factories.member("ivy")
    assert newcomer.id != ivy_id


def test_deleting_erases_personal_rows_and_the_crm_records(client, auth, ivy_with_history):
    ivy, idea, reply = ivy_with_history
    ivy_id = ivy.id
    assert count(Notification, Notification.member_id == ivy_id) >= 1  # the mention by pat
    assert count(ThreadFollow, ThreadFollow.member_id == ivy_id) >= 1
    assert count(MailMessage, MailMessage.member_id == ivy_id) >= 1
    profile_id = _db.session.scalar(select(CrmProfile.id).where(CrmProfile.member_id == ivy_id))
    assert count(StaffNote, StaffNote.profile_id == profile_id) == 1
    auth.login(ivy)
    assert client.post("/settings/delete-account", data={"password": factories.PASSWORD}).status_code == 302
    _db.session.expire_all()
    assert count(Notification, Notification.member_id == ivy_id) == 0
    assert count(MailMessage, MailMessage.member_id == ivy_id) == 0  # her verification mail, with her address
    assert count(ThreadFollow, ThreadFollow.member_id == ivy_id) == 0
    assert count(CrmProfile, CrmProfile.member_id == ivy_id) == 0
    assert count(StaffNote, StaffNote.profile_id == profile_id) == 0
    assert count(ProfileTag, ProfileTag.profile_id == profile_id) == 0
    assert count(TimelineEvent, TimelineEvent.member_id == ivy_id) == 0
    assert count(TimelineEvent, TimelineEvent.actor_id == ivy_id) == 0
    # the idea stays as an anonymous feedback item; the audit line stays without pointing at her
    item = _db.session.scalar(select(FeedbackItem).where(FeedbackItem.thread_id == idea.id))
    assert item is not None and item.member_id is None
    assert count(AuditEntry, AuditEntry.profile_id == profile_id) == 0
    assert count(AuditEntry, AuditEntry.action == "viewed") >= 1


def test_later_events_about_old_posts_do_not_bring_the_records_back(client, auth, make, ivy_with_history):
    ivy, idea, reply = ivy_with_history
    ivy_id = ivy.id
    auth.login(ivy)
    client.post("/settings/delete-account", data={"password": factories.PASSWORD})
    auth.logout()
    voter = make.member("vic")
    auth.login(voter)
    voted = client.post(f"/p/{reply.id}/vote", data={"value": "1"}, headers={"Accept": "application/json"})
    assert voted.status_code == 200, voted.get_data(as_text=True)
    _db.session.expire_all()
    assert _db.session.get(type(reply), reply.id).score == 1
    make.post(idea, author=make.member("rob"), body="Still want this.")
    _db.session.expire_all()
    assert count(TimelineEvent, TimelineEvent.member_id == ivy_id) == 0
    assert count(CrmProfile, CrmProfile.member_id == ivy_id) == 0
    staff = make.member("sally", role=Role.staff)
    auth.logout()
    auth.login(staff)
    gone = _db.session.get(Member, ivy_id)
    assert client.get(f"/crm/members/{gone.username}").status_code == 404
    assert count(CrmProfile, CrmProfile.member_id == ivy_id) == 0


def test_a_wrong_password_deletes_nothing(client, auth, ivy_with_history):
    ivy, _idea, _reply = ivy_with_history
    auth.login(ivy)
    response = client.post("/settings/delete-account", data={"password": "not my password"})
    assert response.status_code == 422 and "not your current password" in response.get_data(as_text=True)
    _db.session.expire_all()
    assert _db.session.get(Member, ivy.id).deleted_at is None
    assert count(CrmProfile, CrmProfile.member_id == ivy.id) == 1
    assert client.get("/settings").status_code == 200  # still signed in


@pytest.mark.parametrize("role", [Role.moderator, Role.staff, Role.admin])
def test_roles_ask_an_administrator_first(client, auth, make, role):
    person = make.member("boss", role=role)
    auth.login(person)
    response = client.post("/settings/delete-account", data={"password": factories.PASSWORD})
    assert response.status_code == 409 and "ask an administrator" in response.get_data(as_text=True)
    _db.session.expire_all()
    assert _db.session.get(Member, person.id).deleted_at is None


def test_guests_are_sent_to_sign_in(client):
    assert client.get("/settings/delete-account").status_code == 302
    assert client.post("/settings/delete-account", data={"password": "x"}).status_code == 302
