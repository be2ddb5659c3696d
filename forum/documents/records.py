"""Recording a document (issue 10, section 1): create, update, withdraw.

The view builds a `DocumentInput` from the form (plain text as typed); `record_rules.clean` checks all of it at once
and either gives the values to store or raises `RecordError`, whose `codes`/`errors` name every problem by the
form's field name ("titles-0-title", "parties-1-principal_name") so each shows next to its field, and whose own
`code`/`field` are the first problem's (what the API and a test of one rule read). Nothing is written before
everything is valid: a refusal never half-saves.

A document is never deleted: `withdraw` keeps it, its number and its history, and it leaves the tally
(tally.counted). Exchanging at the ceremony belongs to the ceremony; here only "exchanged now" when the
organizer records it during or after the ceremony.
"""
from __future__ import annotations

import enum
import unicodedata
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from forum import clock
from forum.audit import services as audit
from forum.db import db
from forum.documents import ceremony, money, numbering
from forum.documents.models import Document, DocumentParty, DocumentTitle, document_meetings
from forum.documents.record_rules import (  # noqa: F401  (the service's vocabulary, used by views and tests)
    MAX_PARTIES, MAX_TITLES, MIN_PARTIES, REASON_MAX, SIDES, DocumentInput, PartyInput, RecordError, TitleInput,
    _Clean, clean, title_languages)
from forum.errors import InvalidInput, InvalidState
from forum.forums.models import Forum
from forum.meetings.models import Meeting
from forum.registration.states import lock_forum
from forum.search import search_key

# --- writing --------------------------------------------------------------------------------------

SCALARS = ("kind", "authoritative_language", "signed_on", "place", "ceremony", "sectors", "value_minor",
           "currency", "expected_jobs", "confidentiality", "counts_in_tally", "notes")
PARTY_FIELDS = ("company_id", "organisation", "country", "kind", "signatory_name", "signatory_position",
                "signatory_registration_id", "capacity", "principal_name", "principal_position", "poa_reference",
                "exchanged_by_name", "exchanged_by_position", "side")


