"""The signing ceremony (issue 10, section 2): the register's settings for it, the order of exchange, the tap
that marks a document exchanged (and its undo), and the run-sheet's content.

The order is `Document.ceremony_position`: 1..n, dense and unique per forum (a database constraint). Every
change of the order happens under the forum's row lock (registration.states.lock_forum, the lock order of the
whole app) and renumbers the forum's order from what is committed, so two organizers moving documents at the
same moment queue behind each other and the order never has a gap or a twin. A withdrawn document leaves the
order (`withdrawn`, and every renumbering drops one).

Marking a document exchanged is what makes it count in the public tally (tally.counted()). Two devices tapping
the same card at once: the second waits for the first's lock, then reads the committed state and is told
`already_exchanged`, so the time and the audit entry are recorded once.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from forum import clock
from forum.audit import services as audit
from forum.db import db, nfc
from forum.documents import labels, numbering
from forum.documents.models import Document, DocumentRegister
from forum.errors import DomainError, InvalidInput, InvalidState
from forum.forums.models import Forum
from forum.meetings.grid import local_to_utc, parse_local_datetime
from forum.registration.choices import SPOKEN_LANGUAGES, country_name, language_name
from forum.registration.states import lock_forum
from forum.urls import ascii_int

MAX_LANGUAGES = 6
PLACE_MAX = 200


class CeremonyErrors(InvalidInput):
    """Every field of the register's settings that is wrong: {field: (code, message)}; `code` and `field` are
    the first one's."""

    def __init__(self, errors: dict[str, tuple[str, str]]) -> None:
        field_, (code, message) = next(iter(errors.items()))
        super().__init__(message, code=code, field=field_)
        self.errors = errors

    @property
    def codes(self) -> set[str]:
        return {code for code, _m in self.errors.values()}

    def by_field(self) -> dict[str, str]:
        return {f: m for f, (_c, m) in self.errors.items()}


# --- the register's settings ---------------------------------------------------------------------------------

def _clean_languages(languages) -> list[str]:
    """The event's languages: 1 to 6 known ISO 639-1 codes, in the order given, each once."""
    if isinstance(languages, str):
        languages = languages.replace(";", ",").split(",")
    out: list[str] = []
    for raw in languages or ():
        code = (nfc(str(raw)) or "").lower()
        if not code:
            continue
        if code not in SPOKEN_LANGUAGES:
            raise InvalidInput(_("Choose the languages from the list."), code="unknown_language",
                               field="languages")
        if code not in out:
            out.append(code)
    if not out:
        raise InvalidInput(_("Choose at least one language of the event."), code="no_language", field="languages")
    if len(out) > MAX_LANGUAGES:
        raise InvalidInput(_("Choose at most %(max)d languages.", max=MAX_LANGUAGES), code="too_many_languages",
                           field="languages")
    return out


def _parse_ceremony_at(value, forum: Forum) -> datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    parsed = parse_local_datetime(value)
    if parsed is None:
        raise InvalidInput(_("Enter the time as YYYY-MM-DD HH:MM, or leave it empty."), code="invalid_time",
                           field="ceremony_at")
    try:
        return local_to_utc(parsed[0], parsed[1], forum.tz)
    except ValueError:
        raise InvalidInput(_("This time does not exist or happens twice on that day in %(zone)s: choose another.",
                             zone=forum.timezone), code="invalid_time", field="ceremony_at") from None


def _clean_place(value) -> str:
    text = "".join(c for c in (nfc(value or "") or "") if unicodedata.category(c) != "Cc" or c.isspace())
    place = " ".join(text.split())  # no NUL or other control character ever reaches the database
    if len(place) > PLACE_MAX:
        raise InvalidInput(_("At most %(max)d characters.", max=PLACE_MAX), code="place_too_long",
                           field="ceremony_place")
    return place


def update_register(forum: Forum, prefix, languages, ceremony_at, ceremony_place, by) -> DocumentRegister:
    """Save the register's prefix (for numbers given from now on), the event's languages (the run-sheet prints
    each title in these, in this order), and the ceremony's time (forum-local, as typed) and place.

    Every field is checked before anything changes; CeremonyErrors names each wrong one."""
    errors: dict[str, tuple[str, str]] = {}
    values = {}
    for name, check in (("prefix", lambda: numbering.clean_prefix(prefix)),
                        ("languages", lambda: _clean_languages(languages)),
                        ("ceremony_at", lambda: _parse_ceremony_at(ceremony_at, forum)),
                        ("ceremony_place", lambda: _clean_place(ceremony_place))):
        try:
            values[name] = check()
        except DomainError as e:
            errors[e.field or name] = (e.code, e.message)
    if errors:
        raise CeremonyErrors(errors)
    lock_forum(forum.id)
    reg = numbering.ensure_register(forum)
    before = {"prefix": reg.prefix, "languages": list(reg.languages or []),
              "ceremony_at": reg.ceremony_at.isoformat() if reg.ceremony_at else None,
              "ceremony_place": reg.ceremony_place}
    reg.prefix = values["prefix"]
    reg.languages = values["languages"]
    reg.ceremony_at = values["ceremony_at"]
    reg.ceremony_place = values["ceremony_place"]
    db.session.flush()
    after = {"prefix": reg.prefix, "languages": list(reg.languages),
             "ceremony_at": reg.ceremony_at.isoformat() if reg.ceremony_at else None,
             "ceremony_place": reg.ceremony_place}
    if after != before:
        audit.record(subject_type="document_register", subject_id=reg.id, action="register_changed", actor=by,
                     forum_id=forum.id, before=before, after=after)
    return reg


