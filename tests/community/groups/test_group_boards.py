"""Boards visible to groups: members of the board's groups and staff read them on every channel (pages,
search page and API, the REST API, feeds), others do not; a change of membership or of the board's groups
counts at once; the admin form, the admin API and the board command take and show the groups."""
from __future__ import annotations

import pytest

from community import search, signals
from community.extensions import db
from community.forum.models import Board, Visibility
from community.groups import services
from community.members.models import Role
from community.permissions import can_view_board
from tests.community.search.conftest import empty_index, search_backend  # noqa: F401  (autouse: each test starts with an empty index, once per backend)


@pytest.fixture
def world(make, people):
    beta = services.create_group(None, {"name": "Beta testers"})
    services.create_group(None, {"name": "Enterprise customers"})
    insider = make.member("insider")
    services.add_members(None, beta, ["insider"])
    board = make.board("beta-lab", name="Beta lab", visibility="groups")
    services.set_board_groups(None, board, [beta])
    db.session.commit()
    thread = make.thread(board, author=people["staff"], title="Zeppelin firmware", body="The zeppelin beta build.")
    assert search.wait()
    return {"group": beta, "board": board, "thread": thread, "insider": insider}


def sees(client, thread_id: int) -> dict:
    assert search.wait()
    api_search = client.get("/api/v1/search", query_string={"q": "zeppelin"}).get_json() or {}
    return {
        "board page": client.get("/b/beta-lab").status_code == 200,
        "thread page": client.get(f"/t/{thread_id}").status_code == 200,
        "latest": "Zeppelin firmware" in client.get("/latest").get_data(as_text=True),
        "search page": f"/t/{thread_id}" in client.get("/search?q=zeppelin").get_data(as_text=True),
        "search api": any(item["thread"]["id"] == thread_id for item in api_search.get("items", [])),
        "api boards": any(b["slug"] == "beta-lab" for b in (client.get("/api/v1/boards").get_json() or {}).get("items", [])),
        "api thread": client.get(f"/api/v1/threads/{thread_id}").status_code == 200,
    }


def login(app, member):
    client = app.test_client()
    assert client.post("/login", data={"login": member.username, "password": "correct-horse-battery-9"}).status_code == 302
    return client


@pytest.mark.parametrize("role, may", [("guest", False), ("member", False), ("moderator", False), ("staff", True),
                                       ("admin", True)])
def test_a_group_board_is_read_by_its_groups_and_staff_only(world, as_role, role, may):
    seen = sees(as_role(role), world["thread"].id)
    assert all(seen.values()) if may else not any(seen.values()), seen


def test_a_member_of_the_group_reads_it_everywhere(app, world):
    seen = sees(login(app, world["insider"]), world["thread"].id)
    assert all(seen.values()), seen


def test_the_boards_menu_and_the_header_count_follow_the_members_groups(app, make, people, world):
    """Both are built once per process with the member's id bound: each member gets their own boards and count."""
    insider, outsider = world["insider"], make.member("outsider")
    own = make.thread(world["board"], author=insider, title="Insider question")
    make.post(own, author=people["staff"], body="An answer for the insider.")  # a notification on the group board
    db.session.commit()
    menu = '<li><a href="/b/beta-lab">Beta lab</a></li>'
    badge = 'Notifications <span class="badge badge-unread"'

    def page_of(member):
        return login(app, member).get("/").get_data(as_text=True)

    inside, outside = page_of(insider), page_of(outsider)
    assert menu in inside and badge in inside
    assert menu not in outside


def test_feeds_never_carry_a_group_board(world, client):
    assert client.get("/b/beta-lab.atom").status_code == 404
    assert "Zeppelin" not in client.get("/latest.atom").get_data(as_text=True)


def test_joining_and_leaving_the_group_counts_at_once_also_in_search(app, make, world, as_role):
    newcomer = make.member("newcomer")
    reader = login(app, newcomer)
    assert not any(sees(reader, world["thread"].id).values())
    staff = as_role("staff")
    assert staff.post(f"/admin/groups/{world['group'].id}/members/add", data={"members": "newcomer"}).status_code == 302
    assert all(sees(reader, world["thread"].id).values())
    assert staff.post(f"/admin/groups/{world['group'].id}/members/remove",
                      data={"member_id": str(newcomer.id)}).status_code == 302
    assert not any(sees(reader, world["thread"].id).values())


