"""Idea statuses: only staff change them; each status is shown in the thread with who and why and
stays in the history; bad input, repeats and missing CSRF tokens are refused."""
from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from community.dbtypes import utcnow
from community.extensions import db as _db
from community.forum.models import BoardKind, IdeaStatus, Visibility
from community.members.models import Role
from community.permissions import can_change_idea_status
from tests.community.ideas.conftest import JSON, change, events_of, fresh, idea_board, snapshot, text_of, vote
from tests.conftest import csrf_token_from

# ---- who may change a status ---------------------------------------------------------------------

@pytest.mark.parametrize("role,html_status,json_status", [
    (None, 302, 401), (Role.member, 403, 403), (Role.moderator, 403, 403), (Role.staff, 302, 200), (Role.admin, 302, 200),
])
def test_only_staff_change_an_ideas_status(client, auth, make, board, role, html_status, json_status):
    idea = make.thread(board=board, title="Dark mode")
    if role is not None:
        auth.login(make.member(role=role))
    form = client.get(f"/t/{idea.id}/idea-status")
    assert form.status_code == (200 if role in (Role.staff, Role.admin) else html_status)
    response = change(client, idea, status="planned", reason="Next quarter.")
    assert response.status_code == html_status
    expected = IdeaStatus.planned if html_status == 302 and role is not None else IdeaStatus.open
    assert fresh(idea).idea_status is expected
    if role is None:
        assert "/login" in response.headers["Location"]
    as_json = change(client, idea, json=True, status="in_progress")
    assert as_json.status_code == json_status
    if json_status != 200:
        assert as_json.get_json()["error"]["code"] in ("unauthorized", "forbidden")
        assert fresh(idea).idea_status is expected
    else:
        assert as_json.get_json()["thread"]["idea_status"] == "in_progress"
    page = client.get(f"/t/{idea.id}").get_data(as_text=True)
    assert ("Change status" in page) is (role in (Role.staff, Role.admin))


@pytest.mark.parametrize("role,visibility,deleted,kind,allowed", [
    (None, Visibility.public, False, BoardKind.idea, False),
    (Role.member, Visibility.public, False, BoardKind.idea, False),
    (Role.moderator, Visibility.public, False, BoardKind.idea, False),
    (Role.staff, Visibility.public, False, BoardKind.idea, True),
    (Role.staff, Visibility.members, False, BoardKind.idea, True),
    (Role.staff, Visibility.staff, False, BoardKind.idea, True),
    (Role.admin, Visibility.staff, False, BoardKind.idea, True),
    (Role.staff, Visibility.public, True, BoardKind.idea, False),
    (Role.staff, Visibility.public, False, BoardKind.discussion, False),
    (Role.staff, Visibility.public, False, BoardKind.question, False),
])
def test_change_idea_status_truth_table(make, role, visibility, deleted, kind, allowed):
    board = make.board(kind=kind, visibility=visibility)
    thread = make.thread(board=board)
    if deleted:
        thread.deleted_at = utcnow()
        _db.session.commit()
    if role is None:
        member = AnonymousUserMixin()
    else:
        member = make.member(role=role)
    assert can_change_idea_status(member, thread) is allowed


def test_member_cannot_reach_the_form_of_an_idea_on_a_staff_board(client, auth, make):
    idea = make.thread(board=idea_board(make, Visibility.staff))
    auth.login(make.member())
    assert client.get(f"/t/{idea.id}/idea-status").status_code == 404
    assert change(client, idea, status="planned").status_code == 404
    assert fresh(idea).idea_status is IdeaStatus.open


# ---- each status, shown in the thread ----------------------------------------------------------

@pytest.mark.parametrize("status,label", [("under_review", "Under review"), ("planned", "Planned"),
                                          ("in_progress", "In progress"), ("shipped", "Shipped")])
def test_staff_sets_a_status_and_the_thread_shows_who_and_why(client, auth, make, board, staff, status, label):
    idea = make.thread(board=board, title="Export to CSV")
    auth.login(staff)
    response = change(client, idea, status=status, reason="We looked at the numbers.")
    assert response.status_code == 302 and f"/t/{idea.id}#idea-event-" in response.headers["Location"]
    assert fresh(idea).idea_status is IdeaStatus(status)
    [event] = events_of(idea)
    assert (event.by_id, event.previous, event.status, event.reason) == (
        staff.id, IdeaStatus.open, IdeaStatus(status), "We looked at the numbers.")
    client.get("/logout")
    auth.logout()
    page = text_of(client.get(f"/t/{idea.id}"))  # a guest reads the history
    assert f"pmgr changed the status from Open to {label}" in page
    assert "We looked at the numbers." in page
    assert f'idea-status-{status.replace("_", "-")}' in client.get(f"/t/{idea.id}").get_data(as_text=True)