# --- the order of exchange -----------------------------------------------------------------------------------

def order(forum: Forum | int) -> list[Document]:
    """The documents on the run-sheet, in the order of exchange (titles and parties loaded)."""
    forum_id = forum if isinstance(forum, int) else forum.id
    return list(db.session.scalars(
        sa.select(Document).options(selectinload(Document.titles), selectinload(Document.parties))
        .where(Document.forum_id == forum_id, Document.ceremony_position.is_not(None),
               Document.withdrawn_at.is_(None))
        .order_by(Document.ceremony_position, Document.id)))


def not_in_order(forum: Forum) -> list[Document]:
    """The forum's documents that could be added to the ceremony (not withdrawn, not in it), by number."""
    return list(db.session.scalars(
        sa.select(Document).options(selectinload(Document.titles), selectinload(Document.parties))
        .where(Document.forum_id == forum.id, Document.ceremony_position.is_(None), Document.withdrawn_at.is_(None))
        .order_by(Document.number)))


def _locked(doc: Document) -> Document:
    """Take the forum's lock, then read the document as committed (what another device did meanwhile)."""
    lock_forum(doc.forum_id)
    return db.session.scalars(sa.select(Document).where(Document.id == doc.id).with_for_update()
                              .execution_options(populate_existing=True)).one()


def _committed_order(forum_id: int) -> list[Document]:
    """Under the lock: every document holding a position (withdrawn ones too, so they can be dropped)."""
    return list(db.session.scalars(
        sa.select(Document).where(Document.forum_id == forum_id, Document.ceremony_position.is_not(None))
        .order_by(Document.ceremony_position, Document.id).execution_options(populate_existing=True)))


def _renumber(forum_id: int, docs: list[Document]) -> None:
    """Give `docs` the positions 1..n in this order; every other document of the forum leaves the order.

    Two steps, because the unique constraint is checked row by row: first every changed row lets go of its
    position, then each takes its new one."""
    wanted = {d.id: i for i, d in enumerate(docs, start=1)}
    changed = [d for d in _committed_order(forum_id) if wanted.get(d.id) != d.ceremony_position]
    changed += [d for d in docs if d.ceremony_position is None and d not in changed]
    if not changed:
        return
    for d in changed:
        d.ceremony_position = None
    db.session.flush()
    for d in changed:
        d.ceremony_position = wanted.get(d.id)
    db.session.flush()


def _live_order(forum_id: int) -> list[Document]:
    return [d for d in _committed_order(forum_id) if d.withdrawn_at is None]


def _log(doc: Document, action: str, by, **details) -> None:
    audit.record(subject_type="document", subject_id=doc.id, action=action, actor=by, forum_id=doc.forum_id,
                 **details)


def add(doc: Document, by=None) -> int:
    """Put `doc` last in the order of exchange; returns its position."""
    doc = _locked(doc)
    if doc.withdrawn_at is not None:
        raise InvalidState(_("A withdrawn document cannot be exchanged."), code="withdrawn")
    if doc.ceremony_position is not None:
        raise InvalidState(_("This document is in the ceremony already."), code="already_in_ceremony")
    docs = _live_order(doc.forum_id) + [doc]
    _renumber(doc.forum_id, docs)
    _log(doc, "ceremony_added", by, position=doc.ceremony_position)
    return doc.ceremony_position


def remove(doc: Document, by=None) -> None:
    """Take `doc` out of the order of exchange; the documents after it move up."""
    doc = _locked(doc)
    if doc.ceremony_position is None:
        raise InvalidState(_("This document is not in the ceremony."), code="not_in_ceremony")
    was = doc.ceremony_position
    _renumber(doc.forum_id, [d for d in _live_order(doc.forum_id) if d.id != doc.id])
    _log(doc, "ceremony_removed", by, position=was)


