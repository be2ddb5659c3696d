from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum import clock
from forum.db import UTCDateTime, db
from forum.registration.models import Registration

NOTE_MAX = 500


class Contact(db.Model):
    """A delegate's saved contact: `owner` (the delegate who scanned) saved `person` (whose badge it was), in one
    forum. Saving again updates the note: (owner, person) is unique."""

    __tablename__ = "contacts"
    __table_args__ = (
        sa.UniqueConstraint("owner_id", "person_id", name="uq_contacts_owner_person"),
        sa.CheckConstraint("owner_id <> person_id", name="not_self"),
        sa.Index("ix_contacts_forum_owner", "forum_id", "owner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(sa.String(NOTE_MAX), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    owner: Mapped[Registration] = relationship(foreign_keys=[owner_id])
    person: Mapped[Registration] = relationship(foreign_keys=[person_id])
