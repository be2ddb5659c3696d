"""Recording a document (issue 10, section 1): create, update, withdraw. Every rule of the record lives here.

The view builds a `DocumentInput` from the form (plain text as typed); `clean` checks all of it at once and
either gives the values to store or raises `RecordError`, whose `codes`/`errors` name every problem by the
form's field name ("titles-0-title", "parties-1-principal_name") so each shows next to its field, and whose
own `code`/`field` are the first problem's (what the API and a test of one rule read). Nothing is written
before everything is valid: a refusal never half-saves.

A document is never deleted: `withdraw` keeps it, its number and its history, and it leaves the tally
(tally.counted). Exchanging at the ceremony belongs to the ceremony; here only "exchanged now" when the
organizer records it during or after the ceremony.
"""
from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from forum import clock
from forum.audit import services as audit
from forum.db import db
from forum.documents import money, numbering
from forum.documents.models import (Capacity, Ceremony, Confidentiality, DocKind, Document, DocumentParty,
                                    DocumentTitle, PartyKind, document_meetings)
from forum.errors import InvalidInput, InvalidState
from forum.forums.models import Forum
from forum.languages import CODES as UI_LANGUAGES
from forum.meetings.models import Meeting
from forum.registration import choices
from forum.registration.models import CompanyRegistration, Registration, RegState
from forum.registration.states import lock_forum
from forum.search import search_key
from forum.text import is_one_line

MIN_PARTIES = 2
MAX_PARTIES = 20
MAX_TITLES = 12
TITLE_MAX = 500
ORGANISATION_MAX = 300
NAME_MAX = 200  # names and positions
POA_MAX = 100
PLACE_MAX = 200
NOTES_MAX = 5000
REASON_MAX = 2000
JOBS_MAX = 10_000_000
SIDES = ("left", "right")


@dataclass
class TitleInput:
    language: str = ""
    title: str = ""


@dataclass
class PartyInput:
    """One party as typed. `company`: the public id of a registered company of the forum (its name and country
    are then copied); `signatory_registration`: the public id of an approved delegate of the forum."""

    organisation: str = ""
    company: str = ""
    country: str = ""
    kind: str = ""
    signatory_name: str = ""
    signatory_position: str = ""
    signatory_registration: str = ""
    capacity: str = "own"
    principal_name: str = ""
    principal_position: str = ""
    poa_reference: str = ""
    exchanged_by_name: str = ""
    exchanged_by_position: str = ""
    side: str = ""  # "": alternate, the first party on the left

    def is_blank(self) -> bool:
        """Nothing typed: the form's spare party block, ignored."""
        typed = (self.organisation, self.company, self.signatory_name, self.signatory_position,
                 self.signatory_registration, self.principal_name, self.principal_position, self.poa_reference,
                 self.exchanged_by_name, self.exchanged_by_position)
        return not any((v or "").strip() for v in typed)


@dataclass
class DocumentInput:
    titles: list[TitleInput] = field(default_factory=list)
    authoritative_language: str = ""
    kind: str = ""
    signed_on: str | date = ""  # the date as the organizer typed it (YYYY-MM-DD), in the forum's time zone
    place: str = ""
    ceremony: str = ""
    sectors: list[str] = field(default_factory=list)
    value: str = ""
    currency: str = ""
    expected_jobs: str | int | None = ""
    confidentiality: str = Confidentiality.PUBLIC.value
    counts_in_tally: bool = True
    parties: list[PartyInput] = field(default_factory=list)
    meetings: list[str] = field(default_factory=list)  # public ids of B2B meetings of the forum
    exchanged_now: bool = False
    notes: str = ""


