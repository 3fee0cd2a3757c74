"""The CRM bridge: profiles and timelines from community events, staff pages, audit, "My data"."""
from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from community.extensions import db as _db
from community.forum import services as forum
from community.forum.models import Post
from community.members.models import Role
from crm_bridge.models import AuditEntry, CrmProfile, StaffNote, TimelineEvent


def kinds(member, ignore=("badge", "trust_level")) -> list[str]:
    """The member's timeline, oldest first, without the badges and levels other areas grant along the way."""
    return [kind for kind in _db.session.scalars(select(TimelineEvent.kind).where(TimelineEvent.member_id == member.id)
                                                 .order_by(TimelineEvent.id)) if kind not in ignore]


def test_registering_makes_a_profile_and_a_first_timeline_entry(make):
    ivy = make.member("ivy")
    profile = _db.session.scalar(select(CrmProfile).where(CrmProfile.member_id == ivy.id))
    assert profile is not None and profile.last_active_at is not None
    assert kinds(ivy) == ["registered"]


def test_threads_replies_and_staff_answers_land_on_the_timelines(make):
    asker, helper, staffer = make.member("asker"), make.member("helper"), make.member("sam", role=Role.staff)
    thread = make.thread(author=asker, title="Router keeps rebooting at night")
    make.post(thread, author=helper, body="Mine did that until the firmware update.")
    make.post(thread, author=staffer, body="Please update to 2.1; it fixes the watchdog.")
    assert kinds(asker) == ["registered", "thread_started", "staff_reply"]
    assert kinds(helper) == ["registered", "replied"]
    event = _db.session.scalar(select(TimelineEvent).where(TimelineEvent.member_id == asker.id,
                                                           TimelineEvent.kind == "staff_reply"))
    assert event.actor_id == staffer.id and "fixes the watchdog" in event.excerpt and event.thread_id == thread.id


def test_a_post_and_its_timeline_entry_commit_together_or_not_at_all(make):
    member = make.member("ivy")
    thread = make.thread()
    forum.reply(member, thread, "This reply will be rolled back with its entry.")
    _db.session.flush()
    assert kinds(member)[-1] == "replied"  # written in the same transaction
    _db.session.rollback()
    assert kinds(member) == ["registered"]
    assert _db.session.scalar(select(func.count()).select_from(Post).where(Post.author_id == member.id)) == 0


@pytest.mark.parametrize("role,status", [(None, 302), (Role.member, 404), (Role.moderator, 404),
                                         (Role.staff, 200), (Role.admin, 200)])
def test_only_staff_and_admins_reach_the_crm_pages(client, auth, make, role, status):
    subject = make.member("subject")
    if role is not None:
        auth.login(make.member("viewer", role=role))
    for path in ("/crm/members", f"/crm/members/{subject.username}", "/crm/members?format=csv", "/crm/audit"):
        assert client.get(path).status_code == status, path
    posted = client.post(f"/crm/members/{subject.username}/notes", data={"body": "sneaky"})
    assert posted.status_code == (status if status != 200 else 302)
    assert _db.session.scalar(select(func.count()).select_from(StaffNote)) == (1 if status == 200 else 0)


