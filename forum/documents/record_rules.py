"""The rules of a document's record (issue 10, section 1 and "bad input"): the input as typed, and `clean`, which
checks all of it at once and gives the values to store or raises `RecordError` naming every problem by the form's
field name ("titles-0-title", "parties-1-principal_name"). documents.records writes what `clean` gives.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from forum.db import db
from forum.documents import money, numbering
from forum.documents.models import Capacity, Ceremony, Confidentiality, DocKind, PartyKind
from forum.errors import InvalidInput
from forum.forums.models import Forum
from forum.languages import CODES as UI_LANGUAGES
from forum.meetings.models import Meeting
from forum.registration import choices
from forum.registration.models import CompanyRegistration, Registration, RegState
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
