"""Polls on threads: the poll, its options, one ballot per member and the votes on it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db
from ..forum.models import Thread


class Poll(db.Model):
    """A question with options, carried by a thread (at most one poll per thread)."""

    __tablename__ = "polls"
    __table_args__ = (
        CheckConstraint("max_choices >= 1", name="max_choices_positive"),
        CheckConstraint("multiple OR max_choices = 1", name="single_means_one_choice"),
        # Target of poll_votes' (poll_id, multiple) key: a vote row carries its poll's kind, so the
        # database itself can keep single-choice ballots to one vote (see PollVote).
        UniqueConstraint("id", "multiple"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    question: Mapped[str] = mapped_column(String(255))
    multiple: Mapped[bool] = mapped_column(Boolean, default=False)
    max_choices: Mapped[int] = mapped_column(Integer, default=1)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    results_hidden_until_close: Mapped[bool] = mapped_column(Boolean, default=False)
    # Members with a ballot; moved in SQL together with the ballot rows.
    voter_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    thread: Mapped[Thread] = relationship()
    options: Mapped[list[PollOption]] = relationship(order_by="PollOption.position", back_populates="poll",
                                                     lazy="selectin")

    def is_closed(self, now: datetime | None = None) -> bool:
        return self.closes_at is not None and self.closes_at <= (now or utcnow())

    def __repr__(self) -> str:
        return f"<Poll {self.id} on thread {self.thread_id}>"


class PollOption(db.Model):
    __tablename__ = "poll_options"
    __table_args__ = (
        UniqueConstraint("poll_id", "position"),
        UniqueConstraint("id", "poll_id"),  # target of poll_votes' (option_id, poll_id) key
        CheckConstraint("vote_count >= 0", name="vote_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"))
    position: Mapped[int] = mapped_column(Integer)  # 1, 2, ... in the order the author wrote them
    label: Mapped[str] = mapped_column(String(200))
    vote_count: Mapped[int] = mapped_column(Integer, default=0)  # moved in SQL with the vote rows

    poll: Mapped[Poll] = relationship(back_populates="options")


class PollBallot(db.Model):
    """A member's ballot in a poll: the unique key makes a second ballot impossible."""

    __tablename__ = "poll_ballots"
    __table_args__ = (UniqueConstraint("poll_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PollVote(db.Model):
    """One option chosen on a ballot.

    The keys keep the data honest without help from the code: a vote belongs to an existing ballot
    of the same poll and member, names an option of that same poll, never names it twice, and on a
    single-choice poll (`multiple` false, pinned to the poll's own value) a ballot holds one vote.
    """

    __tablename__ = "poll_votes"
    __table_args__ = (
        UniqueConstraint("poll_id", "member_id", "option_id"),
        ForeignKeyConstraint(["poll_id", "member_id"], ["poll_ballots.poll_id", "poll_ballots.member_id"],
                             ondelete="CASCADE"),
        ForeignKeyConstraint(["option_id", "poll_id"], ["poll_options.id", "poll_options.poll_id"]),
        ForeignKeyConstraint(["poll_id", "multiple"], ["polls.id", "polls.multiple"]),
        Index("ix_poll_votes_one_single_choice", "poll_id", "member_id", unique=True,
              sqlite_where=text("NOT multiple"), postgresql_where=text("NOT multiple")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[int] = mapped_column(Integer)
    option_id: Mapped[int] = mapped_column(Integer)
    multiple: Mapped[bool] = mapped_column(Boolean)
