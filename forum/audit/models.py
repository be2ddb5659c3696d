from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum import clock
from forum.accounts.models import User
from forum.db import UTCDateTime, db


class AuditEntry(db.Model):
    """Who did what to which thing, when, from which state to which, and why. Append-only."""

    __tablename__ = "audit_entries"
    __table_args__ = (sa.Index("ix_audit_entries_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    forum_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    subject_type: Mapped[str] = mapped_column(sa.String(40))  # "registration", "company", "forum", ...
    subject_id: Mapped[int] = mapped_column()
    action: Mapped[str] = mapped_column(sa.String(40))
    from_state: Mapped[str | None] = mapped_column(sa.String(20))
    to_state: Mapped[str | None] = mapped_column(sa.String(20))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    actor: Mapped[User | None] = relationship()
