from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from forum import clock
from forum.db import UTCDateTime, db, enum_column


class MailStatus(str, enum.Enum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a worker until lease_expires_at; then it returns to the queue
    SENT = "sent"
    FAILED = "failed"  # gave up after MAIL_MAX_ATTEMPTS


class OutboxMessage(db.Model):
    """An e-mail written in the same transaction as the change that causes it; the worker sends it."""

    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    template: Mapped[str] = mapped_column(sa.String(60))
    to_addr: Mapped[str] = mapped_column(sa.String(254), index=True)
    to_name: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")  # shown in the To header
    language: Mapped[str] = mapped_column(sa.String(5), default="en")
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[MailStatus] = mapped_column(enum_column(MailStatus), default=MailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set while a worker sends it: who claimed it and until when the claim holds. A worker that
    # dies mid-send leaves its claim to expire, and the message is due again.
    claimed_by: Mapped[str | None] = mapped_column(sa.String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    forum_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forums.id", ondelete="SET NULL"), index=True)
    # Files sent with it (a calendar), each {"filename", "content_type", "text"}: text only, kept with the message
    # so that a retry sends the same bytes. None: no attachment.
    attachments: Mapped[list[dict] | None] = mapped_column(sa.JSON)
