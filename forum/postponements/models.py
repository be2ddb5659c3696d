"""Postponing a forum to new dates, and who still comes (issue 13).

A Postponement records the old and new dates and the reason per language; each registration active then
gets one PostponementReply (unique per postponement and registration), which the delegate answers through
a signed personal link (postponements.links): confirmed or declined. Everyone gets the e-mail in the
organizer's transaction, so each person is told exactly once.
"""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum import clock
from forum.accounts.models import User
from forum.db import UTCDateTime, db, enum_column
from forum.forums.models import Forum
from forum.organisations.models import new_public_id
from forum.registration.models import Registration


class Answer(str, enum.Enum):
    PENDING = "pending"  # not answered yet
    CONFIRMED = "confirmed"  # still comes
    DECLINED = "declined"  # does not come: the registration is withdrawn, the badge revoked


class Postponement(db.Model):
    __tablename__ = "postponements"
    __table_args__ = (
        sa.CheckConstraint("new_ends_at >= new_starts_at", name="new_ends_after_start"),
        sa.CheckConstraint("new_starts_at <> old_starts_at OR new_ends_at <> old_ends_at", name="dates_change"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(36), unique=True, default=new_public_id)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    old_starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    old_ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    new_starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    new_ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reasons: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)  # {language: reason}
    # Until when the personal links answer; after it they say the link has expired.
    answer_by: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    forum: Mapped[Forum] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def shown_reason(self) -> str:
        """The reason in the reader's language, with the fallback of forums.content ("" when none was given)."""
        from forum.forums import content
        return content.pick(self.reasons)


class PostponementReply(db.Model):
    """One delegate's answer to one postponement."""

    __tablename__ = "postponement_replies"
    __table_args__ = (
        sa.UniqueConstraint("postponement_id", "registration_id", name="uq_postponement_replies_registration"),
        sa.CheckConstraint("(answer = 'pending') = (answered_at IS NULL)", name="answered_when"),
        sa.CheckConstraint("reminders >= 0", name="reminders_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    postponement_id: Mapped[int] = mapped_column(sa.ForeignKey("postponements.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    answer: Mapped[Answer] = mapped_column(enum_column(Answer, length=10), default=Answer.PENDING)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminders: Mapped[int] = mapped_column(default=0, server_default="0")
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    postponement: Mapped[Postponement] = relationship()
    registration: Mapped[Registration] = relationship()
