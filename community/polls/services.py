"""What can happen to a poll: attach one to a thread, cast or change a ballot, close it; and the reads.

Services flush and signal; they never commit. Counts move with atomic SQL under the row lock of the
member's ballot, so concurrent ballots never lose or double a vote.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from ..dbtypes import utcnow
from ..errors import Conflict, NotPermitted, ValidationFailed
from ..extensions import db
from ..forum.models import Thread
from ..members.models import Member
from ..permissions import can_add_poll, can_close_poll, can_hide_poll_results, can_see_poll_results, can_vote_in_poll
from ..signals import poll_created, poll_voted
from .models import Poll, PollBallot, PollOption, PollVote

MIN_OPTIONS = 2
QUESTION_MAX_LENGTH = 255  # the column's size
OPTION_MAX_LENGTH = 200  # the column's size
CORRECT = _l("Please correct the marked poll fields.")


# ---- writing -------------------------------------------------------------------------------

def parse_option_lines(raw: str | None) -> list[str]:
    """Split a textarea into option labels, one per line; blank lines are skipped."""
    return [line.strip() for line in (raw or "").replace("\r\n", "\n").split("\n") if line.strip()]


def _check_options(labels, problems: dict) -> list[str]:
    labels = [" ".join(str(label or "").split()) for label in labels]
    most = current_app.config["POLL_MAX_OPTIONS"]
    empty = [n for n, label in enumerate(labels, 1) if not label]
    if empty:
        problems["options"] = _l("Option %(n)d is empty; write something or remove it.", n=empty[0])
    elif len(labels) < MIN_OPTIONS:
        problems["options"] = _l("A poll needs at least %(n)d options, one per line.", n=MIN_OPTIONS)
    elif len(labels) > most:
        problems["options"] = _l("A poll may have at most %(n)d options; this one has %(m)d.", n=most, m=len(labels))
    elif any(len(label) > OPTION_MAX_LENGTH for label in labels):
        problems["options"] = _l("Each option may have at most %(n)d characters.", n=OPTION_MAX_LENGTH)
    elif len({label.casefold() for label in labels}) < len(labels):
        problems["options"] = _l("Each option must be different.")
    return labels


def create_poll(author: Member, thread: Thread, question: str, options, *, multiple: bool = False,
                max_choices: int | None = None, closes_at: datetime | None = None,
                hide_results: bool = False, now: datetime | None = None) -> Poll:
    """Attach a poll to `thread`: a question and 2 to POLL_MAX_OPTIONS options, single or multiple choice."""
    if not can_add_poll(author, thread):
        raise NotPermitted(_l("You cannot add a poll to this thread."))
    if db.session.scalar(select(Poll.id).where(Poll.thread_id == thread.id)) is not None:
        raise Conflict(_l("This thread already has a poll."))
    now = now or utcnow()
    problems: dict = {}
    question = " ".join((question or "").split())
    if not question:
        problems["question"] = _l("Please write the question of the poll.")
    elif len(question) > QUESTION_MAX_LENGTH:
        problems["question"] = _l("The question may have at most %(n)d characters.", n=QUESTION_MAX_LENGTH)
    labels = _check_options(list(options or []), problems)
    multiple = bool(multiple)
    if not multiple:
        max_choices = 1
    elif max_choices is None:
        max_choices = len(labels)
    elif not 2 <= max_choices <= max(2, len(labels)):
        problems["max_choices"] = _l("Allow from 2 up to as many choices as there are options (%(n)d).",
                                     n=len(labels))
    if closes_at is not None:
        if closes_at.tzinfo is None:
            raise ValueError("closes_at must be timezone-aware")
        if closes_at <= now:
            problems["closes_at"] = _l("The closing time must be in the future.")
    if hide_results and not can_hide_poll_results(author):
        problems["hide_results"] = _l("Only staff may hide the results until the poll closes.")
    if problems:
        raise ValidationFailed(CORRECT, problems)

    poll = Poll(thread_id=thread.id, created_by_id=author.id, question=question, multiple=multiple,
                max_choices=max_choices, closes_at=closes_at, results_hidden_until_close=bool(hide_results),
                voter_count=0, created_at=now)
    poll.options = [PollOption(position=n, label=label, vote_count=0) for n, label in enumerate(labels, 1)]
    db.session.add(poll)
    db.session.flush()
    poll_created.send(poll, thread=thread)
    return poll


def _parse_choice_ids(raw) -> list[int]:
    ids = []
    for value in raw or []:
        text = str(value).strip()
        if not text.isdigit() or len(text) > 12:
            raise ValidationFailed(_l("That is not an option of this poll."),
                                   {"option": _l("That is not an option of this poll.")})
        ids.append(int(text))
    return list(dict.fromkeys(ids))


def _insert(model):
    """Return the dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL both speak it)."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def cast_ballot(voter: Member, poll: Poll, option_ids, now: datetime | None = None) -> list[int]:
    """Record `voter`'s ballot (replacing their earlier one) and return the chosen option ids."""
    now = now or utcnow()
    if not can_vote_in_poll(voter, poll, now):
        if poll.is_closed(now):
            raise NotPermitted(_l("This poll has closed; votes can no longer be cast or changed."))
        raise NotPermitted(_l("You cannot vote in this poll."))
    chosen = _parse_choice_ids(option_ids)
    valid = {option.id for option in poll.options}
    if any(option_id not in valid for option_id in chosen):
        raise ValidationFailed(_l("That is not an option of this poll."),
                               {"option": _l("That is not an option of this poll.")})
    if not chosen:
        raise ValidationFailed(_l("Choose an option to vote."), {"option": _l("Choose an option to vote.")})
    if not poll.multiple and len(chosen) != 1:
        raise ValidationFailed(_l("Choose exactly one option in this poll."),
                               {"option": _l("Choose exactly one option in this poll.")})
    if len(chosen) > poll.max_choices:
        raise ValidationFailed(_l("Choose at most %(n)d options in this poll.", n=poll.max_choices),
                               {"option": _l("Choose at most %(n)d options in this poll.", n=poll.max_choices)})

    # Take the ballot's row lock first: a new ballot by inserting it, an existing one by touching it.
    # Two requests of the same member then run one after the other; other members never wait here.
    created = db.session.execute(
        _insert(PollBallot).values(poll_id=poll.id, member_id=voter.id, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["poll_id", "member_id"]).returning(PollBallot.id)
    ).scalar_one_or_none() is not None
    if created:
        db.session.execute(update(Poll).where(Poll.id == poll.id).values(voter_count=Poll.voter_count + 1))
    else:
        db.session.execute(update(PollBallot).where(PollBallot.poll_id == poll.id, PollBallot.member_id == voter.id)
                           .values(updated_at=now))
    before = set(db.session.scalars(select(PollVote.option_id).where(PollVote.poll_id == poll.id,
                                                                     PollVote.member_id == voter.id)))
    removed, added = before - set(chosen), set(chosen) - before
    if removed:
        db.session.execute(delete(PollVote).where(PollVote.poll_id == poll.id, PollVote.member_id == voter.id,
                                                  PollVote.option_id.in_(removed)))
    if added:
        db.session.execute(insert(PollVote), [dict(poll_id=poll.id, member_id=voter.id, option_id=option_id,
                                                   multiple=poll.multiple) for option_id in sorted(added)])
    # One statement per option, in id order: concurrent ballots lock the counters in the same order
    # and so cannot deadlock each other.
    for option_id in sorted(removed | added):
        step = 1 if option_id in added else -1
        db.session.execute(update(PollOption).where(PollOption.id == option_id)
                           .values(vote_count=PollOption.vote_count + step))
    db.session.flush()
    if created or removed or added:
        # The counters changed in SQL; let the next read of this poll fetch them again.
        db.session.expire(poll, ["voter_count"])
        for option in poll.options:
            db.session.expire(option, ["vote_count"])
        poll_voted.send(poll, voter=voter, option_ids=sorted(chosen), at=now)
    return sorted(chosen)


