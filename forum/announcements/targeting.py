"""Whom a message to registrants reaches: the filter, parsed from a request, and the one query for the recipients.

The recipients are the registrations (delegates) of ONE forum matching every part of the filter, one per e-mail
address (the newest registration of that address among the matching ones), each with the language of their
registration (forum.languages.known: an unknown code reads as English). Empty choices mean "any".
"""
from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from forum import languages
from forum.badges.models import Badge
from forum.db import db
from forum.errors import InvalidInput
from forum.meetings.models import Meeting, MeetingState
from forum.registration import choices
from forum.registration.models import ACTIVE_STATES, Category, CompanyRegistration, RegState, Registration
from forum.search import matches_all_words


class Tri(str, enum.Enum):
    ANY = "any"
    YES = "yes"
    NO = "no"


TRI_LABELS = {Tri.ANY: _l("Any"), Tri.YES: _l("Yes"), Tri.NO: _l("No")}

# The field names, in forms and query strings alike (?state=approved&country=JP&language=ja&checked_in=no).
MULTI_FIELDS = ("state", "country", "category", "language")
TRI_FIELDS = ("late", "checked_in", "meetings")
MAX_VALUES = 300  # more values than there are countries is not a choice but a probe


@dataclass(frozen=True)
class Filter:
    states: tuple[RegState, ...] = ACTIVE_STATES
    countries: tuple[str, ...] = ()
    categories: tuple[Category, ...] = ()
    languages: tuple[str, ...] = ()  # the recipient's language: "all Japanese delegates" as readers of Japanese
    late: Tri = Tri.ANY
    checked_in: Tri = Tri.ANY  # a live badge with a first entry
    meetings: Tri = Tri.ANY  # takes part in a scheduled B2B meeting

    def as_dict(self) -> dict:
        """What Announcement.filters keeps (JSON)."""
        return {"state": [s.value for s in self.states], "country": list(self.countries),
                "category": [c.value for c in self.categories], "language": list(self.languages),
                "late": self.late.value, "checked_in": self.checked_in.value, "meetings": self.meetings.value}

    @classmethod
    def from_dict(cls, data: dict | None) -> "Filter":
        """Back from Announcement.filters (written by as_dict; checked again all the same)."""
        data = data or {}
        return parse({k: (v if isinstance(v, list) else [v]) for k, v in data.items() if v is not None},
                     form="state" in data)

    def as_args(self) -> dict:
        """For url_for: the filter as a query string."""
        d = self.as_dict()
        return {k: v for k, v in d.items() if v and v != Tri.ANY.value}

    def describe(self) -> list[tuple[str, str]]:
        """(what, value) pairs in the reader's language, for the pages that show whom a message is for."""
        out = [(_("Registration state"), ", ".join(_state(s) for s in self.states))]
        if self.countries:
            out.append((_("Country"), ", ".join(choices.country_name(c) for c in self.countries)))
        if self.categories:
            out.append((_("Category"), ", ".join(choices.category_label(c.value) for c in self.categories)))
        if self.languages:
            out.append((_("Language"), ", ".join(f"{languages.UI_LANGUAGES[c]} ({c})" for c in self.languages)))
        for name, label in (("late", _("Late entry")), ("checked_in", _("Checked in")),
                            ("meetings", _("Has B2B meetings"))):
            value = getattr(self, name)
            if value is not Tri.ANY:
                out.append((label, str(TRI_LABELS[value])))
        return out


def _state(s: RegState) -> str:
    from forum.registration.states import state_label

    return state_label(s)