def test_changing_the_boards_groups_through_the_api_counts_at_once(app, make, world, api_as):
    outsider = make.member("outsider")
    services.add_members(None, services.find_group("Enterprise customers"), ["outsider"])
    db.session.commit()
    reader = login(app, outsider)
    assert not any(sees(reader, world["thread"].id).values())
    heard = []
    listener = lambda sender, **kw: heard.append(kw.get("fields"))  # noqa: E731
    signals.board_changed.connect(listener)
    try:
        response = api_as("admin").patch("/api/v1/admin/boards/beta-lab", json={"groups": ["Enterprise customers"]})
    finally:
        signals.board_changed.disconnect(listener)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["groups"] == ["Enterprise customers"] and response.get_json()["visibility"] == "groups"
    assert heard == [["groups"]]
    assert all(sees(reader, world["thread"].id).values())
    assert not any(sees(login(app, world["insider"]), world["thread"].id).values())
    listed = api_as("admin").get("/api/v1/admin/boards").get_json()["items"]
    assert [b["groups"] for b in listed if b["slug"] == "beta-lab"] == [["Enterprise customers"]]


@pytest.mark.parametrize("body, field", [
    ({"slug": "vip", "name": "VIP", "visibility": "groups"}, "groups"),
    ({"slug": "vip", "name": "VIP", "visibility": "groups", "groups": ["No such group"]}, "groups"),
    ({"slug": "vip", "name": "VIP", "visibility": "groups", "groups": "Beta testers"}, None),
])
def test_the_admin_api_refuses_a_group_board_without_known_groups(world, api_as, body, field):
    response = api_as("admin").post("/api/v1/admin/boards", json=body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    if field:
        assert field in error.get("fields", {}), error
    assert db.session.query(Board).filter_by(slug="vip").count() == 0


def test_the_admin_form_makes_a_board_for_groups(world, as_role):
    form = {"slug": "vip", "name": "VIP", "kind": "discussion", "visibility": "groups", "default_sort": "latest",
            "start_policy": "members", "start_min_trust": "0"}
    admin = as_role("admin")
    page = admin.get("/admin/boards/new").get_data(as_text=True)
    assert "Beta testers" in page and "Enterprise customers" in page
    response = admin.post("/admin/boards/new", data=form)
    assert response.status_code == 422
    assert "Choose at least one group" in response.get_data(as_text=True)
    response = admin.post("/admin/boards/new", data={**form, "groups": ["Beta testers", "Enterprise customers"]})
    assert response.status_code == 302
    board = db.session.query(Board).filter_by(slug="vip").one()
    assert board.visibility is Visibility.groups
    assert [g.name for g in services.board_groups(board)] == ["Beta testers", "Enterprise customers"]
    listing = admin.get("/admin/boards").get_data(as_text=True)
    assert "Beta testers, Enterprise customers" in listing
    edit = admin.get("/admin/boards/vip/edit").get_data(as_text=True)
    assert 'value="Beta testers" selected' in edit or 'selected value="Beta testers"' in edit


def test_the_board_command_takes_groups(app, world):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["community", "board", "create", "--slug", "vip", "--name", "VIP",
                                 "--visibility", "groups", "--group", "Beta testers"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["community", "board", "create", "--slug", "vip2", "--name", "VIP 2",
                                 "--visibility", "groups", "--group", "Nobody"])
    assert result.exit_code != 0 and "No group has the name Nobody" in result.output
    result = runner.invoke(args=["community", "board", "update", "vip", "--group", "Enterprise customers"])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(args=["community", "board", "list"]).output
    assert "groups: Enterprise customers" in listed
    db.session.expire_all()
    assert db.session.query(Board).filter_by(slug="vip2").count() == 0


def test_the_predicate_follows_membership_within_one_app_context(make, world, people):
    member = make.member("quick")
    board = db.session.get(Board, world["board"].id)
    assert not can_view_board(member, board)
    services.add_members(None, world["group"], ["quick"])
    assert can_view_board(member, board)
    services.remove_members(None, world["group"], [member.id])
    assert not can_view_board(member, board)
    assert can_view_board(people["staff"], board) and people["staff"].role is Role.staff
