"""A company's B2B profile for one forum: what it offers, what it seeks, its sectors, target countries and
languages, in whatever script it writes. Who may edit it, what a valid profile is, and its search key.

- Editors: the company's contact person, its approved delegates, and the forum's team with the B2B permission
  (audited as on behalf). Anyone else: NotAllowed.
- Every field is checked at once; a bad profile raises ProfileError with a code and a message per field, and
  nothing is saved.
- `search_key` holds two sections, "offers and seeks | names" (the company's names and its participating
  delegates'): the directory's search looks in both, its keyword filter only in the first
  (`search.matches_all_words(..., before=SECTION)`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db, nfc
from forum.errors import InvalidInput, NotAllowed
from forum.meetings import participation
from forum.meetings.models import B2BProfile, SeekKind
from forum.registration import choices
from forum.registration.models import CompanyRegistration, RegState, Registration
from forum.search import search_key
from forum.teams import permissions
from forum.teams.models import Permission

TEXT_MAX = 2000  # characters of `offers` and of `seeks`, after NFC
MAX_SECTORS = 5
MAX_TARGET_COUNTRIES = 30
SECTION = "|"  # between the two sections of the search key; taken out of what people typed

SEEK_KIND_LABELS = {
    SeekKind.TECHNOLOGY.value: _l("Technology"),
    SeekKind.PARTNERS.value: _l("Partners"),
    SeekKind.INVESTMENT.value: _l("Investment"),
    SeekKind.DISTRIBUTION.value: _l("Distribution"),
    SeekKind.SUPPLIERS.value: _l("Suppliers"),
    SeekKind.CUSTOMERS.value: _l("Customers"),
}

EDITABLE = ("offers", "seeks", "seek_kinds", "sectors", "target_countries", "languages")
# Line breaks and tabs are text; every other control character is not (and PostgreSQL refuses NUL).
_ALLOWED_CONTROLS = frozenset("\n\t")


def seek_kind_label(value: str) -> str:
    return str(SEEK_KIND_LABELS.get(value, value))


@dataclass
class ProfileInput:
    offers: str = ""
    seeks: str = ""
    seek_kinds: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    target_countries: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)


class ProfileError(InvalidInput):
    """Several field errors at once: `errors` {field: message} for people, `codes` {field: code} for the API
    and tests. Nothing was saved."""

    def __init__(self, problems: dict[str, tuple[str, str]]) -> None:
        super().__init__(_("Please correct the marked fields."), code="invalid_profile")
        self.codes = {name: code for name, (code, _message) in problems.items()}
        self.errors = {name: message for name, (_code, message) in problems.items()}


# --- who ---------------------------------------------------------------------------------------

def editor_role(user: User | None, company: CompanyRegistration) -> str | None:
    """'contact', 'delegate' (an approved delegate of the company), 'team' (the forum's B2B team, acting on
    behalf) or None: whether and as whom `user` may edit the company's profile."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if company.contact_user_id == user.id:
        return "contact"
    delegate = db.session.scalar(sa.select(Registration.id).where(
        Registration.company_id == company.id, Registration.user_id == user.id,
        Registration.state == RegState.APPROVED).limit(1))
    if delegate is not None:
        return "delegate"
    if permissions.has_permission(user, company.forum_id, Permission.B2B):
        return "team"
    return None


def may_edit(user: User | None, company: CompanyRegistration) -> bool:
    return editor_role(user, company) is not None


# --- reading and creating ------------------------------------------------------------------------

def profile_of(company: CompanyRegistration) -> B2BProfile | None:
    return db.session.scalar(sa.select(B2BProfile).where(B2BProfile.company_id == company.id))


def get_or_create(company: CompanyRegistration, *, lock: bool = False) -> B2BProfile:
    """The company's profile, created empty (flushed) the first time. Two first edits at once: one insert wins
    the unique company_id, the other reads the winner's row."""
    stmt = sa.select(B2BProfile).where(B2BProfile.company_id == company.id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    found = db.session.scalar(stmt)
    if found is not None:
        return found
    profile = B2BProfile(forum_id=company.forum_id, company_id=company.id, offers="", seeks="", seek_kinds=[],
                         sectors=[], target_countries=[], languages=[])
    profile.search_key = _key(profile, company)
    try:
        with db.session.begin_nested():
            db.session.add(profile)
            db.session.flush()
    except IntegrityError:
        return db.session.scalars(stmt).one()
    return profile


def participating_delegates(company: CompanyRegistration) -> list[Registration]:
    return list(db.session.scalars(
        sa.select(Registration).join(CompanyRegistration, CompanyRegistration.id == Registration.company_id)
        .where(Registration.company_id == company.id, participation.participants_filter())
        .order_by(Registration.id)))


def _key(profile: B2BProfile, company: CompanyRegistration) -> str:
    def section(*parts: str | None) -> str:
        return " ".join(search_key(*parts).replace(SECTION, " ").split())

    names = [n for reg in participating_delegates(company) for n in (reg.full_name, reg.latin_name)]
    return f"{section(profile.offers, profile.seeks)} {SECTION} {section(company.legal_name, company.name_en, *names)}"


def refresh_search_key(company: CompanyRegistration) -> None:
    """Recompute the key of the company's profile, if it has one (after its names or delegates changed)."""
    profile = profile_of(company)
    if profile is not None:
        profile.search_key = _key(profile, company)


# --- validating and saving -----------------------------------------------------------------------

def _clean_text(value) -> str:
    text = nfc(value if isinstance(value, str) else "") or ""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _clean_list(values, *, upper: bool = False) -> list[str] | None:
    """Distinct strings in the order given; None when something in it is not a string at all."""
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, (list, tuple, set, frozenset)):
        return None
    out: list[str] = []
    for v in values:
        if not isinstance(v, str):
            return None
        v = v.strip().upper() if upper else v.strip()
        if v and v not in out:
            out.append(v)
    return out


