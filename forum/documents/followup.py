"""Follow-up of the documents exchanged (issue 10, section 1): status and next review date, dated notes by the
organizers and the parties' contact persons, the documents whose review is due, and the weekly digest.

Dates here are calendar dates of the forum's time zone: "today" is the forum's today, so a document whose
review is on the 5th is due from midnight of the 5th in Astana, not from midnight in UTC.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from forum import clock
from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db
from forum.documents import access
from forum.documents.models import (Confidentiality, DigestSent, Document, DocumentParty, FollowUpNote,
                                    FollowUpStatus)
from forum.errors import InvalidInput, InvalidState, NotAllowed
from forum.forums.models import Forum
from forum.teams.models import TeamMember

NOTE_MAX = 2000
# A document in one of these states needs no more reviews: it never shows as due, whatever its date.
CLOSED = (FollowUpStatus.IMPLEMENTED, FollowUpStatus.CANCELLED)
# The weekly digest goes out from Monday at this hour, the forum's local time.
DIGEST_WEEKDAY, DIGEST_HOUR = 0, 8


def today_in(forum: Forum, now: datetime | None = None) -> date:
    """The forum's calendar date now."""
    return forum.local(now or clock.now()).date()


def parse_date(value, field: str) -> date | None:
    """A date from a form ('2026-11-24') or a date; '' and None are None; anything else is refused."""
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    raw = str(value).strip()
    if not raw:
        return None
    try:
        if len(raw) != 10 or not raw.isascii():
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(_("Enter a date as YYYY-MM-DD."), code="invalid_date", field=field) from None


def _status(value) -> FollowUpStatus:
    try:
        return value if isinstance(value, FollowUpStatus) else FollowUpStatus(str(value))
    except ValueError:
        raise InvalidInput(_("Choose a status from the list."), code="invalid_status", field="status") from None


def _not_withdrawn(doc: Document) -> None:
    if doc.is_withdrawn:
        raise InvalidState(_("This document was withdrawn; its follow-up can no longer change."), code="withdrawn")


def set_status(doc: Document, status, next_review_on, *, by: User) -> bool:
    """Set the follow-up status and the next review date (None: no review planned). The review date may not be
    before the signing date. Returns False (and records nothing) when nothing changed."""
    if not access.can_manage(by, doc.forum):
        raise NotAllowed(_("You do not have permission to do this for this forum."), code="forbidden")
    _not_withdrawn(doc)
    new_status = _status(status)
    review = parse_date(next_review_on, "next_review_on")
    if review is not None and review < doc.signed_on:
        raise InvalidInput(_("The next review cannot be before the document was signed (%(date)s).",
                             date=doc.signed_on.isoformat()), code="review_before_signing", field="next_review_on")
    before = {"status": doc.status.value, "next_review_on": _iso(doc.next_review_on)}
    after = {"status": new_status.value, "next_review_on": _iso(review)}
    if before == after:
        return False
    doc.status = new_status
    doc.next_review_on = review
    audit.record(subject_type="document", subject_id=doc.id, action="follow_up", actor=by, forum_id=doc.forum_id,
                 from_state=before["status"], to_state=after["status"], before=before, after=after)
    db.session.flush()
    return True


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def note_party(user, doc: Document) -> DocumentParty | None:
    """For whom `user` may write a note on `doc`: None for the documents team (they write as the organizers),
    the party for its contact person; NotAllowed for everyone else, and for a contact person when the document is
    confidential (parties never see those)."""
    if access.can_manage(user, doc.forum):
        return None
    party = access.contact_party(user, doc)
    if party is None or doc.confidentiality is Confidentiality.CONFIDENTIAL:
        raise NotAllowed(_("Only the organizers and the parties' contact persons can add notes to this document."),
                         code="not_allowed")
    return party


def add_note(doc: Document, noted_on, text: str, *, by: User) -> FollowUpNote:
    """A dated note on what happened next. The date is required and not after today in the forum's time zone (a
    note tells what happened, not what is planned: plans go in the next review date); the text is 1 to 2000
    characters, stored NFC."""
    party = note_party(by, doc)
    _not_withdrawn(doc)
    clean = unicodedata.normalize("NFC", text or "").strip()
    when = parse_date(noted_on, "noted_on")
    # Both fields are checked before anything is refused, in a fixed order: the date first.
    if when is None:
        raise InvalidInput(_("Enter the date the note is about."), code="date_required", field="noted_on")
    if when > today_in(doc.forum):
        raise InvalidInput(_("A note cannot be dated in the future (today is %(date)s).",
                             date=today_in(doc.forum).isoformat()), code="note_in_future", field="noted_on")
    if not clean:
        raise InvalidInput(_("Write the note."), code="note_empty", field="text")
    if len(clean) > NOTE_MAX:
        raise InvalidInput(_("A note can have at most %(max)d characters (this one has %(num)d).",
                             max=NOTE_MAX, num=len(clean)), code="note_too_long", field="text")
    note = FollowUpNote(document=doc, noted_on=when, text=clean, author_id=by.id, party=party)
    db.session.add(note)
    db.session.flush()
    audit.record(subject_type="document", subject_id=doc.id, action="note_added", actor=by, forum_id=doc.forum_id,
                 note_id=note.id, noted_on=when.isoformat(), party_id=party.id if party else None,
                 party=party.organisation if party else None)
    return note


def notes_of(doc: Document) -> list[FollowUpNote]:
    """Newest first: by the date it is about, then the order written."""
    return list(db.session.scalars(
        sa.select(FollowUpNote).options(selectinload(FollowUpNote.author), selectinload(FollowUpNote.party))
        .where(FollowUpNote.document_id == doc.id)
        .order_by(FollowUpNote.noted_on.desc(), FollowUpNote.id.desc())))