def _position(value) -> int:
    """A place typed by a person: ASCII or full-width digits (a Japanese keyboard); anything else is 0."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return ascii_int(unicodedata.normalize("NFKC", str(value or "")).strip()) or 0


def move(doc: Document, to_position, by=None) -> int:
    """Move `doc` to `to_position` (1 = first) in the order; the others keep their order around it."""
    doc = _locked(doc)
    if doc.ceremony_position is None or doc.withdrawn_at is not None:
        raise InvalidState(_("This document is not in the ceremony."), code="not_in_ceremony")
    docs = [d for d in _live_order(doc.forum_id) if d.id != doc.id]
    target = _position(to_position)
    if not 1 <= target <= len(docs) + 1:
        raise InvalidInput(_("Choose a place from 1 to %(max)d.", max=len(docs) + 1), code="invalid_position",
                           field="position")
    was = doc.ceremony_position
    docs.insert(target - 1, doc)
    _renumber(doc.forum_id, docs)
    if was != doc.ceremony_position:
        _log(doc, "ceremony_moved", by, from_position=was, to_position=doc.ceremony_position)
    return doc.ceremony_position


def move_up(doc: Document, by=None) -> int:
    if doc.ceremony_position == 1:
        raise InvalidState(_("This document is exchanged first already."), code="already_first")
    return move(doc, (doc.ceremony_position or 0) - 1, by=by)


def move_down(doc: Document, by=None) -> int:
    doc = _locked(doc)
    if doc.ceremony_position is not None and doc.ceremony_position >= len(_live_order(doc.forum_id)):
        raise InvalidState(_("This document is exchanged last already."), code="already_last")
    return move(doc, (doc.ceremony_position or 0) + 1, by=by)


def withdrawn(doc: Document) -> None:
    """A withdrawn document leaves the order (call it from the withdrawal, in the same transaction)."""
    if doc.ceremony_position is None:
        return
    lock_forum(doc.forum_id)
    _renumber(doc.forum_id, [d for d in _live_order(doc.forum_id) if d.id != doc.id])


# --- the tap ---------------------------------------------------------------------------------------------------

def mark_exchanged(doc: Document, by, now: datetime | None = None) -> Document:
    """The tap on the live view: `doc` was exchanged on stage now; from this moment it counts in the tally."""
    doc = _locked(doc)
    if doc.withdrawn_at is not None:
        raise InvalidState(_("A withdrawn document cannot be exchanged."), code="withdrawn")
    if doc.exchanged_at is not None:
        raise InvalidState(_("%(ref)s is marked exchanged already.", ref=doc.reference), code="already_exchanged")
    doc.exchanged_at = now or clock.now()
    db.session.flush()
    _log(doc, "exchanged", by, from_state="not_exchanged", to_state="exchanged",
         exchanged_at=doc.exchanged_at.isoformat())
    return doc


def undo_exchanged(doc: Document, by) -> Document:
    """A tap by mistake: `doc` was not exchanged after all (and leaves the tally)."""
    doc = _locked(doc)
    if doc.exchanged_at is None:
        raise InvalidState(_("%(ref)s is not marked exchanged.", ref=doc.reference), code="not_exchanged")
    was = doc.exchanged_at
    doc.exchanged_at = None
    db.session.flush()
    _log(doc, "exchange_undone", by, from_state="exchanged", to_state="not_exchanged",
         exchanged_at=was.isoformat())
    return doc


@dataclass(frozen=True)
class Progress:
    exchanged: int  # of the documents in the order
    total: int


def progress(forum: Forum) -> Progress:
    """How far the ceremony is: the documents in the order, and how many of them are exchanged."""
    in_order = sa.and_(Document.forum_id == forum.id, Document.ceremony_position.is_not(None),
                       Document.withdrawn_at.is_(None))
    total, done = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(Document.exchanged_at)).where(in_order)).one()
    return Progress(exchanged=done or 0, total=total or 0)


# --- the run-sheet's content ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunSheetParty:
    organisation: str
    country: str  # the country's name in the reader's language
    announcement: str  # "Name, Position, on behalf of Principal"
    exchanged_by: str  # who exchanges it on stage when someone else; "" otherwise
    side: str  # "left" / "right"
    side_label: str


@dataclass(frozen=True)
class RunSheetItem:
    position: int
    reference: str
    kind: str
    titles: list[tuple[str, str]]  # (language name, title) in the event's languages; missing ones skipped
    parties: list[RunSheetParty] = field(default_factory=list)
    exchanged: bool = False


def side_label(side: str) -> str:
    return _("Right") if side == "right" else _("Left")


def event_languages(forum: Forum) -> list[str]:
    reg = numbering.register_of(forum)
    return list(reg.languages) if reg is not None and reg.languages else []


def run_sheet_items(forum: Forum) -> list[RunSheetItem]:
    """Each document in the order of exchange, as the master of ceremonies reads it (labels translated)."""
    languages = event_languages(forum)
    items = []
    for doc in order(forum):
        by_lang = {t.language: t.title for t in doc.titles}
        titles = [(language_name(code), by_lang[code]) for code in languages if by_lang.get(code)]
        if not titles:  # none in the event's languages: the authoritative one, so the card is never blank
            titles = [(language_name(doc.authoritative_language), doc.title)]
        parties = [RunSheetParty(
            organisation=p.organisation, country=country_name(p.country), announcement=labels.announcement(p),
            exchanged_by=", ".join(s for s in (p.exchanged_by_name.strip(), p.exchanged_by_position.strip()) if s)
            if p.exchanged_by_name.strip() else "",
            side=p.side, side_label=side_label(p.side)) for p in doc.parties]
        items.append(RunSheetItem(position=doc.ceremony_position, reference=doc.reference,
                                  kind=labels.kind_label(doc.kind), titles=titles, parties=parties,
                                  exchanged=doc.exchanged_at is not None))
    return items