class RecordError(InvalidInput):
    """Every problem of one submission: `codes` {field: code}, `errors` {field: message}. Nothing was saved.
    `code` and `field` are the first problem's."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        field_, code, message = problems[0]
        super().__init__(message, code=code, field=field_)
        self.codes: dict[str, str] = {}
        self.errors: dict[str, str] = {}
        for name, c, m in problems:
            self.codes.setdefault(name, c)
            self.errors.setdefault(name, m)


@dataclass
class _Clean:
    titles: dict[str, str]
    authoritative_language: str
    kind: DocKind
    signed_on: date
    place: str
    ceremony: Ceremony
    sectors: list[str]
    value_minor: int | None
    currency: str | None
    expected_jobs: int | None
    confidentiality: Confidentiality
    counts_in_tally: bool
    parties: list[dict[str, Any]]
    meeting_ids: list[int]
    notes: str


def _text(value: object) -> str:
    """NFC, outer white space trimmed: store what the person typed, one way."""
    if not isinstance(value, str):
        return ""
    return unicodedata.normalize("NFC", value).strip()


def title_languages(forum: Forum) -> set[str]:
    """The languages a title may be in: the event's, the interface's and the region's spoken ones."""
    reg = numbering.register_of(forum)
    return set(choices.SPOKEN_LANGUAGES) | set(UI_LANGUAGES) | set(reg.languages if reg else [])


class _Problems:
    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []

    def add(self, field_: str, code: str, message: str) -> None:
        self.items.append((field_, code, message))

    def __bool__(self) -> bool:
        return bool(self.items)


def _bounded(p: _Problems, name: str, value: str, maximum: int, *, required: str | None = None,
             required_message: str = "", one_line: bool = True) -> str:
    if not value and required:
        p.add(name, required, required_message)
    elif len(value) > maximum:
        p.add(name, "too_long", _("At most %(n)d characters.", n=maximum))
    elif one_line and not is_one_line(value):
        p.add(name, "one_line", _("Write this on one line: line breaks are not allowed here."))
    return value


def _parse_date(p: _Problems, value: object) -> date | None:
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        p.add("signed_on", "date_required", _("Give the date it was signed."))
        return None
    try:
        # The date as typed, a calendar date in the forum's time zone: never converted, so never shifted.
        if len(text) != 10 or not text.isascii():
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        p.add("signed_on", "date_invalid", _("Give the date as year-month-day, for example 2024-05-20."))
        return None


def _parse_jobs(p: _Problems, value: object) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int):
        jobs = value
    else:
        text = _text(value).replace(" ", "").replace(",", "").replace("\u00a0", "")
        if not (text.isascii() and text.isdigit()) or len(text) > 9:
            p.add("expected_jobs", "jobs_invalid", _("Give the expected jobs as a whole number, 0 or more."))
            return None
        jobs = int(text)
    if jobs < 0 or jobs > JOBS_MAX:
        p.add("expected_jobs", "jobs_invalid", _("Give the expected jobs as a whole number, 0 or more."))
        return None
    return jobs


def _enum(p: _Problems, enum_cls, value: object, name: str, code: str, message: str):
    try:
        return enum_cls(_text(value))
    except ValueError:
        p.add(name, code, message)
        return None


def _company(forum: Forum, public_id: str) -> CompanyRegistration | None:
    if not public_id or len(public_id) > 36 or not public_id.isascii():
        return None
    return db.session.scalar(sa.select(CompanyRegistration).where(
        CompanyRegistration.forum_id == forum.id, CompanyRegistration.public_id == public_id.lower()))


def _delegate(public_id: str) -> Registration | None:
    if not public_id or len(public_id) > 36 or not public_id.isascii():
        return None
    return db.session.scalar(sa.select(Registration).where(Registration.public_id == public_id.lower()))


