from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum import clock
from forum.accounts.models import User
from forum.db import UTCDateTime, db
from forum.forums.models import Forum


class Permission(str, enum.Enum):
    """The fixed list of what a team member may do for one forum. MANAGE includes every other."""

    MANAGE = "manage"  # everything for this forum: settings, team, cancellation, mail, and all below
    REVIEW = "review"  # registrations, late entries, invitations, exports
    CHECKIN = "checkin"  # the door
    DOCUMENTS = "documents"  # the register of documents
    B2B = "b2b"  # meetings


class TeamMember(db.Model):
    """One person on one forum's team, with the permissions they hold there (one column each)."""

    __tablename__ = "team_members"
    __table_args__ = (
        sa.UniqueConstraint("forum_id", "user_id", name="uq_team_members_forum_user"),
        sa.CheckConstraint("manage OR review OR checkin OR documents OR b2b", name="some_permission"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    manage: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    review: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    checkin: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    documents: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    b2b: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    forum: Mapped[Forum] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    added_by: Mapped[User | None] = relationship(foreign_keys=[added_by_id])

    @property
    def permissions(self) -> list[Permission]:
        return [p for p in Permission if getattr(self, p.value)]

    def grants(self, permission: Permission) -> bool:
        return self.manage or bool(getattr(self, permission.value))
