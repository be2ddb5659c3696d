from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum import clock
from forum.accounts.models import User
from forum.db import UTCDateTime, db, enum_column
from forum.forums.models import Forum
from forum.organisations.models import Organisation, new_public_id


class RegState(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"  # the forum was cancelled


# A delegate e-mail may be registered once per forum among these; a rejected, withdrawn or
# cancelled one may register again.
ACTIVE_STATES = (RegState.PENDING, RegState.APPROVED, RegState.WAITLISTED)
_ACTIVE_SQL = "state IN ('pending', 'approved', 'waitlisted')"


class Category(str, enum.Enum):
    DELEGATE = "delegate"
    SPEAKER = "speaker"
    PRESS = "press"
    VIP = "vip"


# Categories that carry privileges: on the public form they are requests an organizer confirms.
PRIVILEGED_CATEGORIES = frozenset({Category.SPEAKER, Category.PRESS, Category.VIP})


class Source(str, enum.Enum):
    ONLINE = "online"  # the public form while registration was open
    LATE_REQUEST = "late_request"  # the public form after the deadline
    INVITATION = "invitation"  # an organizer's late-entry invitation link
    MANUAL = "manual"  # entered by an organizer


class CompanyRegistration(db.Model):
    """One organisation's registration for one forum: the company data as given for this forum, its
    contact person, its delegates. The organisation itself (organisations.models.Organisation) outlives it."""

    __tablename__ = "company_registrations"
    __table_args__ = (
        sa.UniqueConstraint("id", "forum_id", name="uq_company_registrations_id_forum"),
        sa.CheckConstraint("contact_email = lower(contact_email)", name="contact_email_lower"),
        # The hourly caps on the public form count by these (registration.abuse).
        sa.Index("ix_company_registrations_contact_email_created_at", "contact_email", "created_at"),
        sa.Index("ix_company_registrations_submitted_from_created_at", "submitted_from", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What URLs a contact person or the public sees carry; the integer id stays on organizer pages.
    public_id: Mapped[str] = mapped_column(sa.String(36), unique=True, default=new_public_id)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    legal_name: Mapped[str] = mapped_column(sa.String(300))
    name_en: Mapped[str] = mapped_column(sa.String(300))
    country: Mapped[str] = mapped_column(sa.String(2), index=True)
    city: Mapped[str] = mapped_column(sa.String(120))
    sector: Mapped[str] = mapped_column(sa.String(40), index=True)
    website: Mapped[str] = mapped_column(sa.String(300), default="")
    profile: Mapped[str] = mapped_column(sa.Text, default="")
    contact_name: Mapped[str] = mapped_column(sa.String(200))
    contact_email: Mapped[str] = mapped_column(sa.String(254))
    contact_phone: Mapped[str] = mapped_column(sa.String(32), default="")
    contact_position: Mapped[str] = mapped_column(sa.String(200), default="")
    contact_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The language the contact person filled in the form in: their e-mails come in it.
    contact_language: Mapped[str] = mapped_column(sa.String(5), default="en", server_default="en")
    directory_consent: Mapped[bool] = mapped_column(default=False)
    privacy_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[Source] = mapped_column(enum_column(Source), default=Source.ONLINE)
    is_late: Mapped[bool] = mapped_column(default=False)
    late_reason: Mapped[str] = mapped_column(sa.Text, default="")
    endorsed_by: Mapped[str] = mapped_column(sa.String(300), default="")
    invitation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("late_invitations.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    search_key: Mapped[str] = mapped_column(sa.Text, default="")
    # The network address the public form was sent from (none for organizers' entries): the hourly
    # cap per address counts by it.
    submitted_from: Mapped[str | None] = mapped_column(sa.String(45))

    forum: Mapped[Forum] = relationship()
    organisation: Mapped[Organisation] = relationship()
    contact_user: Mapped[User | None] = relationship(foreign_keys=[contact_user_id])
    delegates: Mapped[list["Registration"]] = relationship(
        back_populates="company", order_by="Registration.id", overlaps="forum"
    )

    @property
    def reference(self) -> str:
        """What the contact person is shown to quote: the start of the public id (never the integer id)."""
        return self.public_id[:8].upper()


class Registration(db.Model):
    """One delegate at one forum, with its own state."""

    __tablename__ = "registrations"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["company_id", "forum_id"], ["company_registrations.id", "company_registrations.forum_id"], ondelete="CASCADE",
            name="fk_registrations_company_forum",
        ),
        sa.Index(
            "uq_registrations_forum_email_active", "forum_id", "email", unique=True,
            sqlite_where=sa.text(_ACTIVE_SQL), postgresql_where=sa.text(_ACTIVE_SQL),
        ),
        sa.Index("ix_registrations_forum_state", "forum_id", "state"),
        sa.CheckConstraint("email = lower(email)", name="email_lower"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(36), unique=True, default=new_public_id)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"))
    company_id: Mapped[int] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))  # as written natively
    latin_name: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[str] = mapped_column(sa.String(200), default="")
    email: Mapped[str] = mapped_column(sa.String(254))
    phone: Mapped[str] = mapped_column(sa.String(32), default="")
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # The language this delegate's e-mails are written in (chosen per delegate on the form).
    language: Mapped[str] = mapped_column(sa.String(5), default="en", server_default="en")
    category: Mapped[Category] = mapped_column(enum_column(Category), default=Category.DELEGATE)
    # A privileged category asked for on the public form; `category` stays delegate until an organizer
    # confirms it (review.services.confirm_category).
    requested_category: Mapped[Category | None] = mapped_column(enum_column(Category, name="requested_category"))
    state: Mapped[RegState] = mapped_column(enum_column(RegState), default=RegState.PENDING)
    is_late: Mapped[bool] = mapped_column(default=False)
    is_invited: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # Set only by the forum's cancellation (forums.cancellation): the state this registration had then,
    # which reopening the forum restores. A registration cancelled any other way has none.
    state_before_cancellation: Mapped[RegState | None] = mapped_column(
        enum_column(RegState, name="state_before_cancellation"))
    # When the owner of the e-mail address withdrew it with the "this wasn't me" link.
    disputed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    search_key: Mapped[str] = mapped_column(sa.Text, default="")
    # Set when the delegate's data was corrected (or the delegate substituted) while approved; cleared when a
    # reviewer acknowledges it (registration.corrections). The review list shows and filters by it.
    changed_since_approval_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The registration that took this one's place (withdrawn by substitution: registration.substitution).
    substituted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registrations.id", ondelete="SET NULL"), index=True)

    forum: Mapped[Forum] = relationship(overlaps="delegates")
    company: Mapped[CompanyRegistration] = relationship(back_populates="delegates", overlaps="forum")
    user: Mapped[User | None] = relationship()
    # The two ends of a substitution: who took this one's place, and whose place this one took.
    substituted_by: Mapped["Registration | None"] = relationship(
        remote_side=[id], foreign_keys=[substituted_by_id], back_populates="substitute_for")
    substitute_for: Mapped["Registration | None"] = relationship(
        foreign_keys=[substituted_by_id], back_populates="substituted_by", uselist=False)

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.email} {self.state.value}>"


class LateInvitation(db.Model):
    """A single-use link that opens the registration form after the deadline."""

    __tablename__ = "late_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(36), unique=True, default=new_public_id)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)  # sha256 of the secret in the link
    company_name: Mapped[str] = mapped_column(sa.String(300))
    email: Mapped[str] = mapped_column(sa.String(254))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    auto_approve: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    forum: Mapped[Forum] = relationship()
    created_by: Mapped[User | None] = relationship()

    def is_usable(self, now: datetime | None = None) -> bool:
        return self.used_at is None and (now or clock.now()) < self.expires_at