def _clean_party(forum: Forum, p: _Problems, i: int, data: PartyInput) -> dict[str, Any]:
    f = f"parties-{i}-"
    out: dict[str, Any] = {"company_id": None, "signatory_registration_id": None}
    company_pid = _text(data.company)
    company = None
    if company_pid:
        company = _company(forum, company_pid)
        if company is None:
            p.add(f + "company", "company_unknown", _("Choose a company registered at this forum."))
    if company is not None:
        out.update(company_id=company.id, organisation=company.legal_name, country=company.country)
    else:
        out["organisation"] = _bounded(p, f + "organisation", _text(data.organisation), ORGANISATION_MAX,
                                       required="organisation_required",
                                       required_message=_("Name the organisation."))
        country = _text(data.country).upper()
        if country not in choices.COUNTRY_CODES:
            p.add(f + "country", "country_invalid", _("Choose the organisation's country."))
        out["country"] = country
    out["kind"] = _enum(p, PartyKind, data.kind, f + "kind", "party_kind_invalid", _("Choose the kind of party."))

    reg_pid = _text(data.signatory_registration)
    reg = None
    if reg_pid:
        reg = _delegate(reg_pid)
        if reg is None:
            p.add(f + "signatory_registration", "signatory_unknown", _("There is no such registered delegate."))
        elif reg.forum_id != forum.id:
            p.add(f + "signatory_registration", "signatory_other_forum",
                  _("This delegate is registered at another forum."))
            reg = None
        elif reg.state is not RegState.APPROVED:
            p.add(f + "signatory_registration", "signatory_not_approved",
                  _("This delegate's registration is not approved."))
            reg = None
    if reg is not None:
        out["signatory_registration_id"] = reg.id
    name = _text(data.signatory_name) or (reg.full_name if reg is not None else "")
    position = _text(data.signatory_position) or (reg.position if reg is not None else "")
    out["signatory_name"] = _bounded(p, f + "signatory_name", name, NAME_MAX, required="signatory_required",
                                     required_message=_("Name who signed."))
    out["signatory_position"] = _bounded(p, f + "signatory_position", position, NAME_MAX,
                                         required="signatory_position_required",
                                         required_message=_("Give the signatory's position."))

    capacity = _enum(p, Capacity, data.capacity or "own", f + "capacity", "capacity_invalid",
                     _("Choose in what capacity they signed."))
    out["capacity"] = capacity
    principal_name = _bounded(p, f + "principal_name", _text(data.principal_name), NAME_MAX)
    principal_position = _bounded(p, f + "principal_position", _text(data.principal_position), NAME_MAX)
    poa = _bounded(p, f + "poa_reference", _text(data.poa_reference), POA_MAX)
    if capacity is Capacity.ON_BEHALF:
        if not principal_name:
            p.add(f + "principal_name", "principal_required", _("Name the person they signed on behalf of."))
        if not principal_position:
            p.add(f + "principal_position", "principal_required", _("Give the principal's position."))
        if not poa:
            p.add(f + "poa_reference", "poa_required", _("Give the reference of the power of attorney."))
        out.update(principal_name=principal_name, principal_position=principal_position, poa_reference=poa)
    else:
        # Signed on their own authority: a principal typed before switching back is not kept.
        out.update(principal_name="", principal_position="", poa_reference="")
    out["exchanged_by_name"] = _bounded(p, f + "exchanged_by_name", _text(data.exchanged_by_name), NAME_MAX)
    out["exchanged_by_position"] = _bounded(p, f + "exchanged_by_position", _text(data.exchanged_by_position),
                                            NAME_MAX)
    side = _text(data.side)
    if not side:
        side = SIDES[i % 2]
    elif side not in SIDES:
        p.add(f + "side", "side_invalid", _("Choose left or right."))
    out["side"] = side
    return out


def _meeting_ids(forum: Forum, p: _Problems, public_ids: list[str]) -> list[int]:
    wanted = list(dict.fromkeys(_text(x).lower() for x in public_ids or [] if _text(x)))
    if not wanted:
        return []
    if any(len(x) > 36 or not x.isascii() for x in wanted):
        p.add("meetings", "meeting_unknown", _("Choose B2B meetings of this forum."))
        return []
    found = dict(db.session.execute(sa.select(Meeting.public_id, Meeting.id).where(
        Meeting.forum_id == forum.id, Meeting.public_id.in_(wanted))).all())
    if len(found) != len(wanted):
        p.add("meetings", "meeting_unknown", _("Choose B2B meetings of this forum."))
        return []
    return sorted(found[x] for x in wanted)