def test_every_change_stays_in_the_history_oldest_first(client, auth, make, board, staff):
    idea = make.thread(board=board)
    auth.login(staff)
    for status, reason in [("under_review", "Looking."), ("planned", "Q3."), ("in_progress", ""), ("shipped", "In 5.4")]:
        assert change(client, idea, status=status, reason=reason).status_code == 302
    page = text_of(client.get(f"/t/{idea.id}"))
    steps = ["from Open to Under review", "from Under review to Planned", "from Planned to In progress",
             "from In progress to Shipped"]
    positions = [page.index(step) for step in steps]
    assert positions == sorted(positions)
    assert [e.status.value for e in events_of(idea)] == ["under_review", "planned", "in_progress", "shipped"]


def test_declining_needs_a_public_reason(client, auth, make, board, staff):
    idea = make.thread(board=board, title="Blockchain everything")
    voter = make.member()
    vote(voter, idea, 1)
    auth.login(staff)
    before = snapshot(idea)
    for reason in ("", "   \n  "):
        response = change(client, idea, status="declined", reason=reason)
        assert response.status_code == 422
        assert "Declining an idea needs a reason" in text_of(response)
        assert snapshot(idea) == before
    as_json = change(client, idea, json=True, status="declined")
    assert as_json.status_code == 422
    error = as_json.get_json()["error"]
    assert error["code"] == "validation_failed" and "reason" in error["fields"] and error["message"]
    assert snapshot(idea) == before
    assert change(client, idea, status="declined", reason="Not a fit for the product.").status_code == 302
    assert fresh(idea).idea_status is IdeaStatus.declined
    assert "Not a fit for the product." in text_of(client.get(f"/t/{idea.id}"))


@pytest.mark.parametrize("raw", ["shipped-ish", "", "OPEN", "7"])
def test_unknown_status_is_a_form_error_and_a_json_error(client, auth, make, board, staff, raw):
    idea = make.thread(board=board)
    auth.login(staff)
    before = snapshot(idea)
    response = change(client, idea, status=raw)
    assert response.status_code == 422 and "Choose one of the listed statuses." in text_of(response)
    as_json = change(client, idea, json=True, status=raw)
    assert as_json.status_code == 422
    assert as_json.get_json()["error"]["fields"]["status"] == "Choose one of the listed statuses."
    assert snapshot(idea) == before


def test_json_that_is_not_an_object_is_refused_cleanly(client, auth, make, board, staff):
    idea = make.thread(board=board)
    auth.login(staff)
    response = client.post(f"/t/{idea.id}/idea-status", data="[1, 2]", content_type="application/json", headers=JSON)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "validation_failed"


def test_setting_the_same_status_again_is_refused(client, auth, make, board, staff):
    idea = make.thread(board=board)
    auth.login(staff)
    assert change(client, idea, status="planned").status_code == 302
    response = change(client, idea, status="planned", reason="again")
    assert response.status_code == 422 and "already has this status" in text_of(response)
    assert len(events_of(idea)) == 1


def test_a_too_long_reason_is_refused(app, client, auth, make, board, staff):
    idea = make.thread(board=board)
    auth.login(staff)
    limit = app.config["IDEA_REASON_MAX_LENGTH"]
    response = change(client, idea, status="declined", reason="x" * (limit + 1))
    assert response.status_code == 422 and f"at most {limit} characters" in text_of(response)
    assert fresh(idea).idea_status is IdeaStatus.open and events_of(idea) == []


def test_status_change_needs_a_csrf_token(app, client, auth, make, board, staff):
    idea = make.thread(board=board)
    auth.login(staff)
    app.config["WTF_CSRF_ENABLED"] = True
    forged = change(client, idea, status="planned")
    assert forged.status_code == 400 and "form expired" in forged.get_data(as_text=True)
    as_json = change(client, idea, json=True, status="planned")
    assert as_json.status_code == 400 and as_json.get_json()["error"]["code"] == "csrf_failed"
    assert fresh(idea).idea_status is IdeaStatus.open and events_of(idea) == []
    token = csrf_token_from(client.get(f"/t/{idea.id}").get_data(as_text=True))
    assert change(client, idea, status="planned", csrf_token=token).status_code == 302
    assert fresh(idea).idea_status is IdeaStatus.planned
