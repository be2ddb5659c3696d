from __future__ import annotations

import enum
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum import clock
from forum.db import UTCDateTime, db, enum_column


class ForumStatus(str, enum.Enum):
    DRAFT = "draft"  # only organizers see it
    PUBLISHED = "published"  # public; registration follows the opens/closes dates
    CLOSED = "closed"  # public; registration closed by the organizer, late entries possible
    HELD = "held"  # it took place
    CANCELLED = "cancelled"
    POSTPONED = "postponed"


class WaitlistMode(str, enum.Enum):
    """What happens when an approved place is given up (registration.waitlist)."""

    AUTO = "auto"  # the first waitlisted delegate is approved at once, and told
    ASK = "ask"  # the organizers are shown the free place and whom to promote; they decide


class Phase(str, enum.Enum):
    """What the public registration form does right now."""

    NOT_YET_OPEN = "not_yet_open"
    OPEN = "open"
    LATE = "late"  # closed, but a late entry can be requested
    UNAVAILABLE = "unavailable"  # draft, over, cancelled, postponed


class Forum(db.Model):
    __tablename__ = "forums"
    __table_args__ = (
        sa.CheckConstraint("ends_at >= starts_at", name="ends_after_start"),
        sa.CheckConstraint("registration_closes_at >= registration_opens_at", name="reg_closes_after_open"),
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("slug <> ''", name="slug_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    city: Mapped[str] = mapped_column(sa.String(100))
    venue: Mapped[str] = mapped_column(sa.String(200), default="")
    country: Mapped[str] = mapped_column(sa.String(2))
    timezone: Mapped[str] = mapped_column(sa.String(64))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    registration_opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    registration_closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column()
    status: Mapped[ForumStatus] = mapped_column(enum_column(ForumStatus), default=ForumStatus.DRAFT)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # The English texts are these columns (title, description, venue, practical_info, programme); the other
    # languages' are ForumText rows. forums.content picks the reader's with the stated fallback.
    practical_info: Mapped[str] = mapped_column(sa.Text, default="", server_default="")  # visa, transport, dress code
    programme: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # Set by the cancellation action (never by the edit form): shown on the public page and in the e-mail.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancellation_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # The reason in each language it was given in ({"ru": ..., "kk": ...}); cancellation_reason is the English
    # one or, without English, the first given. forums.content.pick chooses the reader's.
    cancellation_reasons: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)
    # What the status was when the forum was cancelled: reopening (forums.reopening) goes back to it.
    status_before_cancellation: Mapped[ForumStatus | None] = mapped_column(
        enum_column(ForumStatus, name="status_before_cancellation"))
    waitlist_mode: Mapped[WaitlistMode] = mapped_column(
        enum_column(WaitlistMode, length=10, name="waitlist_mode"), default=WaitlistMode.AUTO, server_default="auto")
    # The delegate categories the public form offers (registration.models.Category values). A privileged
    # one (speaker, press, VIP) chosen there is only a request, which an organizer confirms.
    public_categories: Mapped[list[str]] = mapped_column(
        sa.JSON, default=lambda: ["delegate"], server_default='["delegate"]')
    # Until when a contact person or a delegate may correct names, e-mail and languages themselves (the
    # badges are printed from them); after it only the forum's reviewers can. None: until the forum starts.
    badge_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Whether a contact person may send a colleague in a delegate's place (registration.substitution).
    allow_substitutions: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)

    # selectin: whatever loads forums (a page listing many, a join from registrations) loads their texts in one
    # more query, never one per forum. The check-in and API hot paths opt out (lazyload), needing no titles.
    texts: Mapped[list["ForumText"]] = relationship(cascade="all, delete-orphan", order_by="ForumText.language",
                                                   lazy="selectin")

    # What pages and e-mails show: the reader's language (the page's, or the recipient's under force_locale),
    # with the fallback of forums.content. Edit forms use the columns themselves.
    @property
    def shown_title(self) -> str:
        from forum.forums import content
        return content.text(self, "title")

    @property
    def shown_description(self) -> str:
        from forum.forums import content
        return content.text(self, "description")

    @property
    def shown_venue(self) -> str:
        from forum.forums import content
        return content.text(self, "venue")

    @property
    def shown_practical_info(self) -> str:
        from forum.forums import content
        return content.text(self, "practical_info")

    @property
    def shown_programme(self) -> str:
        from forum.forums import content
        return content.text(self, "programme")

    @property
    def shown_cancellation_reason(self) -> str:
        from forum.forums import content
        return content.pick({"en": self.cancellation_reason, **(self.cancellation_reasons or {})})

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.tz)

    @property
    def is_public(self) -> bool:
        return self.status is not ForumStatus.DRAFT

    @property
    def corrections_until(self) -> datetime:
        """The moment after which only the forum's reviewers may correct or substitute delegates."""
        return self.badge_deadline or self.starts_at

    def phase(self, now: datetime | None = None) -> Phase:
        now = now or clock.now()
        if self.status not in (ForumStatus.PUBLISHED, ForumStatus.CLOSED) or now >= self.ends_at:
            return Phase.UNAVAILABLE
        if self.status is ForumStatus.CLOSED or now >= self.registration_closes_at:
            return Phase.LATE
        if now < self.registration_opens_at:
            return Phase.NOT_YET_OPEN
        return Phase.OPEN

    def __repr__(self) -> str:
        return f"<Forum {self.slug}>"


# The languages a forum's texts may be written in besides English (the Forum columns).
TEXT_LANGUAGES: tuple[str, ...] = ("ja", "ru", "kk", "uz")
TEXT_FIELDS: tuple[str, ...] = ("title", "description", "venue", "practical_info", "programme")


class ForumText(db.Model):
    """A forum's texts in one language other than English; an empty field is not filled (the reader gets the
    fallback: forums.content)."""

    __tablename__ = "forum_texts"
    __table_args__ = (
        sa.UniqueConstraint("forum_id", "language", name="uq_forum_texts_forum_language"),
        sa.CheckConstraint("language IN ('ja', 'ru', 'kk', 'uz')", name="language_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(sa.String(5))
    title: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    venue: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    practical_info: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    programme: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)