class FilterError(InvalidInput):
    """The filter's bad values, {field: message}, all at once."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())), code="invalid_filter", field=next(iter(errors)))
        self.errors = errors


def _values(data, name: str) -> tuple[bool, list[str]]:
    """(whether the field was sent at all, its non-empty values)."""
    if hasattr(data, "getlist"):
        raw = data.getlist(name)
        sent = name in data
    else:
        raw = data.get(name) or []
        raw = [raw] if isinstance(raw, str) else list(raw)
        sent = name in data
    return sent, [v.strip() for v in raw if isinstance(v, str) and v.strip()]


def parse(data, *, form: bool = False) -> Filter:
    """The filter from request args or a form (a MultiDict, or a dict of lists). Raises FilterError.

    `state` absent: the active states (pending, approved, waitlisted). A form always sends the field (an
    empty hidden value beside its checkboxes, form=True): there, no state ticked is an error, not "any".
    """
    errors: dict[str, str] = {}
    sent, raw_states = _values(data, "state")
    states: list[RegState] = []
    if not sent and not form:
        states = list(ACTIVE_STATES)
    elif not raw_states:
        errors["state"] = _("Choose at least one registration state.")
    else:
        try:
            states = [RegState(v) for v in raw_states]
        except ValueError:
            errors["state"] = _("Choose registration states from the list.")

    _sent, raw_countries = _values(data, "country")
    countries = [c.upper() for c in raw_countries]
    if any(c not in choices.COUNTRY_CODES for c in countries):
        errors["country"] = _("Choose countries from the list.")

    _sent, raw_categories = _values(data, "category")
    categories: list[Category] = []
    try:
        categories = [Category(v) for v in raw_categories]
    except ValueError:
        errors["category"] = _("Choose categories from the list.")

    _sent, langs = _values(data, "language")
    if any(code not in languages.CODES for code in langs):
        errors["language"] = _("Choose languages from the list.")

    tri: dict[str, Tri] = {}
    for name in TRI_FIELDS:
        _sent, vals = _values(data, name)
        if len(vals) > 1:
            errors[name] = _("Choose one answer.")
            continue
        try:
            tri[name] = Tri(vals[0]) if vals else Tri.ANY
        except ValueError:
            errors[name] = _("Choose yes, no or any.")

    for name in MULTI_FIELDS:
        if len(_values(data, name)[1]) > MAX_VALUES:
            errors[name] = _("Too many values.")
    if errors:
        raise FilterError(errors)

    def unique(seq):
        return tuple(dict.fromkeys(seq))

    return Filter(states=unique(states), countries=unique(sorted(countries)),
                  categories=unique(c for c in Category if c in categories),
                  languages=unique(c for c in languages.CODES if c in langs),
                  late=tri["late"], checked_in=tri["checked_in"], meetings=tri["meetings"])


# --- the one query ----------------------------------------------------------------------------

def _conditions(forum_id: int, flt: Filter) -> list:
    conds: list = [Registration.forum_id == forum_id, Registration.state.in_(flt.states)]
    if flt.countries:
        conds.append(CompanyRegistration.country.in_(flt.countries))
    if flt.categories:
        conds.append(Registration.category.in_(flt.categories))
    if flt.languages:
        lang = Registration.language.in_(flt.languages)
        if languages.DEFAULT in flt.languages:  # a code the app does not speak reads as the default
            lang = sa.or_(lang, Registration.language.not_in(languages.CODES))
        conds.append(lang)
    if flt.late is not Tri.ANY:
        conds.append(Registration.is_late.is_(flt.late is Tri.YES))
    if flt.checked_in is not Tri.ANY:
        arrived = sa.exists().where(Badge.registration_id == Registration.id, Badge.revoked_at.is_(None),
                                    Badge.first_checked_in_at.is_not(None))
        conds.append(arrived if flt.checked_in is Tri.YES else ~arrived)
    if flt.meetings is not Tri.ANY:
        meets = sa.exists().where(Meeting.state == MeetingState.SCHEDULED,
                                  sa.or_(Meeting.a_id == Registration.id, Meeting.b_id == Registration.id))
        conds.append(meets if flt.meetings is Tri.YES else ~meets)
    return conds


def chosen_ids(forum_id: int, flt: Filter) -> sa.Select:
    """The id of one registration per address among the matching ones (the newest)."""
    return (sa.select(sa.func.max(Registration.id)).join(Registration.company)
            .where(*_conditions(forum_id, flt)).group_by(Registration.email))


def recipients_query(forum_id: int, flt: Filter, q: str | None = None) -> sa.Select:
    """The recipients' registrations, by name; `q` narrows them by name or e-mail in any script."""
    stmt = sa.select(Registration).where(Registration.id.in_(chosen_ids(forum_id, flt)))
    if q:
        stmt = stmt.where(matches_all_words(Registration.search_key, q))
    return stmt.order_by(Registration.latin_name, Registration.id)


@dataclass(frozen=True)
class Recipient:
    registration_id: int
    email: str
    name: str
    language: str  # the registration's, as the app speaks it


def recipient_of(reg: Registration) -> Recipient:
    return Recipient(registration_id=reg.id, email=reg.email.lower(), name=reg.full_name,
                     language=languages.known(reg.language))


def recipients(forum_id: int, flt: Filter) -> list[Recipient]:
    return [recipient_of(r) for r in db.session.scalars(recipients_query(forum_id, flt))]


@dataclass(frozen=True)
class Reach:
    total: int = 0
    by_language: list[tuple[str, int]] = field(default_factory=list)  # most first

    def sentence(self) -> str:
        """'This will reach 437 people: 180 ja, 150 ru, 60 kk, 40 uz, 7 en'."""
        head = ngettext("This will reach %(num)d person", "This will reach %(num)d people", self.total)
        if not self.total:
            return head
        return head + ": " + ", ".join(f"{n} {code}" for code, n in self.by_language)


def count_by_language(langs: Counter) -> list[tuple[str, int]]:
    """Most first; a tie in the app's order of languages."""
    return sorted(langs.items(), key=lambda kv: (-kv[1], languages.CODES.index(kv[0])))


def reach(forum_id: int, flt: Filter) -> Reach:
    """How many people the filter reaches, by language: one GROUP BY over the chosen registrations."""
    counts: Counter = Counter()
    for lang, n in db.session.execute(
        sa.select(Registration.language, sa.func.count()).where(Registration.id.in_(chosen_ids(forum_id, flt)))
        .group_by(Registration.language)
    ):
        counts[languages.known(lang)] += n
    return Reach(total=sum(counts.values()), by_language=count_by_language(counts))


__all__ = ["Tri", "Filter", "FilterError", "parse", "recipients_query", "recipients", "Recipient", "recipient_of",
           "Reach", "reach", "chosen_ids", "count_by_language"]