# --- Due for review --------------------------------------------------------------------------------------------

def due_condition(today: date) -> sa.ColumnElement[bool]:
    """The SQL condition of a document due for review on `today` (the forum's date): its review date has come,
    it is not withdrawn, and its status still needs reviews. The register's "review due" filter uses it too."""
    return sa.and_(Document.next_review_on.is_not(None), Document.next_review_on <= today,
                   Document.withdrawn_at.is_(None), Document.status.not_in(CLOSED))


def due(forum: Forum, today: date | None = None) -> list[Document]:
    """The forum's documents due for review on `today` (default: the forum's today), the longest waiting first."""
    today = today or today_in(forum)
    return list(db.session.scalars(
        sa.select(Document).options(selectinload(Document.titles), selectinload(Document.parties))
        .where(Document.forum_id == forum.id, due_condition(today))
        .order_by(Document.next_review_on, Document.number)))


def last_notes(docs: list[Document]) -> dict[int, FollowUpNote]:
    """Each document's newest note (by its date, then the order written), in one query."""
    if not docs:
        return {}
    ranked = (sa.select(FollowUpNote.id, sa.func.row_number().over(
        partition_by=FollowUpNote.document_id,
        order_by=(FollowUpNote.noted_on.desc(), FollowUpNote.id.desc())).label("rank"))
        .where(FollowUpNote.document_id.in_([d.id for d in docs])).subquery())
    notes = db.session.scalars(sa.select(FollowUpNote).options(selectinload(FollowUpNote.author))
                               .join(ranked, ranked.c.id == FollowUpNote.id).where(ranked.c.rank == 1))
    return {n.document_id: n for n in notes}


# --- The weekly digest -----------------------------------------------------------------------------------------

def digest_recipients(forum: Forum) -> list[User]:
    """The forum's active team members who hold the documents permission (manage includes it). Site
    administrators who are not on the team get no digest: they hold every permission everywhere, and a digest of
    every forum would be noise."""
    return list(db.session.scalars(
        sa.select(User).join(TeamMember, TeamMember.user_id == User.id)
        .where(TeamMember.forum_id == forum.id, User.active.is_(True),
               sa.or_(TeamMember.documents.is_(True), TeamMember.manage.is_(True)))
        .order_by(User.id)))


def iso_week(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def digest_week(forum: Forum, now: datetime) -> str | None:
    """The ISO week whose digest may go out at `now`: from Monday 08:00 in the forum's time zone on; None on Monday
    before eight (the week's digest is not due yet; last week's was sent last week, or is late and skipped)."""
    local = forum.local(now)
    if local.weekday() == DIGEST_WEEKDAY and local.hour < DIGEST_HOUR:
        return None
    return iso_week(local.date())


@dataclass(frozen=True)
class DigestResult:
    forums: int  # forums with documents due
    sent: int  # e-mails queued now
    skipped: int  # recipients who had this week's digest already


def send_weekly_digests(now: datetime | None = None) -> DigestResult:
    """Queue this week's review digest to each recipient of each forum with documents due, once per ISO week.

    Exactly once: the DigestSent row (unique per forum, user and week) is inserted first, in a savepoint; when
    another worker (or an earlier run) holds it, the insert fails and that recipient is skipped. The row and the
    e-mail are in the caller's transaction, so they are committed, or rolled back, together.
    """
    now = now or clock.now()
    # Which forums may have something due: a review date up to tomorrow in UTC covers every time zone's today.
    horizon = now.date() + timedelta(days=1)
    forum_ids = db.session.scalars(
        sa.select(Document.forum_id).where(due_condition(horizon)).distinct().order_by(Document.forum_id)).all()
    forums = sent = skipped = 0
    for forum in db.session.scalars(sa.select(Forum).where(Forum.id.in_(forum_ids)).order_by(Forum.id)):
        week = digest_week(forum, now)
        if week is None:
            continue
        today = today_in(forum, now)
        docs = due(forum, today)
        if not docs:
            continue
        forums += 1
        for user in digest_recipients(forum):
            if _claim(forum, user, week, now):
                _queue_digest(forum, user, docs, today)
                sent += 1
            else:
                skipped += 1
    return DigestResult(forums, sent, skipped)


def _claim(forum: Forum, user: User, week: str, now: datetime) -> bool:
    try:
        with db.session.begin_nested():
            db.session.add(DigestSent(forum_id=forum.id, user_id=user.id, week=week, sent_at=now))
    except IntegrityError:
        return False
    return True


def detail_endpoint() -> str:
    """The document's page for the documents team: the register's detail page when it exists, else the follow-up
    page of this module (the register's pages were built in parallel)."""
    rules = current_app.url_map._rules_by_endpoint
    for endpoint in ("documents.detail", "documents_record.detail"):
        # Only a page addressed like ours (slug and doc_id): anything else would fail to build, a 500.
        if any(set(rule.arguments) == {"slug", "doc_id"} for rule in rules.get(endpoint, ())):
            return endpoint
    return "documents_followup.page"


def _queue_digest(forum: Forum, user: User, docs: list[Document], today: date) -> None:
    from forum.notifications import services as mail
    from forum.urls import external_url

    endpoint = detail_endpoint()
    items = [(d, external_url(endpoint, slug=forum.slug, doc_id=d.id), (today - d.next_review_on).days)
             for d in docs]
    mail.queue("documents_digest", to=user.email, to_name=user.display_name, language=user.language or "en",
               forum_id=forum.id, forum=forum, user=user, items=items, count=len(docs),
               link=external_url("documents_followup.due", slug=forum.slug))
