"""A new post's thread's CRM rows, asked once for the three `post_created` subscribers that need them.

The outbox (the thread author's name), feedback (the thread's feedback item) and cases (the thread's live case)
each asked with a statement of their own; `post_thread_rows` asks for the three in one and remembers the answer
for that post. Its own module so that none of the three imports another for it (cases imports feedback and the
outbox): the cases tables are named through the metadata, where `crm_bridge.cases` registered them.
"""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import bindparam, select

from community.extensions import db
from community.members.models import Member

from .models import FeedbackItem

_KEY = "crm_post_thread_rows"  # session.info: (post id, feedback item id, live case id, username)


@lru_cache(maxsize=1)
def _statement():
    """The ids of a thread's feedback item and of its live case (`cases.case_for_thread`'s), and its author's
    username, in one statement (built once, at first use: every model is mapped by then)."""
    cases, case_threads = db.metadata.tables["crm_case"], db.metadata.tables["crm_case_thread"]
    thread_id = bindparam("thread_id")
    item = select(FeedbackItem.id).where(FeedbackItem.thread_id == thread_id).limit(1).scalar_subquery()
    live = (select(cases.c.id).join(case_threads, case_threads.c.case_id == cases.c.id)
            .where(case_threads.c.thread_id == thread_id, cases.c.merged_into_id.is_(None))
            .order_by(cases.c.id.desc()).limit(1).scalar_subquery())
    author = select(Member.username).where(Member.id == bindparam("author_id")).scalar_subquery()
    return select(item, live, author)


def post_thread_rows(post) -> tuple[int | None, int | None, str | None]:
    """The ids of the feedback item and of the live case of a new post's thread, and the username of the thread's
    author: one statement for the three `post_created` subscribers that ask (the outbox's, feedback's, then the
    cases'), remembered for this post only."""
    known = db.session().info.get(_KEY)
    if known is not None and known[0] == post.id:
        return known[1:]
    found = tuple(db.session.execute(_statement(),
                                     {"thread_id": post.thread_id, "author_id": post.thread.author_id}).one())
    db.session().info[_KEY] = (post.id, *found)
    return found
