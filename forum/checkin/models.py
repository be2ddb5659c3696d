from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum import clock
from forum.accounts.models import User
from forum.badges.models import Badge
from forum.db import UTCDateTime, db, enum_column


class Result(str, enum.Enum):
    """What a scan concluded: the same words in the API, on the scanner page and in the tests."""

    OK = "ok"  # admitted (direction in) or let out (direction out)
    ALREADY_CHECKED_IN = "already_checked_in"  # inside already: the answer names the first entry and its device
    NOT_CHECKED_IN = "not_checked_in"  # an exit scanned for someone who is not inside
    INVALID = "invalid"  # garbage, a bad signature, an unknown version, or a badge this forum never issued
    REVOKED = "revoked"  # replaced by a newer badge, or its registration was rejected, withdrawn or cancelled
    NOT_APPROVED = "not_approved"  # the registration is pending, waitlisted, rejected or withdrawn
    WRONG_FORUM = "wrong_forum"  # a genuine badge of another forum
    FORUM_CANCELLED = "forum_cancelled"


# The results that let nobody in: the dashboard lists these as failed scans.
FAILED = frozenset({Result.INVALID, Result.REVOKED, Result.NOT_APPROVED, Result.WRONG_FORUM,
                    Result.FORUM_CANCELLED})


class Direction(str, enum.Enum):
    IN = "in"
    OUT = "out"


class Scan(db.Model):
    """Every scan, admitted or refused: the record of the door (check-in writes no audit entry of its own).

    The nonce is the scanning device's name for this scan: the same nonce again is the same scan (a retry
    over flaky Wi-Fi), so (forum, nonce) is unique and a retry gets the first answer back.
    """

    __tablename__ = "checkin_scans"
    __table_args__ = (
        sa.UniqueConstraint("forum_id", "nonce", name="uq_checkin_scans_forum_nonce"),
        sa.Index("ix_checkin_scans_forum_recorded_at", "forum_id", "recorded_at"),
        sa.Index("ix_checkin_scans_forum_result", "forum_id", "result"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"))
    badge_id: Mapped[int | None] = mapped_column(sa.ForeignKey("badges.id", ondelete="SET NULL"), index=True)
    result: Mapped[Result] = mapped_column(enum_column(Result, length=30))
    direction: Mapped[Direction] = mapped_column(enum_column(Direction, length=3))
    code: Mapped[str] = mapped_column(sa.String(300), default="")  # what the camera read, cut to 300 characters
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    device: Mapped[str] = mapped_column(sa.String(100), default="")  # the label the scanning device was given
    api_token_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_tokens.id", ondelete="SET NULL"))
    nonce: Mapped[str] = mapped_column(sa.String(100))
    scanned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the device's clock, when it said
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)  # the server's clock
    offline: Mapped[bool] = mapped_column(default=False, server_default=sa.false())  # from an offline queue
    # For already_checked_in: the first entry the answer named (so that a retry gets the same answer).
    first_checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_checked_in_device: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")

    badge: Mapped[Badge | None] = relationship()
    user: Mapped[User | None] = relationship()


class ConflictKind(str, enum.Enum):
    """What an offline scan's upload showed that no device could see at the door (issue 11)."""

    DUPLICATE_OFFLINE = "duplicate_offline"  # the same badge admitted on two devices: this is the later entry
    REVOKED_AFTER_SYNC = "revoked_after_sync"  # admitted offline, but revoked after the device's data was fetched
    CLOCK_SKEW = "clock_skew"  # the device's clock was far from the server's


class Conflict(db.Model):
    """One conflict an offline upload revealed, kept for the organizers' dashboard until someone reviews it.

    A scan has at most one conflict of each kind. `other_scan` is the scan it collides with (the earlier entry of a
    duplicate); `skew_seconds` is device time minus server time, for a clock skew."""

    __tablename__ = "checkin_conflicts"
    __table_args__ = (
        sa.UniqueConstraint("scan_id", "kind", name="uq_checkin_conflicts_scan_kind"),
        sa.Index("ix_checkin_conflicts_forum_reviewed", "forum_id", "reviewed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"))
    scan_id: Mapped[int] = mapped_column(sa.ForeignKey("checkin_scans.id", ondelete="CASCADE"))
    kind: Mapped[ConflictKind] = mapped_column(enum_column(ConflictKind, length=30))
    other_scan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("checkin_scans.id", ondelete="SET NULL"))
    skew_seconds: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    scan: Mapped[Scan] = relationship(foreign_keys=[scan_id])
    other_scan: Mapped[Scan | None] = relationship(foreign_keys=[other_scan_id])
    reviewed_by: Mapped[User | None] = relationship()
