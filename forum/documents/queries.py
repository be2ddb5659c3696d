"""Read-side queries for the organizer's register: the list's filters, its counts, the detail page's history.

Filters come from the query string; a value that names nothing (an unknown type, a country that is no ISO code,
a pair of one country) filters nothing rather than crash or silently match nothing, as in review.queries.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from forum import clock
from forum.audit.models import AuditEntry
from forum.db import db
from forum.documents import tally
from forum.documents.followup import due_condition
from forum.documents.models import (Ceremony, Confidentiality, DocKind, Document, DocumentParty, DocumentScan,
                                    FollowUpNote, FollowUpStatus)
from forum.forums.models import Forum
from forum.registration import choices
from forum.search import matches_all_words

INCLUDE = "include"  # `withdrawn` filter: withdrawn documents listed with the others
ONLY = "only"  # ...: only the withdrawn ones
DUE = "due"  # `review` filter: the next review date is today or past (the forum's today) and not withdrawn

# The audit subject types of what hangs under a document: its history shows their entries too.
SCAN_SUBJECT = "document_scan"
NOTE_SUBJECT = "document_note"


def _country(code: str) -> str:
    code = code.strip().upper()
    return code if code in choices.COUNTRY_CODES else ""


@dataclass
class Filters:
    q: str = ""
    kind: str = ""  # a DocKind value
    country: str = ""  # ISO 3166 alpha-2: any party's country
    pair: str = ""  # "JP-KZ": both countries among the parties, in either order
    sector: str = ""  # a registration.choices.SECTORS key
    status: str = ""  # a FollowUpStatus value
    review: str = ""  # DUE
    ceremony: str = ""  # a Ceremony value
    confidentiality: str = ""  # a Confidentiality value
    withdrawn: str = ""  # "" (hidden), INCLUDE, ONLY

    @classmethod
    def from_args(cls, args) -> "Filters":
        f = cls(**{k: (args.get(k) or "").strip() for k in cls.__dataclass_fields__})
        if f.kind not in {k.value for k in DocKind}:
            f.kind = ""
        f.country = _country(f.country)
        f.pair = cls._clean_pair(f.pair)
        if f.sector not in choices.SECTORS:
            f.sector = ""
        if f.status not in {s.value for s in FollowUpStatus}:
            f.status = ""
        if f.review != DUE:
            f.review = ""
        if f.ceremony not in {c.value for c in Ceremony}:
            f.ceremony = ""
        if f.confidentiality not in {c.value for c in Confidentiality}:
            f.confidentiality = ""
        if f.withdrawn not in (INCLUDE, ONLY):
            f.withdrawn = ""
        f.q = f.q[:200]
        return f

    @staticmethod
    def _clean_pair(text: str) -> str:
        """'kz-jp', 'KZ/JP', 'JP KZ' -> 'JP-KZ' (sorted, as tally.summary names a pair); '' when not two
        different known countries."""
        parts = [p for p in text.replace("/", "-").replace(",", "-").replace(" ", "-").split("-") if p]
        codes = sorted({_country(p) for p in parts} - {""}) if len(parts) == 2 else []
        return "-".join(codes) if len(codes) == 2 else ""

    @property
    def pair_countries(self) -> tuple[str, str] | None:
        return tuple(self.pair.split("-")) if self.pair else None  # type: ignore[return-value]

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}

    def describe(self) -> list[tuple[str, str]]:
        """The active filter in words, (what, value), in the reader's language."""
        from forum.documents import labels

        parts = []
        if self.q:
            parts.append((_("Search"), self.q))
        if self.kind:
            parts.append((_("Type"), labels.kind_label(DocKind(self.kind))))
        if self.country:
            parts.append((_("Country"), choices.country_name(self.country)))
        if self.pair:
            a, b = self.pair.split("-")
            parts.append((_("Country pair"), f"{choices.country_name(a)} – {choices.country_name(b)}"))
        if self.sector:
            parts.append((_("Sector"), str(choices.SECTORS[self.sector])))
        if self.status:
            parts.append((_("Follow-up"), labels.status_label(FollowUpStatus(self.status))))
        if self.review:
            parts.append((_("Review"), _("Due")))
        if self.ceremony:
            parts.append((_("Ceremony"), labels.ceremony_label(Ceremony(self.ceremony))))
        if self.confidentiality:
            parts.append((_("Confidentiality"), labels.confidentiality_label(Confidentiality(self.confidentiality))))
        if self.withdrawn:
            parts.append((_("Withdrawn"), _("Included") if self.withdrawn == INCLUDE else _("Only withdrawn")))
        return parts


def forum_today(forum: Forum) -> date:
    """Today's date on the forum's wall clock (review dates are forum-local dates)."""
    return forum.local(clock.now()).date()


def _has_party_from(country: str) -> sa.ColumnElement[bool]:
    return sa.exists().where(DocumentParty.document_id == Document.id, DocumentParty.country == country)


def _has_sector(sector: str) -> sa.ColumnElement[bool]:
    # Sectors are a JSON list of known keys ("energy"); its text holds each key in double quotes on SQLite and
    # PostgreSQL alike. The key is a validated SECTORS key; '_' is escaped all the same.
    escaped = sector.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sa.cast(Document.sectors, sa.Text).like(f'%"{escaped}"%', escape="\\")


