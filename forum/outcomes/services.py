"""The rules of recording a meeting's outcome: who, when, what.

- Each side of a meeting (meeting.a or meeting.b) records its own outcome, as themselves (`by` is the side's
  own user: the B2B team reads outcomes but does not record them for a delegate).
- Only once the meeting's slot has started, and only for a meeting that took its place in the schedule: live
  (state SCHEDULED, held or not yet confirmed) or a no-show. Never for a cancelled meeting (it was moved or
  dropped: the new meeting, if any, is the one to record).
- A no-show (nobody confirmed it at the venue) can only be recorded as "did not take place": if the two did
  meet after all, the B2B team marks it held first (then any outcome can be recorded). That keeps the funnel
  honest: "cooperation likely" only ever counts for meetings that were held.
- Recording again updates the same row ((meeting, side) is unique in the database; two recordings at once
  end as one row: the loser of the insert updates the winner's).
- The next step: NFC, outer spaces trimmed, line breaks kept, other control characters refused, at most
  NEXT_STEP_MAX characters. Its date: from the meeting's day to NEXT_STEP_YEARS years later.
- The document: one of the same forum, not withdrawn and not confidential, where the delegate's company is a
  party (DocumentParty.company_id): "a meeting's outcome can be linked to a signed document".
- Every recording and change is audited (subject "meeting_outcome").
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from forum import clock
from forum import text as text_rules
from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db
from forum.documents.models import Confidentiality, Document, DocumentParty
from forum.errors import InvalidInput, InvalidState, NotAllowed
from forum.forums.models import Forum
from forum.meetings.models import Meeting, MeetingState
from forum.outcomes.models import NEXT_STEP_MAX, MeetingOutcome, OutcomeKind
from forum.registration.models import Registration

NEXT_STEP_YEARS = 3
RECORDABLE = (MeetingState.SCHEDULED, MeetingState.NO_SHOW)


def is_side(meeting: Meeting, reg: Registration | None) -> bool:
    return reg is not None and reg.id in (meeting.a_id, meeting.b_id)


def has_started(meeting: Meeting, now: datetime | None = None) -> bool:
    return (now or clock.now()) >= meeting.slot.starts_at


def can_record(meeting: Meeting, now: datetime | None = None) -> bool:
    """Whether the meeting takes outcomes now (whoever asks): started, and live or a no-show."""
    return meeting.state in RECORDABLE and has_started(meeting, now)


def allowed_kinds(meeting: Meeting) -> list[OutcomeKind]:
    return [OutcomeKind.NOT_HELD] if meeting.state is MeetingState.NO_SHOW else list(OutcomeKind)


def clean_next_step(value) -> str:
    """The next step as stored. Raises InvalidInput (field "next_step")."""
    return text_rules.clean_note(value, field="next_step", limit=NEXT_STEP_MAX, too_long_code="next_step_too_long")


def meeting_day(meeting: Meeting) -> date:
    """The meeting's date in the forum's time zone."""
    return db.session.get(Forum, meeting.forum_id).local(meeting.slot.starts_at).date()


def check_next_step_on(meeting: Meeting, value) -> date | None:
    if value is None:
        return None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInput(_("Enter a date."), code="date_invalid", field="next_step_on")
    first = meeting_day(meeting)
    if value < first:
        raise InvalidInput(_("The next step cannot be before the meeting."), code="date_before_meeting",
                           field="next_step_on")
    if value > first + timedelta(days=366 * NEXT_STEP_YEARS):
        raise InvalidInput(_("Choose a date within %(n)d years of the meeting.", n=NEXT_STEP_YEARS),
                           code="date_too_far", field="next_step_on")
    return value


def linkable_documents(meeting: Meeting, reg: Registration) -> list[Document]:
    """The documents `reg` may link to their outcome of `meeting`, newest first."""
    return list(db.session.scalars(_linkable(meeting.forum_id, reg.company_id)
                                   .order_by(Document.signed_on.desc(), Document.number.desc())))


def _linkable(forum_id: int, company_id: int) -> sa.Select:
    party = sa.exists().where(DocumentParty.document_id == Document.id, DocumentParty.company_id == company_id)
    return sa.select(Document).where(Document.forum_id == forum_id, Document.withdrawn_at.is_(None),
                                     Document.confidentiality != Confidentiality.CONFIDENTIAL, party)


def check_document(meeting: Meeting, reg: Registration, document: Document | None) -> Document | None:
    if document is None:
        return None
    ok = db.session.scalar(_linkable(meeting.forum_id, reg.company_id).where(Document.id == document.id)
                           .with_only_columns(Document.id))
    if ok is None:
        raise InvalidInput(_("Choose a document your company signed at this forum."), code="document_not_yours",
                           field="document")
    return document


def outcome_of(meeting: Meeting, reg: Registration) -> MeetingOutcome | None:
    return db.session.scalar(sa.select(MeetingOutcome).where(MeetingOutcome.meeting_id == meeting.id,
                                                             MeetingOutcome.registration_id == reg.id))


def record(meeting: Meeting, reg: Registration, *, kind: OutcomeKind, next_step: str = "",
           next_step_on: date | None = None, document: Document | None = None, by: User | None,
           now: datetime | None = None) -> MeetingOutcome:
    """`reg`'s side of `meeting` records (or changes) its outcome. Raises NotAllowed, InvalidState or
    InvalidInput (with the field) and changes nothing then."""
    now = now or clock.now()
    if not is_side(meeting, reg):
        raise NotAllowed(_("You can only record the outcome of your own meetings."), code="not_a_side")
    if by is None or not getattr(by, "is_authenticated", False) or reg.user_id != by.id:
        raise NotAllowed(_("Each side records its own outcome."), code="not_your_side")
    if meeting.state is MeetingState.CANCELLED:
        raise InvalidState(_("This meeting was cancelled."), code="cancelled")
    if meeting.state not in RECORDABLE:
        raise InvalidState(_("This meeting takes no outcome."), code="not_recordable")
    if not has_started(meeting, now):
        raise InvalidState(_("The outcome can be recorded once the meeting has started."), code="not_started")
    if not isinstance(kind, OutcomeKind):
        raise InvalidInput(_("Choose what the meeting led to."), code="kind_invalid", field="kind")
    if kind not in allowed_kinds(meeting):
        raise InvalidInput(_("Nobody confirmed this meeting at the venue: it can only be recorded as not held. "
                             "If it did take place, ask the B2B team to mark it held."),
                           code="no_show_not_held", field="kind")
    text = clean_next_step(next_step)
    on = check_next_step_on(meeting, next_step_on)
    doc = check_document(meeting, reg, document)

    found = _locked(meeting, reg)
    created = False
    if found is None:
        row = MeetingOutcome(forum_id=meeting.forum_id, meeting_id=meeting.id, registration_id=reg.id, kind=kind,
                             next_step=text, next_step_on=on, document_id=doc.id if doc else None,
                             recorded_at=now, updated_at=now, recorded_by_id=by.id)
        try:
            with db.session.begin_nested():
                db.session.add(row)
                db.session.flush()
            found, created = row, True
        except IntegrityError:
            # Recorded at the same moment by another request (a double tap, two tabs): that row is the one.
            found = _locked(meeting, reg)
            if found is None:
                raise
    before = None if created else found.kind.value
    if not created:
        found.kind, found.next_step, found.next_step_on = kind, text, on
        found.document_id = doc.id if doc else None
        found.updated_at, found.recorded_by_id = now, by.id
    audit.record(subject_type="meeting_outcome", subject_id=found.id, action="recorded" if created else "changed",
                 actor=by, forum_id=meeting.forum_id, from_state=before, to_state=kind.value,
                 meeting_id=meeting.id, registration_id=reg.id, next_step_on=on.isoformat() if on else None,
                 document_id=doc.id if doc else None)
    db.session.flush()
    return found


def _locked(meeting: Meeting, reg: Registration) -> MeetingOutcome | None:
    return db.session.scalar(
        sa.select(MeetingOutcome).where(MeetingOutcome.meeting_id == meeting.id,
                                        MeetingOutcome.registration_id == reg.id)
        .with_for_update().execution_options(populate_existing=True))
