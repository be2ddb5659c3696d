"""Messages from the organizers to a chosen set of a forum's registrants (issue 13).

An Announcement is composed with a subject and body per language and a filter (announcements.targeting); when
it is sent, each recipient gets one AnnouncementRecipient row (unique per address) and one outbox message in
their language, all in the sending transaction. The log reads each delivery's fate from its outbox message.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum import clock
from forum.accounts.models import User
from forum.db import UTCDateTime, db
from forum.forums.models import Forum
from forum.notifications.models import OutboxMessage
from forum.organisations.models import new_public_id


class Announcement(db.Model):
    __tablename__ = "announcements"
    __table_args__ = (
        sa.CheckConstraint("sent_at IS NOT NULL OR recipients_count = 0", name="count_when_sent"),
        sa.CheckConstraint("recipients_count >= 0", name="recipients_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(36), unique=True, default=new_public_id)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    # The filter as chosen (announcements.targeting.Filter.as_dict): kept so the log says whom it was for.
    filters: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    subjects: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)  # {language: subject}
    bodies: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)  # {language: body}
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)
    # A draft until sent; sent once (the send takes the forum's lock and checks sent_at again).
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    recipients_count: Mapped[int] = mapped_column(default=0, server_default="0")

    forum: Mapped[Forum] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])

    @property
    def is_sent(self) -> bool:
        return self.sent_at is not None


class AnnouncementRecipient(db.Model):
    """One person an announcement went to: once per address, in the language chosen for them."""

    __tablename__ = "announcement_recipients"
    __table_args__ = (
        sa.UniqueConstraint("announcement_id", "email", name="uq_announcement_recipients_address"),
        sa.CheckConstraint("email = lower(email)", name="email_lower"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(sa.ForeignKey("announcements.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registrations.id", ondelete="SET NULL"),
                                                        index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    language: Mapped[str] = mapped_column(sa.String(5))  # the recipient's language
    text_language: Mapped[str] = mapped_column(sa.String(5))  # the language of the text they got (fallback)
    # The outbox message of the latest delivery (a resend queues a new one and points here to it).
    outbox_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outbox.id", ondelete="SET NULL"), index=True)
    resent_count: Mapped[int] = mapped_column(default=0, server_default="0")
    last_resent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    announcement: Mapped[Announcement] = relationship()
    outbox: Mapped[OutboxMessage | None] = relationship()