def review_due(forum: Forum) -> sa.ColumnElement[bool]:
    """The follow-up's rule of a document due for review (followup.due_condition), on the forum's today: the same
    documents as the Review due page and the weekly digest."""
    return due_condition(forum_today(forum))


def conditions(forum: Forum, f: Filters) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = [Document.forum_id == forum.id]
    if f.withdrawn == ONLY:
        where.append(Document.withdrawn_at.is_not(None))
    elif f.withdrawn != INCLUDE:
        where.append(Document.withdrawn_at.is_(None))
    if f.q:
        where.append(matches_all_words(Document.search_key, f.q))
    if f.kind:
        where.append(Document.kind == DocKind(f.kind))
    if f.country:
        where.append(_has_party_from(f.country))
    if f.pair:
        a, b = f.pair.split("-")
        where += [_has_party_from(a), _has_party_from(b)]
    if f.sector:
        where.append(_has_sector(f.sector))
    if f.status:
        where.append(Document.status == FollowUpStatus(f.status))
    if f.review == DUE:
        where.append(review_due(forum))
    if f.ceremony:
        where.append(Document.ceremony == Ceremony(f.ceremony))
    if f.confidentiality:
        where.append(Document.confidentiality == Confidentiality(f.confidentiality))
    return where


def documents(forum: Forum, f: Filters) -> sa.Select:
    """The forum's documents the filter matches, in register order, titles and parties loaded with them
    (two more statements whatever the number of rows)."""
    return (sa.select(Document).where(*conditions(forum, f))
            .options(selectinload(Document.titles), selectinload(Document.parties))
            .order_by(Document.number))


@dataclass(frozen=True)
class Totals:
    matching: int  # documents the filter matches
    counted: int  # ...of which count in the public tally
    review_due: int  # the forum's documents whose review is due (whatever the filter)


def totals(forum: Forum, f: Filters) -> Totals:
    """The list's figures, in one statement."""
    matching, counted = db.session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(tally.counted())).where(*conditions(forum, f))).one()
    due = db.session.scalar(sa.select(sa.func.count()).where(Document.forum_id == forum.id, review_due(forum)))
    return Totals(matching, counted, due)


def document_ids(forum: Forum, f: Filters) -> list[int]:
    return list(db.session.scalars(sa.select(Document.id).where(*conditions(forum, f)).order_by(Document.number)))


def load(ids: list[int]) -> list[Document]:
    """These documents with everything an export row needs, in the order of `ids`."""
    if not ids:
        return []
    docs = {d.id: d for d in db.session.scalars(
        sa.select(Document).where(Document.id.in_(ids))
        .options(selectinload(Document.titles), selectinload(Document.parties)))}
    return [docs[i] for i in ids if i in docs]


def forum_document_or_404(forum: Forum, doc_id: int) -> Document:
    """The forum's document `doc_id` with what its page shows; 404 for another forum's id."""
    doc = db.session.scalar(
        sa.select(Document).where(Document.id == doc_id, Document.forum_id == forum.id)
        .options(selectinload(Document.titles),
                 selectinload(Document.parties).selectinload(DocumentParty.company),
                 selectinload(Document.parties).selectinload(DocumentParty.signatory_registration),
                 selectinload(Document.scans), selectinload(Document.created_by), selectinload(Document.withdrawn_by)))
    if doc is None:
        from flask import abort

        abort(404)
    return doc


def meetings_of(doc: Document) -> list:
    """The B2B meetings the document came from, in time order."""
    from forum.documents.models import document_meetings
    from forum.meetings.models import Meeting
    from forum.registration.models import Registration

    return list(db.session.scalars(
        sa.select(Meeting).join(document_meetings, document_meetings.c.meeting_id == Meeting.id)
        .options(selectinload(Meeting.slot), selectinload(Meeting.table),
                 selectinload(Meeting.a).selectinload(Registration.company),
                 selectinload(Meeting.b).selectinload(Registration.company))
        .where(document_meetings.c.document_id == doc.id).order_by(Meeting.id)))


def history(doc: Document) -> list[AuditEntry]:
    """Every audit entry of the document and of its scans and follow-up notes, oldest first, with who."""
    from sqlalchemy.orm import joinedload

    scan_ids = sa.select(DocumentScan.id).where(DocumentScan.document_id == doc.id).scalar_subquery()
    note_ids = sa.select(FollowUpNote.id).where(FollowUpNote.document_id == doc.id).scalar_subquery()
    return list(db.session.scalars(
        sa.select(AuditEntry).options(joinedload(AuditEntry.actor))
        .where(sa.or_(
            sa.and_(AuditEntry.subject_type == "document", AuditEntry.subject_id == doc.id),
            sa.and_(AuditEntry.subject_type == SCAN_SUBJECT, AuditEntry.subject_id.in_(scan_ids)),
            sa.and_(AuditEntry.subject_type == NOTE_SUBJECT, AuditEntry.subject_id.in_(note_ids))))
        .order_by(AuditEntry.at, AuditEntry.id)))


def why_not_counted(doc: Document) -> list[str]:
    """Why the document is not in the public tally (tally.counts' conditions, in words); empty when it counts."""
    reasons = []
    if doc.withdrawn_at is not None:
        reasons.append(_("it is withdrawn"))
    if doc.exchanged_at is None:
        reasons.append(_("it has not been exchanged yet"))
    if not doc.counts_in_tally:
        reasons.append(_("the organizers marked it not to count"))
    return reasons
