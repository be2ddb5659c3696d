from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum import clock
from forum.accounts.models import User
from forum.db import UTCDateTime, db
from forum.forums.models import Forum


class ApiToken(db.Model):
    """A device token: acts with its user's permissions, optionally only for one forum. Only the SHA-256 of
    the secret is stored; the secret is shown once, when it is made."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    forum_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The first characters of the secret, to recognise a token in a list without revealing it.
    prefix: Mapped[str] = mapped_column(sa.String(12), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    forum: Mapped[Forum | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.label!r} user={self.user_id}>"
