"""Every thread tool has one menu under a thread's title and one set of list badges: what each role sees
there, and that each form posts to the tool's address."""
import re

from community.extensions import db
from community.forum.models import Thread

from .conftest import at_level


def _actions(page: str) -> set[str]:
    return set(re.findall(r'(?:action|href)="(/t/\d+/[a-z-]+)"', page))


def _tools(thread_id: int, *names) -> set[str]:
    return {f"/t/{thread_id}/{name}" for name in names}


def test_a_moderator_sees_every_thread_tool_in_one_menu(make, login, mod):
    thread = make.thread(title="Router drops every night")
    make.board(slug="elsewhere")
    page = login(mod).get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Thread tools" in page and "Moderation" in page
    assert _tools(thread.id, "tags", "move", "lock", "pin", "pin-globally", "merge", "split") <= _actions(page)


def test_a_leader_sees_the_trusted_tools_only(make, login):
    thread = make.thread(title="Router drops every night")
    make.board(slug="elsewhere")
    leader = at_level(make.member("leader"), 4)
    page = login(leader).get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Thread tools" in page and "Save tags" in page and "Pin thread" in page
    found = _actions(page)
    assert _tools(thread.id, "tags", "move", "lock", "pin") <= found
    assert not _tools(thread.id, "pin-globally", "merge", "split") & found


def test_closed_and_pinned_threads_carry_their_badges_on_the_page_and_in_lists(make, login, mod):
    thread = make.thread(title="Router drops every night")
    client = login(mod)
    assert client.post(f"/t/{thread.id}/lock", data={"reason": "Solved elsewhere"}).status_code == 302
    assert client.post(f"/t/{thread.id}/pin-globally", data={}).status_code == 302
    db.session.expire_all()
    stored = db.session.get(Thread, thread.id)
    assert stored.is_locked and stored.pinned_globally
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Reopen thread" in page and "Unpin thread" in page
    board = client.get(f"/b/{stored.board.slug}").get_data(as_text=True)
    for badge in ('badge-locked">Closed', 'badge-pinned">Pinned<', 'badge-pinned">Pinned everywhere'):
        assert badge in board, badge
