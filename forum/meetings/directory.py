"""Read-side queries for the B2B directory: the forum's participating companies (at least one delegate who takes
part: participation.participants_filter) with their profiles and participating delegates, searched and
filtered; and the data the suggestions rank.

Filters combine with AND:
- `q`: every word, in any script, in the company's names, its profile's offers and seeks, or its participating
  delegates' names (the profile's search key, and the company's own key for a company without a profile);
- `country`: the company's country;
- `sector`: one of the profile's sectors, or the sector the company registered with;
- `keyword`: every word in the profile's offers or seeks;
- `language`: spoken by a participating delegate (their registration), or listed in the profile.
Order: the company's English name, case-folded by the database, then id: stable across pages.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from forum.db import db
from forum.forums.models import Forum
from forum.meetings import participation, profiles, suggestions
from forum.meetings.models import OPEN_REQUEST_STATES, B2BProfile, MeetingRequest
from forum.registration import choices
from forum.registration.models import CompanyRegistration, Registration
from forum.search import matches_all_words, query_words

MAX_QUERY = 200


@dataclass
class Filters:
    q: str = ""
    country: str = ""
    sector: str = ""
    keyword: str = ""
    language: str = ""

    @classmethod
    def from_args(cls, args) -> "Filters":
        f = cls(**{k: (args.get(k) or "").strip()[:MAX_QUERY] for k in cls.__dataclass_fields__})
        # Unknown values filter nothing rather than crash or silently match nothing.
        f.country = f.country.upper()
        if f.country not in choices.COUNTRY_CODES:
            f.country = ""
        if f.sector not in choices.SECTORS:
            f.sector = ""
        if f.language not in choices.SPOKEN_LANGUAGES:
            f.language = ""
        f.keyword = f.keyword.replace(profiles.SECTION, " ")
        return f

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}

    def describe(self) -> list[tuple[str, str]]:
        parts = []
        if self.q:
            parts.append((_("Search"), self.q))
        if self.country:
            parts.append((_("Country"), choices.country_name(self.country)))
        if self.sector:
            parts.append((_("Sector"), str(choices.SECTORS[self.sector])))
        if self.keyword:
            parts.append((_("Offers or seeks"), self.keyword))
        if self.language:
            parts.append((_("Language spoken"), choices.language_name(self.language)))
        return parts


@dataclass
class Card:
    company: CompanyRegistration
    profile: B2BProfile | None
    delegates: list[Registration] = field(default_factory=list)

    @property
    def sectors(self) -> list[str]:
        if self.profile is not None and self.profile.sectors:
            return list(self.profile.sectors)
        return [self.company.sector] if self.company.sector else []

    @property
    def languages(self) -> list[str]:
        """The profile's languages, then those its participating delegates speak, each once, in the list's order."""
        spoken = set(self.profile.languages if self.profile is not None else [])
        for reg in self.delegates:
            spoken.update(reg.languages or [])
        return [c for c in choices.SPOKEN_LANGUAGES if c in spoken]


def _json_has(column, code: str) -> sa.ColumnElement[bool]:
    """A JSON list column holds this code. The codes come from fixed lists (letters only), and JSON writes a
    string with its quotes on SQLite and PostgreSQL alike."""
    return sa.cast(column, sa.Text).like(f'%"{code}"%')


def _participating_delegate(*conditions) -> sa.Exists:
    return sa.exists().where(Registration.company_id == CompanyRegistration.id, participation.participants_filter(),
                             *conditions)


def companies(forum_id: int, f: Filters) -> sa.Select:
    """The participating companies of the forum matching the filters, in the directory's order (the profile is
    outer-joined for the filters; `cards` loads it)."""
    stmt = (sa.select(CompanyRegistration)
            .outerjoin(B2BProfile, B2BProfile.company_id == CompanyRegistration.id)
            .where(CompanyRegistration.forum_id == forum_id, CompanyRegistration.directory_consent.is_(True),
                   _participating_delegate()))
    for word in query_words(f.q):
        stmt = stmt.where(sa.or_(matches_all_words(B2BProfile.search_key, word),
                                 matches_all_words(CompanyRegistration.search_key, word)))
    if f.keyword:
        stmt = stmt.where(B2BProfile.id.is_not(None),
                          matches_all_words(B2BProfile.search_key, f.keyword, before=profiles.SECTION))
    if f.country:
        stmt = stmt.where(CompanyRegistration.country == f.country)
    if f.sector:
        stmt = stmt.where(sa.or_(CompanyRegistration.sector == f.sector,
                                 sa.and_(B2BProfile.id.is_not(None), _json_has(B2BProfile.sectors, f.sector))))
    if f.language:
        stmt = stmt.where(sa.or_(sa.and_(B2BProfile.id.is_not(None), _json_has(B2BProfile.languages, f.language)),
                                 _participating_delegate(_json_has(Registration.languages, f.language))))
    return stmt.order_by(sa.func.lower(CompanyRegistration.name_en), CompanyRegistration.id)


def delegates_of(company_ids: list[int]) -> dict[int, list[Registration]]:
    """{company id: its participating delegates by Latin name}: one query for a page of cards."""
    out: dict[int, list[Registration]] = {cid: [] for cid in company_ids}
    if not company_ids:
        return out
    rows = db.session.scalars(
        sa.select(Registration).join(CompanyRegistration, CompanyRegistration.id == Registration.company_id)
        .where(Registration.company_id.in_(company_ids), participation.participants_filter())
        .order_by(Registration.latin_name, Registration.id))
    for reg in rows:
        out[reg.company_id].append(reg)
    return out


def profiles_of(company_ids: list[int]) -> dict[int, B2BProfile]:
    if not company_ids:
        return {}
    return {p.company_id: p for p in db.session.scalars(
        sa.select(B2BProfile).where(B2BProfile.company_id.in_(company_ids)))}


def cards(companies_: list[CompanyRegistration]) -> list[Card]:
    """Cards for these companies, in their order: profiles and delegates in one query each, however many."""
    ids = [c.id for c in companies_]
    found, people = profiles_of(ids), delegates_of(ids)
    return [Card(c, found.get(c.id), people[c.id]) for c in companies_]


def card(forum: Forum, company_public_id: str) -> Card | None:
    """One participating company of this forum, or None (another forum's, not consented, nobody taking part)."""
    company = db.session.scalar(companies(forum.id, Filters()).where(
        CompanyRegistration.public_id == company_public_id))
    return cards([company])[0] if company is not None else None


# --- suggestions ---------------------------------------------------------------------------------

def _as_party(company: CompanyRegistration, profile: B2BProfile | None) -> suggestions.Company:
    p = profile
    return suggestions.Company(
        id=company.id, name=company.name_en or company.legal_name, country=company.country,
        offers=p.offers if p is not None else "", seeks=p.seeks if p is not None else "",
        sectors=tuple(p.sectors) if p is not None and p.sectors else ((company.sector,) if company.sector else ()),
        seek_kinds=tuple(p.seek_kinds or ()) if p is not None else ())


def contacted(company_id: int) -> dict[int, str]:
    """{other company id: state} of the open requests between this company's delegates and another company."""
    Requester = aliased(Registration)
    rows = db.session.execute(
        sa.select(MeetingRequest.target_company_id, Requester.company_id, MeetingRequest.state)
        .join(Requester, Requester.id == MeetingRequest.requester_id)
        .where(MeetingRequest.state.in_(OPEN_REQUEST_STATES),
               sa.or_(Requester.company_id == company_id, MeetingRequest.target_company_id == company_id))
        .order_by(MeetingRequest.id)).all()
    out: dict[int, str] = {}
    for target, requester_company, state in rows:
        other = target if requester_company == company_id else requester_company
        # An accepted request says more than a pending one.
        if out.get(other) != "accepted":
            out[other] = state.value
    return out


def suggested(forum: Forum, company: CompanyRegistration, *, limit: int = 20) -> list[tuple[suggestions.Suggestion, Card]]:
    """The ranked suggestions for the company among the forum's participating companies, each with its card."""
    rows = db.session.execute(companies(forum.id, Filters()).add_columns(B2BProfile)).all()
    me = next((_as_party(c, p) for c, p in rows if c.id == company.id), None)
    if me is None:
        me = _as_party(company, profiles.profile_of(company))
    ranked = suggestions.rank(me, [_as_party(c, p) for c, p in rows], contacted=contacted(company.id), limit=limit)
    by_id = {c.id: c for c, _p in rows}
    return list(zip(ranked, cards([by_id[s.company_id] for s in ranked])))
