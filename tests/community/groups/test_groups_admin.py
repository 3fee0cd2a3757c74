"""/admin/groups: who may use it, creating groups (bad input included), adding members one by one or from an
uploaded list (all or nothing, unknown lines listed), removing them; badges beside names; the CRM filter."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from community import signals
from community.extensions import db
from community.groups import services
from community.groups.models import Group, GroupMember
from crm_bridge import services as crm


def group_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Group))


def members_of(group) -> set[str]:
    db.session.expire_all()
    return {m.username for m in services.group_members(db.session.get(Group, group.id)).items}


@pytest.mark.parametrize("role, status", [("guest", 302), ("member", 404), ("moderator", 404), ("staff", 200),
                                          ("admin", 200)])
def test_only_staff_and_admins_open_the_groups_section(people, as_role, role, status):
    assert as_role(role).get("/admin/groups").status_code == status
    index = as_role(role).get("/admin").get_data(as_text=True)
    assert ('data-section="groups"' in index) is (status == 200)


@pytest.mark.parametrize("role", ["member", "moderator"])
def test_members_and_moderators_cannot_change_groups(people, as_role, role):
    group = services.create_group(None, {"name": "Beta testers"})
    db.session.commit()
    client = as_role(role)
    assert client.post("/admin/groups/new", data={"name": "Mine"}).status_code == 404
    assert client.post(f"/admin/groups/{group.id}/members/add", data={"members": people[role].username}).status_code == 404
    assert client.post(f"/admin/groups/{group.id}/delete").status_code == 404
    assert group_count() == 1 and members_of(group) == set()


def test_staff_create_a_group_and_a_duplicate_name_is_refused(people, as_role):
    staff = as_role("staff")
    response = staff.post("/admin/groups/new", data={"name": "Beta testers", "name_zh": "测试者",
                                                    "description": "Early builds", "show_badge": "y"})
    assert response.status_code == 302
    group = db.session.scalar(select(Group))
    assert (group.name, group.name_zh, group.show_badge) == ("Beta testers", "测试者", True)
    for name in ("Beta testers", "  BETA   Testers "):
        response = staff.post("/admin/groups/new", data={"name": name})
        assert response.status_code == 422
        assert "Another group has this name already." in response.get_data(as_text=True)
    response = staff.post("/admin/groups/new", data={"name": "   "})
    assert response.status_code == 422 and "Give the group a name." in response.get_data(as_text=True)
    response = staff.post("/admin/groups/new", data={"name": "x" * 81})
    assert response.status_code == 422
    assert group_count() == 1


def test_adding_members_is_all_or_nothing_and_names_the_unknown_lines(make, people, as_role):
    group = services.create_group(None, {"name": "Enterprise customers"})
    db.session.commit()
    ann, bob = make.member("ann"), make.member("bob", email="Bob@Example.com")
    staff = as_role("staff")
    response = staff.post(f"/admin/groups/{group.id}/members/add", data={"members": "ann\nnobody\nbob@example.com\nx@y.z"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nobody was added" in page and "2: nobody" in page and "4: x@y.z" in page
    assert members_of(group) == set()
    response = staff.post(f"/admin/groups/{group.id}/members/add", data={"members": "ANN\n\nbob@example.com\n"})
    assert response.status_code == 302
    assert members_of(group) == {"ann", "bob"}
    again = staff.post(f"/admin/groups/{group.id}/members/add", data={"members": "ann"}, follow_redirects=True)
    assert "1 was in the group already." in again.get_data(as_text=True)
    response = staff.post(f"/admin/groups/{group.id}/members/add", data={"members": " \n "})
    assert response.status_code == 422 and "Name at least one member" in response.get_data(as_text=True)
    assert bob.id and ann.id


def test_a_csv_upload_adds_everyone_or_nobody(make, people, as_role):
    group = services.create_group(None, {"name": "Beta testers"})
    db.session.commit()
    make.member("carol")
    make.member("dave")
    staff = as_role("staff")

    def upload(content: bytes):
        return staff.post(f"/admin/groups/{group.id}/members/upload",
                          data={"file": (io.BytesIO(content), "members.csv")}, content_type="multipart/form-data")

    response = upload(b"carol\nghost,extra column\ndave@example.com\n")
    assert response.status_code == 422
    assert "2: ghost" in response.get_data(as_text=True)
    assert members_of(group) == set()
    response = upload(b"")
    assert response.status_code == 422 and "Name at least one member" in response.get_data(as_text=True)
    response = upload(b"\xff\xfe not utf-8 \xff")
    assert response.status_code == 422 and "not UTF-8" in response.get_data(as_text=True)
    response = upload("\ufeffcarol\r\ndave@example.com\r\n".encode())
    assert response.status_code == 302
    assert members_of(group) == {"carol", "dave"}


def test_removing_a_member_and_the_signals_that_announce_changes(make, people, as_role):
    group = services.create_group(None, {"name": "Beta testers"})
    erin = make.member("erin")
    db.session.commit()
    heard = []

    def listen(sender, **kwargs):
        heard.append((sender.name, kwargs["added"], kwargs["removed"]))

    signals.group_members_changed.connect(listen)
    try:
        staff = as_role("staff")
        assert staff.post(f"/admin/groups/{group.id}/members/add", data={"members": "erin"}).status_code == 302
        assert staff.post(f"/admin/groups/{group.id}/members/remove", data={"member_id": str(erin.id)}).status_code == 302
        assert staff.post(f"/admin/groups/{group.id}/members/remove", data={"member_id": "x"}).status_code == 400
    finally:
        signals.group_members_changed.disconnect(listen)
    assert heard == [("Beta testers", [erin.id], []), ("Beta testers", [], [erin.id])]
    assert members_of(group) == set()


def test_deleting_a_group_removes_its_memberships(make, people, as_role):
    group = services.create_group(None, {"name": "Beta testers"})
    services.add_members(None, group, [make.member("fay").username])
    db.session.commit()
    assert as_role("staff").post(f"/admin/groups/{group.id}/delete").status_code == 302
    assert group_count() == 0
    assert db.session.scalar(select(func.count()).select_from(GroupMember)) == 0


def test_a_badge_shows_beside_the_names_of_members_of_a_badge_group(make, people, as_role, client):
    shown = services.create_group(None, {"name": "Beta testers", "show_badge": True})
    hidden = services.create_group(None, {"name": "Enterprise customers", "show_badge": False})
    gina = make.member("gina")
    services.add_members(None, shown, ["gina"])
    services.add_members(None, hidden, ["gina"])
    db.session.commit()
    thread = make.thread(author=gina, title="Hello from gina")
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert 'class="badge badge-group"' in page and "Beta testers" in page
    assert "Enterprise customers" not in page


@pytest.mark.parametrize("authors", [3, 30])
def test_badges_cost_one_query_per_thread_page(app, make, people, as_role, count_queries, authors):
    group = services.create_group(None, {"name": "Beta testers", "show_badge": True})
    thread = make.thread(title="Badges everywhere")
    names = []
    for i in range(authors):
        writer = make.member(f"writer{i}")
        names.append(writer.username)
        make.post(thread, author=writer, body=f"reply number {i}")
    services.add_members(None, group, names)
    db.session.commit()
    app.config["POSTS_PER_PAGE"] = 50
    reader = as_role("member")
    reader.get(f"/t/{thread.id}")
    try:
        with count_queries() as statements:
            response = reader.get(f"/t/{thread.id}")
    finally:
        app.config["POSTS_PER_PAGE"] = 20
    assert response.get_data(as_text=True).count('class="badge badge-group"') == authors
    badge_queries = [s for s in statements if "member_groups" in s and "show_badge" in s]
    assert len(badge_queries) == 1
    assert len(statements) <= 16, "\n".join(statements)  # the thread page budget (tests/community/test_forum.py); +1: the header's Boards menu (site.nav_boards)


def test_the_crm_members_list_filters_by_group_and_the_profile_shows_groups(make, people, as_role):
    group = services.create_group(None, {"name": "Enterprise customers"})
    inside, outside = make.member("hana"), make.member("ivan")
    for m in (inside, outside):
        crm.ensure_profile(m)
    services.add_members(None, group, ["hana"])
    db.session.commit()
    staff = as_role("staff")
    page = staff.get(f"/crm/members?group={group.id}").get_data(as_text=True)
    assert "hana" in page and "ivan" not in page
    assert "ivan" in staff.get("/crm/members").get_data(as_text=True)
    assert staff.get("/crm/members?group=abc").status_code == 400
    profile = staff.get("/crm/members/hana").get_data(as_text=True)
    assert "Enterprise customers" in profile
    assert "Enterprise customers" not in staff.get("/crm/members/ivan").get_data(as_text=True)
    assert as_role("member").get(f"/crm/members?group={group.id}").status_code == 404
