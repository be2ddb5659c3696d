"""B2B meetings (issue 9): company profiles, meeting requests, the meeting grid (sessions, slots, tables,
interpreters, who is unavailable when), scheduler runs and the published meetings.

Who takes part: approved delegates of companies that consented to the directory, minus those who opted out
(`MeetingPrefs.opted_out`). The rules live in the modules beside this one: `requests.py` owns a request's
states, `grid.py` the sessions and slots, `problem.py` turns the database into the scheduler's problem
format, `scheduling.py` keeps the runs, previews and publishes.
"""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum import clock
from forum.accounts.models import User
from forum.db import UTCDateTime, db, enum_column
from forum.forums.models import Forum
from forum.organisations.models import new_public_id
from forum.registration.models import CompanyRegistration, Registration


class SeekKind(str, enum.Enum):
    """What a company looks for at the forum, besides its free-text needs."""

    TECHNOLOGY = "technology"
    PARTNERS = "partners"
    INVESTMENT = "investment"
    DISTRIBUTION = "distribution"
    SUPPLIERS = "suppliers"
    CUSTOMERS = "customers"


class B2BSettings(db.Model):
    """A forum's B2B rules: until when requests may be answered, how many open requests a delegate may have,
    how many meetings a delegate has at most unless they set fewer."""

    __tablename__ = "b2b_settings"
    __table_args__ = (
        sa.CheckConstraint("open_request_quota > 0", name="quota_positive"),
        sa.CheckConstraint("default_max_meetings > 0", name="max_meetings_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), unique=True)
    enabled: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Pending requests not answered by then expire (requests.expire_due). None: the first session's start.
    request_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    open_request_quota: Mapped[int] = mapped_column(default=20, server_default="20")
    default_max_meetings: Mapped[int] = mapped_column(default=8, server_default="8")

    forum: Mapped[Forum] = relationship()


class B2BProfile(db.Model):
    """One company's B2B profile for one forum: what it offers and seeks, in whatever script it writes."""

    __tablename__ = "b2b_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(36), unique=True, default=new_public_id)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company_registrations.id", ondelete="CASCADE"),
                                            unique=True)
    offers: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    seeks: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    seek_kinds: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # SeekKind values
    sectors: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # registration.choices.SECTORS keys
    target_countries: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # ISO 3166 alpha-2
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # ISO 639-1, what its delegates speak
    # search.search_key of the company's names, offers and seeks: the directory searches it in any script.
    search_key: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    company: Mapped[CompanyRegistration] = relationship()
    forum: Mapped[Forum] = relationship()


class MeetingPrefs(db.Model):
    """One delegate's own B2B choices: out of B2B altogether, and at most how many meetings."""

    __tablename__ = "meeting_prefs"
    __table_args__ = (sa.CheckConstraint("max_meetings IS NULL OR max_meetings >= 0", name="max_meetings_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"), unique=True)
    opted_out: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    max_meetings: Mapped[int | None] = mapped_column()  # None: the forum's default

    registration: Mapped[Registration] = relationship()


class RequestState(str, enum.Enum):
    PENDING = "pending"  # waiting for the other side
    ACCEPTED = "accepted"  # both want it: the scheduler places it
    DECLINED = "declined"
    CANCELLED = "cancelled"  # by either side, or by the system when a side left the forum
    EXPIRED = "expired"  # not answered by the forum's deadline


OPEN_REQUEST_STATES = (RequestState.PENDING, RequestState.ACCEPTED)
_OPEN_SQL = "state IN ('pending', 'accepted')"


class Priority(str, enum.Enum):
    MUST = "must"  # must meet
    NICE = "nice"  # would like to meet


