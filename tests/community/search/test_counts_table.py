"""The postgres backend counts a one-word search's hits from search_counts (kept by triggers on
search_documents) instead of visiting them: the count is the one the documents give, for every reader, after
every event that changes a document or what a reader may read."""
from __future__ import annotations

import pytest
from sqlalchemy import text, update
from whoosh.query import And, Or, Phrase, Term

from community import search
from community.dbtypes import utcnow
from community.extensions import db
from community.forum import services as forum
from community.forum.models import Board, Post, Visibility
from community.members.models import Member, Role
from community.moderation import thread_tools
from community.ops import scheduler
from community.search.backends import postgres
from community.search.query import search as run_search


@pytest.fixture
def counting(search_backend, monkeypatch):
    """counts(member, q) -> (the total search shows, the total the documents give); fails when the counts
    table was not asked."""
    if search_backend != "postgres":
        pytest.skip("the postgres backend's counts table")
    asked = []
    original = postgres._counted

    def spy(*args):
        found = original(*args)
        asked.append(found is not None)
        return found

    def counts(member_id, q):
        search.wait()
        member = db.session.get(Member, member_id)
        asked.clear()
        monkeypatch.setattr(postgres, "_counted", spy)
        shown = run_search(member, q).total
        assert asked == [True], f"{q!r}: not counted from search_counts"
        monkeypatch.setattr(postgres, "_counted", lambda *args: None)  # the documents counted one by one
        exact = run_search(member, q).total
        monkeypatch.setattr(postgres, "_counted", original)
        db.session.rollback()
        return shown, exact

    return counts


def _hidden(post_id: int) -> None:
    db.session.execute(update(Post).where(Post.id == post_id).values(hidden_at=utcnow()))
    search.note_posts([post_id])
    db.session.commit()


def test_one_word_counts_follow_edits_hiding_moves_deletes_and_permissions(app, make, counting, monkeypatch):
    staff, mod = make.member("countstaff", role=Role.staff), make.member("countmod", role=Role.moderator)
    member = make.member("countmember")
    ids = staff.id, mod.id, member.id
    public, members = make.board(slug="c-public"), make.board(slug="c-members", visibility=Visibility.members)
    staff_board = make.board(slug="c-staff", visibility=Visibility.staff)
    opening = make.thread(board=public, author=staff, title="Zephyr plans", body="The zephyr roadmap.")
    reply = make.post(opening, body="A zephyr question from a member.")
    whisper = forum.reply(staff, opening, "zephyr whisper for staff only", whisper=True)
    in_members = make.thread(board=members, author=staff, title="Zephyr for members", body="zephyr inside")
    notes = make.thread(board=staff_board, author=staff, title="Zephyr staff notes", body="zephyr secrets")
    make.thread(board=public, author=staff, title="Unrelated", body="nothing about the wind")
    db.session.commit()
    in_members_id = in_members.id
    staff, mod, member = ids

    def expect(for_member: int, for_mod: int, for_staff: int, word: str = "zephyr") -> None:
        for reader, wanted in ((member, for_member), (mod, for_mod), (staff, for_staff)):
            assert counting(reader, word) == (wanted, wanted), (reader, word)

    # member: public and members' boards, no whisper; moderator: the same and the whisper; staff: all
    expect(3, 4, 5)
    assert counting(member, "退货") == (0, 0)

    forum.edit_post(reply.author, reply, "A question without the word.")
    db.session.commit()
    expect(2, 3, 4)
    forum.edit_post(reply.author, reply, "Zephyr again, twice: zephyr.")
    db.session.commit()
    expect(3, 4, 5)

    _hidden(reply.id)
    expect(2, 3, 4)

    monkeypatch.setattr(thread_tools, "can_move_thread_to", lambda *args: True)  # the move itself is tested
    thread_tools.move_thread(db.session.get(Member, staff), notes, public)
    db.session.commit()
    expect(3, 4, 4)

    postgres.compact_counts()  # summing the delta rows changes no count
    assert db.session.scalar(text("SELECT count(*) FROM search_counts WHERE NOT compacted")) == 0
    expect(3, 4, 4)

    forum.delete_post(db.session.get(Member, staff), whisper)
    db.session.commit()
    expect(3, 3, 3)

    db.session.execute(update(Board).where(Board.id == public.id).values(visibility=Visibility.staff))
    db.session.commit()  # no document rewritten: the reader's filter reads the boards from the database
    expect(1, 1, 3)

    search.backend().reindex()  # every document rewritten as it is: the same counts
    expect(1, 1, 3)

    db.session.execute(text("DELETE FROM posts WHERE thread_id = :t"), {"t": in_members_id})  # cascades
    db.session.commit()
    expect(0, 0, 2)


def test_chinese_words_and_reindex_from_empty(app, make, counting):
    member = make.member("zhmember").id
    thread = make.thread(title="如何办理退货流程", body="我的订单已经签收了，想要退货")
    make.post(thread, body="退货要先申请")
    make.post(thread, body="发票抬头写错了")
    db.session.commit()
    assert counting(member, "退货") == (2, 2)
    db.session.execute(text("TRUNCATE search_documents"))  # the counts go with the documents
    db.session.commit()
    assert db.session.scalar(text("SELECT count(*) FROM search_counts")) == 0
    assert counting(member, "退货") == (0, 0)
    search.backend().reindex()
    assert counting(member, "退货") == (2, 2)
    assert counting(member, "发票") == (1, 1)
    assert db.session.scalar(text("SELECT count(*) FROM search_counts WHERE NOT compacted")) == 0


def test_only_one_word_queries_are_counted_from_the_table(app):
    readers = Or([Term("facts", "gone"), Term("board_id", "4"), Term("facts", "v_staff"), Term("facts", "whisper")])
    one = Or([Term("title", "sync"), Term("body", "sync")])
    compiler = postgres._Compiler()
    sql = postgres._counted(compiler, one, readers)
    assert "search_counts" in sql and "NOT s.whisper" in sql
    assert compiler.params == {"p0": "sync", "p1": "~gone", "p2": [4], "p3": ["staff"]}
    assert "NOT s.whisper" not in postgres._counted(postgres._Compiler(), one, Or([Term("facts", "gone")]))
    for other in (Term("title", "sync"), Or([Term("title", "sync"), Term("body", "crash")]),
                  Or([Phrase("title", ["sync", "works"]), Phrase("body", ["sync", "works"])]),
                  And([one, Term("facts", "opening")]), Or([Term("title", "a:b"), Term("body", "a:b")])):
        assert postgres._counted(postgres._Compiler(), other, readers) is None, other
    assert postgres._counted(postgres._Compiler(), one, Or([Term("board_id", "4")])) is None  # gone not subtracted
    assert postgres._counted(postgres._Compiler(), one, Or([Term("facts", "gone"), Term("tags", "x")])) is None


def test_the_scheduled_job_sums_the_delta_rows(app, make, counting):
    assert "search.compact_counts" in scheduler.jobs_of(app)
    member = make.member("jobmember").id
    thread = make.thread(title="Gizmo battery", body="gizmo drains")
    make.post(thread, body="my gizmo too")
    db.session.commit()
    assert db.session.scalar(text("SELECT count(*) FROM search_counts WHERE NOT compacted")) > 0
    assert search.compact_counts().endswith("counts summed")
    assert db.session.scalar(text("SELECT count(*) FROM search_counts WHERE NOT compacted")) == 0
    assert db.session.scalar(text("SELECT n FROM search_counts WHERE lexeme = 'gizmo'")) == 2
    assert counting(member, "gizmo") == (2, 2)
