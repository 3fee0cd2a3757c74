"""The one explicit registry (community/registry.py): what areas add to the forum, checked when added."""
from __future__ import annotations

import pytest
from blinker import NamedSignal

from community import pagecache, registry, signals
from community import search as search_area
from community.forum.models import BoardKind
from community.members.models import Role


def test_an_unknown_template_slot_is_refused_when_registered(app):
    with pytest.raises(KeyError, match="post_action"):
        registry.register_template_slot(app, "post_action", "community/votes/_buttons.html")
    with app.app_context(), pytest.raises(KeyError):
        registry.slot_templates("post_action")


def test_a_board_page_needs_a_board_kind_and_only_one_per_kind(app):
    with pytest.raises(TypeError):
        registry.register_board_page(app, "idea", lambda board: "")
    with pytest.raises(ValueError, match="idea"):
        registry.register_board_page(app, BoardKind.idea, lambda board: "")  # ideas registered theirs


def test_a_thread_sort_or_staff_counter_name_is_registered_once(app):
    with pytest.raises(ValueError, match="hot"):
        registry.register_thread_sort(app, "hot", None)
    with pytest.raises(ValueError, match="review_queue"):
        registry.register_staff_counter(app, "review_queue", lambda member: 0)


def test_areas_registered_their_extensions(app):
    with app.app_context():
        assert registry.board_page(BoardKind.idea).__name__ == "idea_board"
        assert registry.board_page(BoardKind.discussion) is None
        assert set(registry.thread_sorts()) == {"hot", "top"}
        assert [check.__name__ for check in registry.post_content_checks()] == ["check_post_limits"]
        assert "review_queue" in registry.staff_counters()
        assert registry.slot_templates("your_data") == ["crm_bridge/_my_data_link.html"]


def _all_signals():
    return {value for value in vars(signals).values() if isinstance(value, NamedSignal)}


def test_every_signal_is_listed_as_changing_cached_pages_or_not():
    """A new signal is subscribed by listing it, never by default: the page cache must say which it is."""
    listed = set(pagecache.INVALIDATING) | set(pagecache.NOT_INVALIDATING)
    assert not set(pagecache.INVALIDATING) & set(pagecache.NOT_INVALIDATING)
    assert {s.name for s in _all_signals() - listed} == set()


def test_every_signal_is_listed_as_changing_the_search_index_or_not():
    listed = set(search_area.INDEXED) | set(search_area.NOT_INDEXED)
    assert not set(search_area.INDEXED) & set(search_area.NOT_INDEXED)
    assert {s.name for s in _all_signals() - listed} == set()


def test_post_actions_keep_their_order_votes_answer_then_flag(client, auth, make):
    """The slot's partials render in their registered order (votes, qa, moderation), as the slot file had them."""
    asker = make.member("asker")
    board = make.board("help", kind=BoardKind.question)
    thread = make.thread(board=board, author=asker)
    reply = make.post(thread, author=make.member("helper"))
    auth.login(make.member("mod", role=Role.moderator))
    html = client.get(f"/t/{thread.id}").get_data(as_text=True)
    tail = html[html.index(f'data-post-id="{reply.id}"'):]
    positions = [tail.index(f"/p/{reply.id}/vote"), tail.index(f"/t/{thread.id}/accept"),
                 tail.index(f"/p/{reply.id}/flag")]
    assert positions == sorted(positions)
