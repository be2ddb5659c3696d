from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.db import UTCDateTime, db
from forum.registration.models import Registration


class AgendaState(db.Model):
    """One delegate's agenda bookkeeping: when they last looked (what changed since is highlighted), and the
    version of their private calendar subscription URL (a new version revokes the old URL)."""

    __tablename__ = "agenda_states"
    __table_args__ = (sa.CheckConstraint("calendar_version > 0", name="calendar_version_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"), unique=True)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    calendar_version: Mapped[int] = mapped_column(default=1, server_default="1")
    calendar_renewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    registration: Mapped[Registration] = relationship()
