from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum import clock
from forum.db import UTCDateTime, db, enum_column
from forum.documents.models import Document
from forum.meetings.models import Meeting
from forum.registration.models import Registration

NEXT_STEP_MAX = 500


class OutcomeKind(str, enum.Enum):
    """What one side says a meeting led to, from nothing to the most."""

    NOT_HELD = "not_held"  # did not take place
    NO_INTEREST = "no_interest"  # no common interest
    INFORMATIVE = "informative"
    COOPERATION = "cooperation_likely"


class MeetingOutcome(db.Model):
    """One side's outcome of one meeting (each side records its own), with an optional next step and date, and
    the signed document it led to once there is one."""

    __tablename__ = "meeting_outcomes"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "registration_id", name="uq_meeting_outcomes_meeting_side"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[OutcomeKind] = mapped_column(enum_column(OutcomeKind, length=20))
    next_step: Mapped[str] = mapped_column(sa.String(NEXT_STEP_MAX), default="", server_default="")
    next_step_on: Mapped[date | None] = mapped_column(sa.Date)
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    meeting: Mapped[Meeting] = relationship()
    registration: Mapped[Registration] = relationship()
    document: Mapped[Document | None] = relationship()


class OutcomeReminder(db.Model):
    """The day-after reminder sent to one side of one meeting: the primary key makes it once, whatever number of
    workers run."""

    __tablename__ = "outcome_reminders"

    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
