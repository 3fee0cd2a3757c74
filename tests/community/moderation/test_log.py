"""The moderation log (staff, filterable) and the public transparency page (counts, no names)."""
import pytest
from sqlalchemy import select

from community.moderation.models import ModerationAction


@pytest.fixture
def history(make, login, mod, level):
    thread = make.thread(title="A thread to moderate")
    reply = make.post(thread, author=make.member("offender"), body="Something off topic")
    login(level("flagger", 1)).post(f"/p/{reply.id}/flag", data={"reason": "off_topic"})
    moderator = login(mod)
    moderator.post(f"/p/{reply.id}/hide", data={"reason": "Derailing"})
    moderator.post(f"/t/{thread.id}/lock", data={"reason": "Cooling down"})
    moderator.post("/u/offender/silence", data={"days": "1", "reason": "Derailing threads"})
    return thread


def test_every_action_is_logged_with_who_what_target_reason_and_when(history, db, mod):
    rows = db.session.scalars(select(ModerationAction).order_by(ModerationAction.id)).all()
    assert [r.action for r in rows] == ["flag", "hide", "lock", "silence"]
    hide = rows[1]
    assert (hide.actor_id, hide.member.username, hide.reason, hide.reason_code) == (mod.id, "offender", "Derailing",
                                                                                   "manual")
    assert hide.post_id is not None and hide.created_at is not None


def test_the_log_is_for_moderators_and_filters_by_action_and_member(history, login, mod, make):
    assert login(make.member("plain")).get("/mod/log").status_code == 404
    client = login(mod)
    page = client.get("/mod/log").get_data(as_text=True)
    assert "Derailing" in page and "Cooling down" in page and "offender" in page
    only_locks = client.get("/mod/log?action=lock").get_data(as_text=True)
    assert "Cooling down" in only_locks and "Derailing threads" not in only_locks
    about = client.get("/mod/log?member=offender").get_data(as_text=True)
    assert "Derailing threads" in about and "Cooling down" not in about
    assert "No member with that name" in client.get("/mod/log?actor=nobody").get_data(as_text=True)


def test_transparency_page_counts_actions_and_reasons_without_names(history, client):
    page = client.get("/transparency").get_data(as_text=True)
    assert 'data-action="hide"' in page and 'data-action="silence"' in page and 'data-reason="off_topic"' in page
    for private in ("offender", "mona", "flagger", "Derailing", "Cooling down"):
        assert private not in page


def test_log_page_costs_a_bounded_number_of_queries(history, login, mod, own_queries, make):
    client = login(mod)
    client.get("/mod/log")
    with own_queries() as few:
        client.get("/mod/log")
    for i in range(5):
        client.post(f"/t/{history.id}/unlock")
        client.post(f"/t/{history.id}/lock", data={"reason": f"again {i}"})
    client.get("/mod/log")
    with own_queries() as more:
        client.get("/mod/log")
    assert len(more) == len(few)
