"""The signatory picker: a forum's approved delegates found by a name typed in any script, or by their badge.

What it gives back fills a party block of the record form: the name as written natively, the position, the
company and its country, and the registration's public id (records.PartyInput.signatory_registration), which
the records service checks again (same forum, approved) when the form is saved.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from forum.badges import lookup
from forum.checkin.people import long_enough
from forum.db import db
from forum.errors import InvalidInput, InvalidState, NotFound
from forum.forums.models import Forum
from forum.registration import choices
from forum.registration.models import CompanyRegistration, Registration, RegState
from forum.search import matches_all_words

LIMIT = 15


@dataclass(frozen=True)
class Signatory:
    public_id: str
    full_name: str
    latin_name: str
    position: str
    company: str  # the company's name as written natively
    company_latin: str
    company_id: str  # the company's public id: the party's "registered company"
    country: str
    country_name: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Found:
    query: str
    results: list[Signatory]
    more: bool
    too_short: bool
    message: str

    def as_dict(self) -> dict:
        return {"query": self.query, "results": [s.as_dict() for s in self.results], "more": self.more,
                "too_short": self.too_short, "message": self.message}


def _signatory(reg: Registration, company: CompanyRegistration) -> Signatory:
    return Signatory(public_id=reg.public_id, full_name=reg.full_name, latin_name=reg.latin_name,
                     position=reg.position, company=company.legal_name, company_latin=company.name_en,
                     company_id=company.public_id, country=company.country,
                     country_name=choices.country_name(company.country) if company.country else "")


def search(forum: Forum, query: str | None) -> Found:
    """Approved delegates of `forum` whose name, e-mail or company match every word (forum.search folding: any
    script, Kazakh letters typed on a Russian keyboard, Uzbek apostrophes)."""
    q = (query or "").strip()
    if not long_enough(q):
        return Found(q, [], False, bool(q),
                     _("Type at least three letters of the name (two Japanese characters).") if q else "")
    rows = db.session.execute(
        sa.select(Registration, CompanyRegistration)
        .join(CompanyRegistration, CompanyRegistration.id == Registration.company_id)
        .where(Registration.forum_id == forum.id, Registration.state == RegState.APPROVED,
               matches_all_words(Registration.search_key, q))
        .order_by(Registration.latin_name, Registration.id).limit(LIMIT + 1)).all()
    results = [_signatory(reg, company) for reg, company in rows[:LIMIT]]
    more = len(rows) > LIMIT
    if not results:
        message = _("No approved delegate matches “%(q)s”.", q=q)
    elif more:
        message = _("Only the first %(n)d matches are shown: type more of the name.", n=LIMIT)
    else:
        message = ""
    return Found(q, results, more, False, message)


def from_badge(forum: Forum, code: str | None) -> Signatory:
    """The delegate a scanned badge (its token, or the /b/<token> URL) names, at this forum only."""
    found = lookup.find((code or "").strip())
    if found is None or found.forum.id != forum.id:
        raise NotFound(_("This is not a badge of this forum."), code="badge_unknown", field="code")
    badge = found.badge
    if not badge.is_live:
        raise InvalidState(_("This badge was revoked: it no longer names a delegate. Type the name instead."),
                           code="badge_revoked", field="code")
    reg = badge.registration
    if reg is None:
        raise InvalidInput(_("This is a team member's badge, not a delegate's."), code="badge_not_delegate",
                           field="code")
    if reg.state is not RegState.APPROVED:
        raise InvalidState(_("This delegate's registration is not approved."), code="signatory_not_approved",
                           field="code")
    return _signatory(reg, reg.company)