def test_staff_profile_page_shows_identity_stage_timeline_and_notes_and_is_audited(client, auth, make):
    staffer = make.member("sam", role=Role.staff)
    ivy = make.member("ivy", email="ivy@routers.example")
    make.thread(author=ivy, title="Mesh node drops off every evening")
    auth.login(staffer)
    response = client.post("/crm/members/ivy/notes", data={"body": "Called her on Monday; sending a new node."})
    assert response.status_code == 302
    page = client.get("/crm/members/ivy").get_data(as_text=True)
    assert "routers.example" in page and "Mesh node drops off every evening" in page
    assert "sending a new node" in page and "New" in page  # a two-minute-old member is new
    actions = list(_db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["note_added", "viewed"]


def test_staff_edit_tags_owner_and_stage_with_clear_errors(client, auth, make):
    staffer = make.member("sam", role=Role.staff)
    make.member("ivy")
    make.member("mod", role=Role.moderator)
    auth.login(staffer)
    ok = client.post("/crm/members/ivy/profile", data={"tags": "VIP, beta tester, vip", "owner": "sam",
                                                        "stage": "advocate", "company": "Routers Ltd"})
    assert ok.status_code == 302
    profile = _db.session.scalar(select(CrmProfile).join(CrmProfile.member).where(CrmProfile.company == "Routers Ltd"))
    _db.session.refresh(profile)
    assert [t.name for t in profile.tags] == ["beta tester", "vip"] and profile.owner_id == staffer.id
    assert profile.stage_override.value == "advocate"
    bad_owner = client.post("/crm/members/ivy/profile", data={"owner": "mod", "tags": "other"})
    assert bad_owner.status_code == 422 and "must be a member of staff" in bad_owner.get_data(as_text=True)
    bad_tag = client.post("/crm/members/ivy/profile", data={"tags": "<script>"})
    assert bad_tag.status_code == 422 and "&lt;script&gt;" in bad_tag.get_data(as_text=True)
    _db.session.refresh(profile)
    assert [t.name for t in profile.tags] == ["beta tester", "vip"] and profile.owner_id == staffer.id  # unchanged
    empty = client.post("/crm/members/ivy/notes", data={"body": "   "})
    assert empty.status_code == 422 and "Write the note first." in empty.get_data(as_text=True)


def test_member_list_filters_and_exports_csv(client, auth, make):
    staffer = make.member("sam", role=Role.staff)
    make.member("ivy", display_name="Ivy Lin")
    make.member("bob")
    auth.login(staffer)
    client.post("/crm/members/ivy/profile", data={"tags": "vip"})
    page = client.get("/crm/members?tag=vip").get_data(as_text=True)
    assert "Ivy Lin" in page and "@bob" not in page
    assert "@bob" in client.get("/crm/members?q=bo").get_data(as_text=True)
    exported = client.get("/crm/members?tag=vip&format=csv")
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert exported.mimetype == "text/csv" and [r["username"] for r in rows] == ["ivy"] and rows[0]["tags"] == "vip"
    assert "exported" in list(_db.session.scalars(select(AuditEntry.action)))
    assert client.get("/crm/members?page=99").status_code == 404
    assert client.get("/crm/members/ivy?from=yesterday").status_code == 400


def test_my_data_shows_the_record_but_never_staff_notes(client, auth, make):
    staffer = make.member("sam", role=Role.staff)
    ivy = make.member("ivy")
    make.thread(author=ivy, title="Camera night vision is blurry")
    auth.login(staffer)
    client.post("/crm/members/ivy/notes", data={"body": "Private: likely a lens smudge, be kind."})
    client.post("/crm/members/ivy/profile", data={"tags": "camera-owner"})
    auth.logout()
    auth.login(ivy)
    page = client.get("/me/data").get_data(as_text=True)
    assert "camera-owner" in page and "lens smudge" not in page and "not shown here" in page
    download = client.get("/me/data.json")
    data = json.loads(download.get_data(as_text=True))
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert data["profile"]["tags"] == ["camera-owner"] and "lens smudge" not in download.get_data(as_text=True)
    assert [e["kind"] for e in data["timeline"] if e["kind"] != "badge"][::-1][:2] == ["registered", "thread_started"]
    assert client.get("/me/data").status_code == 200
    auth.logout()
    assert client.get("/me/data.json").status_code == 302  # guests are sent to sign in


def test_profile_page_query_count_does_not_grow_with_the_timeline(client, auth, make, count_queries):
    staffer = make.member("sam", role=Role.staff)
    ivy = make.member("ivy")
    thread = make.thread(author=ivy)
    auth.login(staffer)
    with count_queries() as few:
        client.get("/crm/members/ivy")
    for n in range(30):
        make.post(thread, author=ivy, body=f"Follow-up number {n} with details.")
    with count_queries() as many:
        assert client.get("/crm/members/ivy").status_code == 200
    assert len(many) <= len(few) + 2, many

