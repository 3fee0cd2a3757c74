"""A reply holds the rows every reply on its board shares (the board's counters, the CRM's day rollup) for its
commit only: another transaction can write them while the reply's signal subscribers still run (PostgreSQL)."""
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from community.forum import services
from community.forum.models import Board
from tests.concurrency import require_postgres


def _writable_elsewhere(db, statement: str, **params) -> bool:
    """Whether another connection can write the row now (a row lock held by the session makes it time out)."""
    with db.engine.connect() as other:
        other.execute(text("SET LOCAL lock_timeout = '300ms'"))
        try:
            other.execute(text(statement), params)
        except OperationalError:
            return False
        finally:
            other.rollback()
    return True


def test_a_reply_writes_its_board_row_last_and_the_counts_are_right(db, make):
    require_postgres(db)
    board = make.board(slug="busy")
    thread = make.thread(board=board)
    make.post(thread, author=make.member("early"), body="The first reply, committed.")
    author = make.member("late")
    services.reply(author, thread, "A reply whose transaction is still open.")
    # the thread's row is the reply's (its number) until the commit; the board's is not taken yet
    assert not _writable_elsewhere(db, "UPDATE threads SET post_seq = post_seq WHERE id = :id", id=thread.id)
    assert _writable_elsewhere(db, "UPDATE boards SET post_count = post_count WHERE id = :id", id=board.id)
    assert _writable_elsewhere(db, "UPDATE crm_daily_mood SET posts = posts WHERE board_id = :id", id=board.id)
    db.session.commit()
    db.session.expire_all()
    board = db.session.get(Board, board.id)
    assert (board.thread_count, board.post_count) == (1, 3)
    assert board.last_posted_at == thread.last_posted_at
    moods = db.session.execute(text("SELECT sum(posts) FROM crm_daily_mood WHERE board_id = :id"),
                               {"id": board.id}).scalar()
    assert moods == 3


@pytest.mark.parametrize("kept", [True, False])
def test_a_rolled_back_reply_leaves_the_board_as_it_was(db, make, kept):
    board = make.board(slug="quiet")
    thread = make.thread(board=board)
    services.reply(make.member("ann"), thread, "A reply that may not stay.")
    if kept:
        db.session.commit()
    else:
        db.session.rollback()
    db.session.commit()  # nothing queued survives a rollback into the next commit
    db.session.expire_all()
    board = db.session.get(Board, board.id)
    assert board.post_count == (2 if kept else 1)
