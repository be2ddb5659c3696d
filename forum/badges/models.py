from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from forum import clock
from forum.db import UTCDateTime, db


class ForumKey(db.Model):
    """A forum's Ed25519 key pair for its badge tokens (badges.tokens). The private key never leaves the
    server: no page, export, API answer or log shows it (its repr leaves it out)."""

    __tablename__ = "forum_keys"
    __table_args__ = (
        sa.CheckConstraint("length(public_key) = 32 AND length(private_key) = 32", name="raw_ed25519"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), unique=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    private_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    def __repr__(self) -> str:
        return f"<ForumKey forum={self.forum_id} public={self.public_key.hex()[:16]}…>"