def close_poll(actor: Member, poll: Poll, now: datetime | None = None) -> Poll:
    """Close an open poll now (its results become visible to everyone who sees the thread)."""
    now = now or utcnow()
    if not can_close_poll(actor, poll, now):
        raise NotPermitted(_l("You cannot close this poll."))
    poll.closes_at = now
    db.session.flush()
    return poll


# ---- reading -------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _thread_poll_select():
    """SQL: the poll of `thread_id` with its options; built once per process (every thread page asks)."""
    return select(Poll).where(Poll.thread_id == bindparam("thread_id")).options(joinedload(Poll.options))


def thread_poll(thread: Thread) -> Poll | None:
    """Return the thread's poll with its options, in one query."""
    return db.session.scalars(_thread_poll_select(), {"thread_id": thread.id}).unique().one_or_none()


def my_choices(member, poll: Poll) -> set[int] | None:
    """Return the option ids on `member`'s ballot, or None when they have not voted (one query)."""
    if not getattr(member, "is_authenticated", False):
        return None
    rows = set(db.session.scalars(select(PollVote.option_id).where(PollVote.poll_id == poll.id,
                                                                   PollVote.member_id == member.id)))
    return rows or None


@dataclass
class OptionView:
    id: int
    label: str
    chosen: bool
    votes: int | None = None  # None when the results are not for this member's eyes
    percent: int | None = None


@dataclass
class PollView:
    """What one member may know about a poll, ready for a template or JSON."""

    poll: Poll
    options: list[OptionView]
    voted: bool
    closed: bool
    results_visible: bool
    can_vote: bool
    can_close: bool
    voter_count: int | None = None
    choices: list[int] = field(default_factory=list)

    def as_json(self) -> dict:
        poll = self.poll
        body = {
            "id": poll.id, "thread_id": poll.thread_id, "question": poll.question, "multiple": poll.multiple,
            "max_choices": poll.max_choices, "closes_at": poll.closes_at.isoformat() if poll.closes_at else None,
            "closed": self.closed, "results_hidden_until_close": poll.results_hidden_until_close,
            "results_visible": self.results_visible, "can_vote": self.can_vote, "voted": self.voted,
            "my_choices": self.choices,
            "options": [{"id": o.id, "label": o.label, "chosen": o.chosen} for o in self.options],
        }
        if self.results_visible:
            body["voter_count"] = self.voter_count
            for data, option in zip(body["options"], self.options, strict=True):
                data.update(votes=option.votes, percent=option.percent)
        return body


def poll_view(member, poll: Poll, choices: set[int] | None, now: datetime | None = None) -> PollView:
    """Decide what `member` sees of `poll`; counts are only copied in when the rules allow it."""
    now = now or utcnow()
    voted = bool(choices)
    visible = can_see_poll_results(member, poll, voted, now)
    total = poll.voter_count or 0
    options = []
    for option in poll.options:
        view = OptionView(option.id, option.label, option.id in (choices or ()))
        if visible:
            view.votes = option.vote_count
            view.percent = round(100 * option.vote_count / total) if total else 0
        options.append(view)
    return PollView(poll=poll, options=options, voted=voted, closed=poll.is_closed(now), results_visible=visible,
                    can_vote=can_vote_in_poll(member, poll, now), can_close=can_close_poll(member, poll, now),
                    voter_count=total if visible else None, choices=sorted(choices or ()))
