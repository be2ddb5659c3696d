"""Read side of messages to registrants: the forum's list, and a sent message's log (each delivery's fate is read
from its outbox message)."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from forum.announcements.models import Announcement, AnnouncementRecipient
from forum.db import db
from forum.notifications.models import MailStatus, OutboxMessage


def forum_announcements(forum_id: int) -> sa.Select:
    """Drafts first (they wait for someone), then the sent ones, newest first."""
    return (sa.select(Announcement).options(joinedload(Announcement.created_by), joinedload(Announcement.sent_by))
            .where(Announcement.forum_id == forum_id)
            .order_by(Announcement.sent_at.is_not(None), Announcement.sent_at.desc(), Announcement.id.desc()))


@dataclass(frozen=True)
class Deliveries:
    queued: int = 0  # waiting or being sent (also those retrying after an error)
    sent: int = 0
    failed: int = 0  # gave up after every attempt

    @property
    def total(self) -> int:
        return self.queued + self.sent + self.failed


def deliveries(announcement_id: int) -> Deliveries:
    counts = dict.fromkeys(MailStatus, 0)
    for status, n in db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count()).select_from(AnnouncementRecipient)
        .join(AnnouncementRecipient.outbox).where(AnnouncementRecipient.announcement_id == announcement_id)
        .group_by(OutboxMessage.status)
    ):
        counts[status] = n
    return Deliveries(queued=counts[MailStatus.QUEUED] + counts[MailStatus.SENDING], sent=counts[MailStatus.SENT],
                      failed=counts[MailStatus.FAILED])


def log(announcement_id: int, *, failed_only: bool = False) -> sa.Select:
    """The recipients with their latest delivery, by name."""
    stmt = (sa.select(AnnouncementRecipient).options(joinedload(AnnouncementRecipient.outbox))
            .where(AnnouncementRecipient.announcement_id == announcement_id))
    if failed_only:
        stmt = stmt.join(AnnouncementRecipient.outbox).where(OutboxMessage.status == MailStatus.FAILED)
    return stmt.order_by(AnnouncementRecipient.name, AnnouncementRecipient.id)


__all__ = ["forum_announcements", "Deliveries", "deliveries", "log"]