def clean(forum: Forum, data: DocumentInput) -> _Clean:
    """Every rule of a document's record, checked at once; raises RecordError naming each problem's field."""
    p = _Problems()
    languages = title_languages(forum)
    titles: dict[str, str] = {}
    if len(data.titles) > MAX_TITLES:
        p.add("titles", "too_many_titles", _("At most %(n)d titles.", n=MAX_TITLES))
    for i, t in enumerate(data.titles[:MAX_TITLES]):
        lang, title = _text(t.language).lower(), _text(t.title)
        if not title:
            continue
        name = f"titles-{i}-title"
        if lang not in languages:
            p.add(name, "language_invalid", _("Choose a language."))
        elif lang in titles:
            p.add(name, "language_duplicate", _("There is already a title in this language."))
        elif len(title) > TITLE_MAX:
            p.add(name, "title_too_long", _("At most %(n)d characters.", n=TITLE_MAX))
        elif not is_one_line(title):
            p.add(name, "one_line", _("Write this on one line: line breaks are not allowed here."))
        else:
            titles[lang] = title
    if not titles and not any(code == "language_invalid" or code.startswith("title") or code == "one_line"
                              for _f, code, _m in p.items):
        p.add("titles", "title_required", _("Give the title in at least one language."))
    authoritative = _text(data.authoritative_language).lower()
    if titles and authoritative not in titles:
        p.add("authoritative_language", "authoritative_invalid",
              _("Choose which language version is authoritative: one that has a title."))

    kind = _enum(p, DocKind, data.kind, "kind", "kind_invalid", _("Choose the type of document."))
    signed_on = _parse_date(p, data.signed_on)
    place = _bounded(p, "place", _text(data.place), PLACE_MAX)
    ceremony = _enum(p, Ceremony, data.ceremony, "ceremony", "ceremony_invalid", _("Choose where it was exchanged."))
    confidentiality = _enum(p, Confidentiality, data.confidentiality or "public", "confidentiality",
                            "confidentiality_invalid", _("Choose how confidential it is."))
    sectors = list(dict.fromkeys(_text(s) for s in data.sectors or [] if _text(s)))
    if any(s not in choices.SECTORS for s in sectors):
        p.add("sectors", "sector_invalid", _("Choose sectors from the list."))

    value_text, currency = _text(data.value), _text(data.currency).upper()
    value_minor = None
    if value_text and not currency:
        p.add("currency", "currency_required", _("Choose the currency of the value."))
    elif currency and not value_text:
        p.add("value", "value_required", _("Give the value, or leave the currency empty."))
    elif value_text:
        try:
            currency = money.clean_currency(currency)
            value_minor = money.parse_amount(value_text, currency)
        except InvalidInput as e:
            p.add(e.field or "value", e.code, e.message)
    jobs = _parse_jobs(p, data.expected_jobs)
    notes = _bounded(p, "notes", _text(data.notes), NOTES_MAX, one_line=False)

    filled = [(i, party) for i, party in enumerate(data.parties[:MAX_PARTIES + 1]) if not party.is_blank()]
    if len(data.parties) > MAX_PARTIES or len(filled) > MAX_PARTIES:
        p.add("parties", "too_many_parties", _("At most %(n)d parties.", n=MAX_PARTIES))
    elif len(filled) < MIN_PARTIES:
        p.add("parties", "too_few_parties", _("A document needs at least two parties."))
    parties = [_clean_party(forum, p, i, party) for i, party in filled[:MAX_PARTIES]]
    meeting_ids = _meeting_ids(forum, p, data.meetings)
    if p:
        raise RecordError(p.items)
    return _Clean(titles=titles, authoritative_language=authoritative, kind=kind, signed_on=signed_on,
                  place=place, ceremony=ceremony, sectors=sectors, value_minor=value_minor,
                  currency=currency if value_minor is not None else None, expected_jobs=jobs,
                  confidentiality=confidentiality, counts_in_tally=bool(data.counts_in_tally),
                  parties=parties, meeting_ids=meeting_ids, notes=notes)


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


def _reindex(doc: Document) -> None:
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
    _reindex(doc)
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
    _reindex(doc)
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
