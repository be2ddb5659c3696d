"""The register of documents exchanged at a forum (issue 10): MOUs, agreements and the like, their parties and
signatories (proxies included), scanned signed copies, the signing ceremony, and the follow-up.

A document is never deleted: it is withdrawn with a reason, keeps its register number and leaves the tally.
The rules live beside this module: `numbering.py` gives register numbers (no gaps, no duplicates, under the
register's row lock), `tally.py` says what counts, `access.py` who may see what.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum import clock
from forum.accounts.models import User
from forum.db import UTCDateTime, db, enum_column
from forum.forums.models import Forum
from forum.organisations.models import new_public_id
from forum.registration.models import CompanyRegistration, Registration


class DocKind(str, enum.Enum):
    MOU = "mou"
    AGREEMENT = "agreement"
    CONTRACT = "contract"
    LETTER_OF_INTENT = "letter_of_intent"
    JOINT_STATEMENT = "joint_statement"
    OTHER = "other"


class Ceremony(str, enum.Enum):
    """Where it was exchanged."""

    MAIN_STAGE = "main_stage"
    SIDELINES = "sidelines"
    B2B_TABLE = "b2b_table"


class Confidentiality(str, enum.Enum):
    PUBLIC = "public"
    VALUE_WITHHELD = "value_withheld"  # listed publicly, without its value
    CONFIDENTIAL = "confidential"  # counted (when it counts) but never listed publicly


class FollowUpStatus(str, enum.Enum):
    SIGNED = "signed"
    IN_PROGRESS = "in_progress"
    IMPLEMENTED = "implemented"
    STALLED = "stalled"
    CANCELLED = "cancelled"


class PartyKind(str, enum.Enum):
    GOVERNMENT = "government"
    STATE_COMPANY = "state_company"
    PRIVATE_COMPANY = "private_company"
    ASSOCIATION = "association"  # association or chamber of commerce
    UNIVERSITY = "university"
    INTERNATIONAL = "international"  # international organisation
    OTHER = "other"


class Capacity(str, enum.Enum):
    """In what capacity a signatory signed."""

    OWN = "own"  # on their own authority
    ON_BEHALF = "on_behalf"  # for a principal, under a power of attorney


class DocumentRegister(db.Model):
    """One forum's register: the prefix of its numbers (`CAJ-2024` gives `CAJ-2024-017`), the next number, the
    languages of the event (the run-sheet prints each document's title in these), and the ceremony's time."""

    __tablename__ = "document_registers"
    __table_args__ = (sa.CheckConstraint("next_number > 0", name="next_number_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(20))
    next_number: Mapped[int] = mapped_column(default=1, server_default="1")
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # the event's languages, in order
    ceremony_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ceremony_place: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")

    forum: Mapped[Forum] = relationship()


class Document(db.Model):
    __tablename__ = "documents"
    __table_args__ = (
        sa.UniqueConstraint("forum_id", "number", name="uq_documents_forum_number"),
        sa.UniqueConstraint("forum_id", "ceremony_position", name="uq_documents_forum_ceremony_position"),
        sa.CheckConstraint("number > 0", name="number_positive"),
        sa.CheckConstraint("value_minor IS NULL OR value_minor >= 0", name="value_not_negative"),
        sa.CheckConstraint("(value_minor IS NULL) = (currency IS NULL)", name="value_with_currency"),
        sa.CheckConstraint("expected_jobs IS NULL OR expected_jobs >= 0", name="jobs_not_negative"),
        sa.CheckConstraint("(withdrawn_at IS NULL) = (withdrawn_reason IS NULL)", name="withdrawn_with_reason"),
        sa.Index("ix_documents_forum_review", "forum_id", "next_review_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(36), unique=True, default=new_public_id)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()  # 17: the register number is f"{prefix}-{number:03d}"
    reference: Mapped[str] = mapped_column(sa.String(40))  # "CAJ-2024-017", as assigned (the prefix may change)
    kind: Mapped[DocKind] = mapped_column(enum_column(DocKind))
    # The language whose title (DocumentTitle) is the authoritative version.
    authoritative_language: Mapped[str] = mapped_column(sa.String(5))
    signed_on: Mapped[date] = mapped_column(sa.Date)  # the date in the forum's time zone
    place: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    ceremony: Mapped[Ceremony] = mapped_column(enum_column(Ceremony))
    sectors: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # registration.choices.SECTORS keys
    # The value in the currency's minor units (cents, tiyn; yen have none): exact, validated per currency.
    value_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    currency: Mapped[str | None] = mapped_column(sa.String(3))  # ISO 4217
    expected_jobs: Mapped[int | None] = mapped_column()
    confidentiality: Mapped[Confidentiality] = mapped_column(enum_column(Confidentiality),
                                                             default=Confidentiality.PUBLIC)
    counts_in_tally: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # The ceremony: its place in the order of exchange (None: not on the run-sheet) and when it was exchanged.
    ceremony_position: Mapped[int | None] = mapped_column()
    exchanged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Follow-up.
    status: Mapped[FollowUpStatus] = mapped_column(enum_column(FollowUpStatus), default=FollowUpStatus.SIGNED)
    next_review_on: Mapped[date | None] = mapped_column(sa.Date)
    # Withdrawal: never deleted; withdrawn documents leave the tally and keep their number.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_reason: Mapped[str | None] = mapped_column(sa.Text)
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")  # the organizers' own remarks
    # search.search_key of the number, titles, organisations and signatories.
    search_key: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)

    forum: Mapped[Forum] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])
    titles: Mapped[list["DocumentTitle"]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="DocumentTitle.id")
    parties: Mapped[list["DocumentParty"]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="DocumentParty.position")
    scans: Mapped[list["DocumentScan"]] = relationship(
        back_populates="document", order_by="DocumentScan.id")

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    def title_in(self, language: str | None = None) -> str:
        """The title in `language`, else the authoritative one, else any."""
        by_lang = {t.language: t.title for t in self.titles}
        return (by_lang.get(language or "") or by_lang.get(self.authoritative_language)
                or next(iter(by_lang.values()), ""))

    @property
    def title(self) -> str:
        return self.title_in(self.authoritative_language)

    @property
    def current_scan(self) -> "DocumentScan | None":
        return self.scans[-1] if self.scans else None

    def __repr__(self) -> str:
        return f"<Document {self.reference}>"


class DocumentTitle(db.Model):
    """The title in one language the document was signed in."""

    __tablename__ = "document_titles"
    __table_args__ = (sa.UniqueConstraint("document_id", "language", name="uq_document_titles_language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(sa.String(5))
    title: Mapped[str] = mapped_column(sa.String(500))

    document: Mapped[Document] = relationship(back_populates="titles")


class DocumentParty(db.Model):
    """One party and who signed for it.

    The organisation is a registered company of the forum (`company_id`) or free text (`organisation`, always
    filled: a company's name is copied in, so the register reads the same after the company changes). The
    signatory signed on their own authority or on behalf of a principal (then the principal's name, position
    and the power-of-attorney reference are required: a database check). `exchanged_by_*`: who exchanged it on
    stage when that is someone else. `side`: where they stand at the ceremony (left / right of the stage).
    """

    __tablename__ = "document_parties"
    __table_args__ = (
        sa.UniqueConstraint("document_id", "position", name="uq_document_parties_position"),
        sa.CheckConstraint(
            "capacity <> 'on_behalf' OR (principal_name <> '' AND principal_position <> '' AND poa_reference <> '')",
            name="proxy_has_principal"),
        sa.CheckConstraint("side IN ('left', 'right')", name="side_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()  # 1, 2, ...: the order the parties are named in
    company_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("company_registrations.id", ondelete="SET NULL"), index=True)
    organisation: Mapped[str] = mapped_column(sa.String(300))
    country: Mapped[str] = mapped_column(sa.String(2))
    kind: Mapped[PartyKind] = mapped_column(enum_column(PartyKind))
    signatory_name: Mapped[str] = mapped_column(sa.String(200))  # as written, any script
    signatory_position: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    signatory_registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registrations.id", ondelete="SET NULL"), index=True)
    capacity: Mapped[Capacity] = mapped_column(enum_column(Capacity, length=12), default=Capacity.OWN)
    principal_name: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    principal_position: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    poa_reference: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    exchanged_by_name: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    exchanged_by_position: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    side: Mapped[str] = mapped_column(sa.String(5), default="left", server_default="left")

    document: Mapped[Document] = relationship(back_populates="parties")
    company: Mapped[CompanyRegistration | None] = relationship()
    signatory_registration: Mapped[Registration | None] = relationship()

    @property
    def is_proxy(self) -> bool:
        return self.capacity is Capacity.ON_BEHALF


class DocumentScan(db.Model):
    """A scanned signed copy, stored outside the web root under a random name; its SHA-256 lets anyone check a
    copy later. A new upload adds a row (the last one is current); none is ever removed."""

    __tablename__ = "document_scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(36), unique=True, default=new_public_id)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    storage_name: Mapped[str] = mapped_column(sa.String(80), unique=True)  # random; no part of the upload's name
    filename: Mapped[str] = mapped_column(sa.String(255))  # what the uploader called it, shown only
    content_type: Mapped[str] = mapped_column(sa.String(50))  # as found in the content
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    document: Mapped[Document] = relationship(back_populates="scans")
    uploaded_by: Mapped[User | None] = relationship()


document_meetings = sa.Table(
    "document_meetings",
    db.metadata,
    sa.Column("document_id", sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("meeting_id", sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True),
)


class FollowUpNote(db.Model):
    """A dated note on what happened next, by an organizer or a party's contact person."""

    __tablename__ = "document_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    noted_on: Mapped[date] = mapped_column(sa.Date)  # the date the note is about, in the forum's time zone
    text: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The party the author wrote for, when a contact person wrote it (None: the organizers).
    party_id: Mapped[int | None] = mapped_column(sa.ForeignKey("document_parties.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    document: Mapped[Document] = relationship()
    author: Mapped[User | None] = relationship()
    party: Mapped[DocumentParty | None] = relationship()


class DigestSent(db.Model):
    """One weekly review digest sent to one organizer for one forum: the unique key makes two workers (or a
    restart) send it once."""

    __tablename__ = "document_digests"
    __table_args__ = (sa.UniqueConstraint("forum_id", "user_id", "week", name="uq_document_digests_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(sa.String(8))  # ISO week, "2026-W48"
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
