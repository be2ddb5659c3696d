from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum import clock
from forum.accounts.models import User
from forum.badges import tokens
from forum.db import UTCDateTime, db, enum_column
from forum.forums.models import Forum


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


class TeamRole(str, enum.Enum):
    """The band of a team member's badge: managers print as organizers, everyone else on a team as staff."""

    ORGANIZER = "organizer"
    STAFF = "staff"


class RevokeReason(str, enum.Enum):
    REISSUED = "reissued"  # a new badge replaced it (lost, name corrected)
    REJECTED = "rejected"  # the registration was rejected
    WITHDRAWN = "withdrawn"  # ... withdrawn (or its place handed to a substitute)
    CANCELLED = "cancelled"  # ... cancelled, alone or with the whole forum
    LEFT_TEAM = "left_team"  # a team member's badge, after they left the team
    MANUAL = "manual"  # an organizer revoked it, with a reason


class Badge(db.Model):
    """One printed (or printable) badge: of one registration, or of one team member (organizer or staff).

    `code` is the random badge id inside the signed token (hex); `token` is what the QR code carries after
    `<base>/b/`. A badge is live until revoked; a registration or a team member has at most one live badge
    per forum (the partial unique indexes). Presence at the venue (first entry, inside now) is kept on the
    badge, under its row lock (checkin.services), and carried over to a reissued badge.
    """

    __tablename__ = "badges"
    __table_args__ = (
        sa.CheckConstraint("(registration_id IS NULL) <> (user_id IS NULL)", name="one_holder"),
        sa.CheckConstraint("(user_id IS NULL) = (team_role IS NULL)", name="team_role_of_team_badge"),
        sa.CheckConstraint("(revoked_at IS NULL) = (revoked_reason IS NULL)", name="revoked_with_reason"),
        sa.Index("uq_badges_live_registration", "registration_id", unique=True,
                 sqlite_where=sa.text("revoked_at IS NULL"), postgresql_where=sa.text("revoked_at IS NULL")),
        sa.Index("uq_badges_live_team_member", "forum_id", "user_id", unique=True,
                 sqlite_where=sa.text("revoked_at IS NULL AND user_id IS NOT NULL"),
                 postgresql_where=sa.text("revoked_at IS NULL AND user_id IS NOT NULL")),
        sa.Index("ix_badges_forum_revoked_at", "forum_id", "revoked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(sa.String(2 * tokens.ID_BYTES), unique=True)  # the badge id, hex
    token: Mapped[str] = mapped_column(sa.String(tokens.TOKEN_CHARS))
    registration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"),
                                                        index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    team_role: Mapped[TeamRole | None] = mapped_column(enum_column(TeamRole, length=10))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("badges.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[RevokeReason | None] = mapped_column(enum_column(RevokeReason))
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # Printing: when the badge desk last downloaded it, and a fingerprint of what was printed (names, company,
    # category ...), so that "changed since last print" finds the badges whose printed text is out of date.
    printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    printed_fingerprint: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    # Presence, changed only under the badge's row lock by checkin.services.check_in.
    first_checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_checked_in_device: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    inside: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    forum: Mapped[Forum] = relationship()
    registration: Mapped["Registration | None"] = relationship(foreign_keys=[registration_id])  # noqa: F821
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None

    @property
    def badge_id(self) -> bytes:
        return bytes.fromhex(self.code)

    @property
    def category(self) -> str:
        """The band printed on it: the registration's category, or organizer / staff for a team badge."""
        if self.registration is not None:
            return self.registration.category.value
        return self.team_role.value if self.team_role else "staff"

    def __repr__(self) -> str:
        return f"<Badge {self.id} forum={self.forum_id} {'live' if self.is_live else 'revoked'}>"
