"""A reply's counters are read back from its own UPDATEs onto the loaded rows (issue 18): what the subscribers
and the page read in the same request is the value the database holds, with no statement to reload it."""
from sqlalchemy import select

from community.forum import services
from community.forum.models import Thread
from community.members.models import Member


def test_the_loaded_author_and_thread_hold_the_new_post_count_and_number(db, make, count_queries):
    author = make.member("counted")
    thread = make.thread()
    make.post(thread, author=author, body="An earlier reply, committed.")
    db.session.commit()
    author, thread = db.session.get(Member, author.id), db.session.get(Thread, thread.id)
    posts_before, seq_before = author.post_count, thread.post_seq
    post = services.reply(author, thread, "Another reply, counted on the author and numbered on the thread.")
    with count_queries() as statements:  # read from the loaded rows: nothing is reloaded
        assert author.post_count == posts_before + 1
        assert thread.post_seq == seq_before + 1 == post.number
    assert statements == []
    db.session.commit()
    assert db.session.scalar(select(Member.post_count).where(Member.id == author.id)) == posts_before + 1
    assert db.session.scalar(select(Thread.post_seq).where(Thread.id == thread.id)) == seq_before + 1