class MeetingRequest(db.Model):
    """One side asks another for a meeting: a delegate, or a company (any of its delegates: whoever accepts
    becomes the recipient). `requests.transition` is the only code that changes `state`."""

    __tablename__ = "meeting_requests"
    __table_args__ = (
        # One open request from a delegate to a company at a time (pending or accepted).
        sa.Index("uq_meeting_requests_open_pair", "requester_id", "target_company_id", unique=True,
                 sqlite_where=sa.text(_OPEN_SQL), postgresql_where=sa.text(_OPEN_SQL)),
        sa.Index("ix_meeting_requests_forum_state", "forum_id", "state"),
        sa.CheckConstraint("state <> 'accepted' OR recipient_id IS NOT NULL", name="accepted_has_recipient"),
        sa.CheckConstraint("requester_id <> recipient_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(36), unique=True, default=new_public_id)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"))
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    target_company_id: Mapped[int] = mapped_column(sa.ForeignKey("company_registrations.id", ondelete="CASCADE"),
                                                   index=True)
    # The delegate asked for; None while a request to a company waits for one of its delegates to accept.
    recipient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"),
                                                     index=True)
    message: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    priority: Mapped[Priority] = mapped_column(enum_column(Priority, length=10), default=Priority.NICE)
    # The recipient's own priority, given when accepting.
    response_priority: Mapped[Priority | None] = mapped_column(enum_column(Priority, length=10,
                                                                           name="response_priority"))
    state: Mapped[RequestState] = mapped_column(enum_column(RequestState, length=12), default=RequestState.PENDING)
    reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")  # why declined or cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    state_changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # Why the last published schedule left it out (solver.REASONS), None when it has a meeting or no schedule ran.
    unscheduled_reason: Mapped[str | None] = mapped_column(sa.String(20))

    forum: Mapped[Forum] = relationship()
    requester: Mapped[Registration] = relationship(foreign_keys=[requester_id])
    recipient: Mapped[Registration | None] = relationship(foreign_keys=[recipient_id])
    target_company: Mapped[CompanyRegistration] = relationship(foreign_keys=[target_company_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def weight(self) -> int:
        """What the meeting weighs for the scheduler: 3 when both must meet, 2 when one side must, else 1."""
        musts = (self.priority is Priority.MUST) + (self.response_priority is Priority.MUST)
        return 1 + musts

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_REQUEST_STATES

    def __repr__(self) -> str:
        return f"<MeetingRequest {self.id} {self.requester_id}->{self.recipient_id or 'c%s' % self.target_company_id} {self.state.value}>"


class MeetingSession(db.Model):
    """A block of B2B meetings (e.g. the morning of day 1), cut into slots by grid.generate_slots."""

    __tablename__ = "meeting_sessions"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("slot_minutes BETWEEN 5 AND 240", name="slot_minutes_range"),
        sa.CheckConstraint("gap_minutes BETWEEN 0 AND 120", name="gap_minutes_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    slot_minutes: Mapped[int] = mapped_column(default=20)
    gap_minutes: Mapped[int] = mapped_column(default=0, server_default="0")  # changeover between two slots
    # Breaks inside the session, forum-local "HH:MM-HH:MM" pairs (e.g. [["10:30", "11:00"]]): no slot overlaps one.
    breaks: Mapped[list[list[str]]] = mapped_column(sa.JSON, default=list)

    forum: Mapped[Forum] = relationship()
    slots: Mapped[list["MeetingSlot"]] = relationship(back_populates="session", order_by="MeetingSlot.starts_at",
                                                      cascade="all, delete-orphan", passive_deletes=True)


class MeetingSlot(db.Model):
    __tablename__ = "meeting_slots"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "starts_at", name="uq_meeting_slots_session_start"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.Index("ix_meeting_slots_forum_start", "forum_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting_sessions.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())

    session: Mapped[MeetingSession] = relationship(back_populates="slots")


table_slots = sa.Table(
    "meeting_table_slots", db.metadata,
    sa.Column("table_id", sa.ForeignKey("meeting_tables.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("slot_id", sa.ForeignKey("meeting_slots.id", ondelete="CASCADE"), primary_key=True),
)

interpreter_slots = sa.Table(
    "interpreter_slots", db.metadata,
    sa.Column("interpreter_id", sa.ForeignKey("interpreters.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("slot_id", sa.ForeignKey("meeting_slots.id", ondelete="CASCADE"), primary_key=True),
)


class MeetingTable(db.Model):
    """A numbered table; usable in every slot, or (all_slots False) only in the slots listed."""

    __tablename__ = "meeting_tables"
    __table_args__ = (
        sa.UniqueConstraint("forum_id", "number", name="uq_meeting_tables_forum_number"),
        sa.CheckConstraint("number > 0", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    label: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")  # "Hall B, by the window"
    all_slots: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    slots: Mapped[list[MeetingSlot]] = relationship(secondary=table_slots, order_by=MeetingSlot.starts_at)


class Interpreter(db.Model):
    """Someone who interprets B2B meetings: the languages they work in, and when they are there."""

    __tablename__ = "interpreters"

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # ISO 639-1, at least two
    all_slots: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    slots: Mapped[list[MeetingSlot]] = relationship(secondary=interpreter_slots, order_by=MeetingSlot.starts_at)


class Unavailability(db.Model):
    """A slot a delegate cannot meet in (their plenary speech, a ministry visit)."""

    __tablename__ = "meeting_unavailability"

    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting_slots.id", ondelete="CASCADE"), primary_key=True)
    note: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")


class RunStatus(str, enum.Enum):
    DRAFT = "draft"  # computed, previewable, not yet what delegates see
    PUBLISHED = "published"  # its meetings are the schedule
    SUPERSEDED = "superseded"  # a later run was published, or the grid changed under it


class ScheduleRun(db.Model):
    """One run of the scheduler, kept with its figures, its problem and its plan (solver formats)."""

    __tablename__ = "schedule_runs"
    __table_args__ = (sa.Index("ix_schedule_runs_forum_created", "forum_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"))
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus, length=12), default=RunStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    time_limit: Mapped[float] = mapped_column(sa.Float)
    objective: Mapped[int] = mapped_column()
    bound: Mapped[int] = mapped_column()
    solve_seconds: Mapped[float] = mapped_column(sa.Float)
    n_requests: Mapped[int] = mapped_column()
    n_scheduled: Mapped[int] = mapped_column()
    problem: Mapped[dict] = mapped_column(sa.JSON)
    plan: Mapped[dict] = mapped_column(sa.JSON)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def gap(self) -> float:
        """How far the objective may be from the best possible, as a fraction of the bound (0: proven optimal)."""
        return 0.0 if self.bound <= 0 else (self.bound - self.objective) / self.bound


class MeetingState(str, enum.Enum):
    SCHEDULED = "scheduled"  # live: it holds its slot, table and people (also once held: see Meeting.held_at)
    CANCELLED = "cancelled"  # dropped by a later publication, or its request was cancelled
    # Nobody confirmed it within attendance.NO_SHOW_AFTER of its start: its table and people are free again
    # (walk-ins may take them). attendance.py owns the rule.
    NO_SHOW = "no_show"


class HeldVia(str, enum.Enum):
    """How a meeting was confirmed as held at the venue."""

    SCAN = "scan"  # one side opened the other's badge (the contact scan)
    STAFF = "staff"  # a B2B team member marked it on the live board
    TABLE = "table"  # the table host confirmed it from the table sheet's QR code


class Meeting(db.Model):
    """A published meeting: one accepted request at one slot and table, with an interpreter when needed.

    Its two people are copied from the request (a, b) so that the database can refuse a double booking.
    """

    __tablename__ = "meetings"
    __table_args__ = (
        sa.Index("uq_meetings_request_live", "request_id", unique=True,
                 sqlite_where=sa.text("state = 'scheduled'"), postgresql_where=sa.text("state = 'scheduled'")),
        sa.Index("uq_meetings_slot_table_live", "slot_id", "table_id", unique=True,
                 sqlite_where=sa.text("state = 'scheduled'"), postgresql_where=sa.text("state = 'scheduled'")),
        sa.Index("uq_meetings_slot_interpreter_live", "slot_id", "interpreter_id", unique=True,
                 sqlite_where=sa.text("state = 'scheduled' AND interpreter_id IS NOT NULL"),
                 postgresql_where=sa.text("state = 'scheduled' AND interpreter_id IS NOT NULL")),
        sa.Index("uq_meetings_slot_a_live", "slot_id", "a_id", unique=True,
                 sqlite_where=sa.text("state = 'scheduled'"), postgresql_where=sa.text("state = 'scheduled'")),
        sa.Index("uq_meetings_slot_b_live", "slot_id", "b_id", unique=True,
                 sqlite_where=sa.text("state = 'scheduled'"), postgresql_where=sa.text("state = 'scheduled'")),
        sa.Index("ix_meetings_forum_state", "forum_id", "state"),
        sa.CheckConstraint("a_id <> b_id", name="two_people"),
        sa.CheckConstraint("(held_at IS NULL) = (held_via IS NULL)", name="held_how"),
        sa.CheckConstraint("state <> 'no_show' OR (no_show_at IS NOT NULL AND held_at IS NULL)", name="no_show_unheld"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(36), unique=True, default=new_public_id)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"))
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting_requests.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schedule_runs.id", ondelete="SET NULL"))
    a_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    b_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting_slots.id", ondelete="RESTRICT"))
    table_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting_tables.id", ondelete="RESTRICT"))
    interpreter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("interpreters.id", ondelete="RESTRICT"))
    state: Mapped[MeetingState] = mapped_column(enum_column(MeetingState, length=12), default=MeetingState.SCHEDULED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # At the venue (forum/attendance): when and how it was confirmed as held, and by whom; when it became a
    # no-show. A walk-in was booked at the venue (into a free table), not placed by a scheduler run.
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    held_via: Mapped[HeldVia | None] = mapped_column(enum_column(HeldVia, length=10))
    held_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    no_show_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    walk_in: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    booked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    request: Mapped[MeetingRequest] = relationship()
    a: Mapped[Registration] = relationship(foreign_keys=[a_id])
    b: Mapped[Registration] = relationship(foreign_keys=[b_id])
    slot: Mapped[MeetingSlot] = relationship()
    table: Mapped[MeetingTable] = relationship()
    interpreter: Mapped[Interpreter | None] = relationship()
    held_by: Mapped[User | None] = relationship(foreign_keys=[held_by_id])
