"""`at_commit`: statements queued as the transaction's last run once at its commit, never after a rollback."""
from community.aftercommit import after_commit, at_commit


def test_queued_statements_run_once_at_the_outermost_commit_in_order(db):
    ran = []
    at_commit(ran.append, "first")
    with db.session.begin_nested():
        at_commit(ran.append, "in a savepoint")
    assert ran == []  # a savepoint's release is no commit
    after_commit(ran.append, "after the commit")
    db.session.commit()
    assert ran == ["first", "in a savepoint", "after the commit"]
    db.session.commit()
    assert ran == ["first", "in a savepoint", "after the commit"]


def test_a_rolled_back_savepoint_drops_only_what_it_queued(db):
    ran = []
    at_commit(ran.append, "kept")
    savepoint = db.session.begin_nested()
    at_commit(ran.append, "dropped")
    savepoint.rollback()
    db.session.commit()
    assert ran == ["kept"]


def test_a_rollback_drops_the_queue(db):
    ran = []
    at_commit(ran.append, "dropped")
    db.session.rollback()
    db.session.commit()
    assert ran == []


def test_a_callable_may_queue_more(db):
    ran = []
    at_commit(lambda: (ran.append("outer"), at_commit(ran.append, "inner")))
    db.session.commit()
    assert ran == ["outer", "inner"]