def validate(data: ProfileInput) -> dict[str, tuple[str, str]]:
    """Every rule the input breaks, as {field: (code, message)}; normalises `data` in place (NFC text,
    lists in the order of their choices)."""
    problems: dict[str, tuple[str, str]] = {}
    for name in ("offers", "seeks"):
        text = _clean_text(getattr(data, name))
        setattr(data, name, text)
        if any((ord(c) < 32 or ord(c) == 127) and c not in _ALLOWED_CONTROLS for c in text):
            problems[name] = ("control_characters", _("Remove the invisible control characters from this text."))
        elif len(text) > TEXT_MAX:
            problems[name] = (f"{name}_too_long", _("At most %(n)d characters.", n=TEXT_MAX))

    def check_list(name: str, allowed, code: str, message: str, *, order, upper: bool = False,
                   limit: int | None = None, limit_code: str = "", limit_message: str = "") -> None:
        values = _clean_list(getattr(data, name), upper=upper)
        if values is None or any(v not in allowed for v in values):
            problems[name] = (code, message)
            return
        setattr(data, name, sorted(values, key=order))
        if limit is not None and len(values) > limit:
            problems[name] = (limit_code, limit_message)

    kinds = [k.value for k in SeekKind]
    check_list("seek_kinds", set(kinds), "unknown_seek_kind", _("Choose what you seek from the list."),
               order=kinds.index)
    sectors = list(choices.SECTORS)
    check_list("sectors", set(sectors), "unknown_sector", _("Choose sectors from the list."), order=sectors.index,
               limit=MAX_SECTORS, limit_code="too_many_sectors",
               limit_message=_("Choose at most %(n)d sectors.", n=MAX_SECTORS))
    check_list("target_countries", choices.COUNTRY_CODES, "unknown_country", _("Choose countries from the list."),
               order=lambda c: c, upper=True, limit=MAX_TARGET_COUNTRIES, limit_code="too_many_countries",
               limit_message=_("Choose at most %(n)d countries.", n=MAX_TARGET_COUNTRIES))
    langs = list(choices.SPOKEN_LANGUAGES)
    check_list("languages", set(langs), "unknown_language", _("Choose languages from the list."),
               order=langs.index)
    return problems


def _snapshot(profile: B2BProfile) -> dict:
    return {name: (list(getattr(profile, name) or []) if name not in ("offers", "seeks") else getattr(profile, name))
            for name in EDITABLE}


def update(company: CompanyRegistration, data: ProfileInput, *, by: User | None) -> dict[str, tuple]:
    """Save the company's profile as `by` (its contact person, an approved delegate, or the B2B team on behalf).

    Returns {field: (before, after)} of what changed; an empty dict changes nothing and logs nothing.
    """
    role = editor_role(by, company)
    if role is None:
        raise NotAllowed(_("You cannot edit this company's profile."), code="not_allowed")
    problems = validate(data)
    if problems:
        raise ProfileError(problems)
    profile = get_or_create(company, lock=True)
    before = _snapshot(profile)
    for name in EDITABLE:
        setattr(profile, name, getattr(data, name))
    after = _snapshot(profile)
    profile.search_key = _key(profile, company)
    changes = {k: (before[k], after[k]) for k in EDITABLE if before[k] != after[k]}
    if not changes:
        return {}
    profile.updated_by_id = by.id if by is not None else None
    db.session.flush()
    audit.record(subject_type="b2b_profile", subject_id=profile.id, action="edited", actor=by,
                 forum_id=company.forum_id, company_id=company.id, fields=sorted(changes),
                 before={k: v[0] for k, v in changes.items()}, after={k: v[1] for k, v in changes.items()},
                 **({"on_behalf": True} if role == "team" else {}))
    return changes


def input_from(profile: B2BProfile | None) -> ProfileInput:
    """What a form shows for an existing profile (or an empty one)."""
    if profile is None:
        return ProfileInput()
    return ProfileInput(**{name: (list(getattr(profile, name) or []) if name not in ("offers", "seeks")
                                  else getattr(profile, name)) for name in EDITABLE})