def _json(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


def snapshot(doc: Document) -> dict[str, Any]:
    """What the audit log compares: every field an organizer edits, JSON-ready."""
    out = {name: _json(getattr(doc, name)) for name in SCALARS}
    out["titles"] = {t.language: t.title for t in doc.titles}
    out["parties"] = [{name: _json(getattr(party, name)) for name in PARTY_FIELDS} for party in doc.parties]
    out["meetings"] = meeting_ids_of(doc) if doc.id else []
    out["exchanged_at"] = doc.exchanged_at.isoformat() if doc.exchanged_at else None
    return out


def meeting_ids_of(doc: Document) -> list[int]:
    return sorted(db.session.scalars(sa.select(document_meetings.c.meeting_id)
                                     .where(document_meetings.c.document_id == doc.id)))


def _apply(doc: Document, c: _Clean) -> None:
    for name in SCALARS:
        setattr(doc, name, getattr(c, name))
    # Titles and parties are changed in place (by language, by position): rows keep their ids, so follow-up
    # notes written for a party stay with it.
    by_lang = {t.language: t for t in doc.titles}
    for lang, t in list(by_lang.items()):
        if lang not in c.titles:
            doc.titles.remove(t)
    for lang, title in c.titles.items():
        if lang in by_lang:
            by_lang[lang].title = title
        else:
            doc.titles.append(DocumentTitle(language=lang, title=title))
    for i, values in enumerate(c.parties):
        if i < len(doc.parties):
            party = doc.parties[i]
            for name, value in values.items():
                setattr(party, name, value)
        else:
            doc.parties.append(DocumentParty(position=i + 1, **values))
    for party in doc.parties[len(c.parties):]:
        doc.parties.remove(party)


def reindex(doc: Document) -> None:
    """The register's search: number, titles, organisations, signatories and their principals, in any script."""
    doc.search_key = search_key(
        doc.reference, *(t.title for t in doc.titles), *(pa.organisation for pa in doc.parties),
        *(pa.signatory_name for pa in doc.parties), *(pa.principal_name for pa in doc.parties))


def _link_meetings(doc: Document, ids: list[int]) -> None:
    db.session.execute(document_meetings.delete().where(document_meetings.c.document_id == doc.id))
    if ids:
        db.session.execute(document_meetings.insert(), [{"document_id": doc.id, "meeting_id": m} for m in ids])


def create(forum: Forum, data: DocumentInput, *, by) -> Document:
    """Record a new document: checks every rule, numbers it under the forum's lock, links its meetings, audits."""
    c = clean(forum, data)
    doc = Document(forum_id=forum.id, created_by_id=getattr(by, "id", None), titles=[], parties=[])
    _apply(doc, c)
    if data.exchanged_now:
        doc.exchanged_at = clock.now()
    numbering.assign(doc, forum)  # takes the forum's lock; flushes
    reindex(doc)
    _link_meetings(doc, c.meeting_ids)
    audit.record(subject_type="document", subject_id=doc.id, action="created", actor=by, forum_id=forum.id,
                 reference=doc.reference, after=snapshot(doc))
    return doc


def _editable(doc: Document) -> None:
    if doc.is_withdrawn:
        raise InvalidState(_("%(ref)s was withdrawn: it can no longer be changed.", ref=doc.reference),
                           code="withdrawn")


def update(doc: Document, data: DocumentInput, *, by) -> dict[str, list]:
    """Change a document's record (not its number). Returns {field: [before, after]} of what changed; an
    audit entry holds the same. A withdrawn document cannot be changed."""
    _editable(doc)
    c = clean(doc.forum, data)
    lock_forum(doc.forum_id)
    db.session.refresh(doc)
    _editable(doc)
    before = snapshot(doc)
    _apply(doc, c)
    reindex(doc)
    if data.exchanged_now and doc.exchanged_at is None:
        doc.exchanged_at = clock.now()
    db.session.flush()
    _link_meetings(doc, c.meeting_ids)
    after = snapshot(doc)
    changes = {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}
    if changes:
        audit.record(subject_type="document", subject_id=doc.id, action="updated", actor=by,
                     forum_id=doc.forum_id, reference=doc.reference,
                     before={k: v[0] for k, v in changes.items()}, after={k: v[1] for k, v in changes.items()})
    return changes


def withdraw(doc: Document, reason: str, *, by) -> None:
    """Withdraw with a reason: kept with its number, out of the tally, no longer editable. Never a delete."""
    text = unicodedata.normalize("NFC", reason or "").strip() if isinstance(reason, str) else ""
    if not text:
        raise InvalidInput(_("Say why it is withdrawn."), code="reason_required", field="reason")
    if len(text) > REASON_MAX:
        raise InvalidInput(_("At most %(n)d characters.", n=REASON_MAX), code="too_long", field="reason")
    lock_forum(doc.forum_id)
    db.session.refresh(doc)
    if doc.is_withdrawn:
        raise InvalidState(_("%(ref)s is already withdrawn.", ref=doc.reference), code="already_withdrawn")
    doc.withdrawn_at = clock.now()
    doc.withdrawn_reason = text
    doc.withdrawn_by_id = getattr(by, "id", None)
    db.session.flush()
    ceremony.withdrawn(doc)  # it leaves the ceremony's order of exchange, which closes up behind it
    audit.record(subject_type="document", subject_id=doc.id, action="withdrawn", actor=by, forum_id=doc.forum_id,
                 from_state="recorded", to_state="withdrawn", reason=text, reference=doc.reference)


def input_from(doc: Document) -> DocumentInput:
    """The form's starting values when editing."""
    return DocumentInput(
        titles=[TitleInput(t.language, t.title) for t in doc.titles],
        authoritative_language=doc.authoritative_language, kind=doc.kind.value, signed_on=doc.signed_on.isoformat(),
        place=doc.place, ceremony=doc.ceremony.value, sectors=list(doc.sectors or []),
        value=money.amount_text(doc.value_minor, doc.currency) if doc.value_minor is not None else "",
        currency=doc.currency or "",
        expected_jobs="" if doc.expected_jobs is None else str(doc.expected_jobs),
        confidentiality=doc.confidentiality.value, counts_in_tally=doc.counts_in_tally,
        parties=[PartyInput(
            organisation=p.organisation, company=p.company.public_id if p.company else "", country=p.country,
            kind=p.kind.value, signatory_name=p.signatory_name, signatory_position=p.signatory_position,
            signatory_registration=p.signatory_registration.public_id if p.signatory_registration else "",
            capacity=p.capacity.value, principal_name=p.principal_name, principal_position=p.principal_position,
            poa_reference=p.poa_reference, exchanged_by_name=p.exchanged_by_name,
            exchanged_by_position=p.exchanged_by_position, side=p.side) for p in doc.parties],
        meetings=list(db.session.scalars(
            sa.select(Meeting.public_id).join(document_meetings, document_meetings.c.meeting_id == Meeting.id)
            .where(document_meetings.c.document_id == doc.id))),
        notes=doc.notes,
    )
