"""Corrections: a contact person or a delegate fixes a misspelt name, a wrong e-mail or the languages before the
badges are printed; after the forum's badge deadline only its reviewers can.

Who may correct what:
- the company's contact person: every delegate of that company registration, and the company's legal and
  English names (what a badge shows of the company; the rest of the company data stays as registered);
- a delegate: their own record;
- a team member with the review permission: any delegate or company of the forum, also after the deadline.

A correction is validated exactly like the registration form (registration.services.clean_delegate), and
either everything is saved or nothing is. It is one audit entry with the before and after of each changed
field. A correction of an approved delegate marks it "changed since approval" until a reviewer acknowledges it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from forum import clock
from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db, nfc, too_long
from forum.errors import InvalidInput, InvalidState, NotAllowed
from forum.forums.models import Forum
from forum.notifications import services as mail
from forum.registration import services, states
from forum.registration.disputes import dispute_link
from forum.registration.mails import account_link
from forum.registration.models import ACTIVE_STATES, CompanyRegistration, RegState, Registration
from forum.search import search_key
from forum.teams import permissions
from forum.teams.models import Permission
from forum.text import is_one_line

# What a correction may change, in the order the form shows it.
FIELDS = ("full_name", "latin_name", "position", "email", "phone", "languages", "language")
COMPANY_FIELDS = ("legal_name", "name_en")


@dataclass
class CorrectionInput:
    full_name: str
    latin_name: str
    email: str
    position: str = ""
    phone: str = ""
    languages: list[str] = field(default_factory=list)
    language: str = ""  # of the delegate's e-mails; empty: as it is

    @classmethod
    def of(cls, reg: Registration) -> "CorrectionInput":
        return cls(**{name: getattr(reg, name) for name in FIELDS})


class CorrectionError(InvalidInput):
    """Field errors, {field name: message}: nothing was changed."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_("Please correct the marked fields."), code="invalid_correction")
        self.errors = errors


# --- who may change a registration, and until when -------------------------------------------

def is_reviewer(user: User | None, forum: Forum | int) -> bool:
    return permissions.has_permission(user, forum, Permission.REVIEW)


def deadline_passed(forum: Forum, now: datetime | None = None) -> bool:
    """At the badge deadline itself it has passed: the deadline is the first moment that is too late."""
    return (now or clock.now()) >= forum.corrections_until


def _is_contact(user: User | None, reg: Registration) -> bool:
    return user is not None and user.is_authenticated and reg.company.contact_user_id == user.id


def check_may_change(user: User | None, reg: Registration, *, now: datetime | None = None,
                     contact_only: bool = False) -> None:
    """Raise unless `user` may correct (or, with contact_only, substitute) this delegate right now.

    Codes: not_yours (neither the contact person, nor the delegate, nor a reviewer), not_active (withdrawn,
    rejected or cancelled: nothing left to correct), badge_deadline_passed (only reviewers after it).
    """
    reviewer = check_who(user, reg, contact_only=contact_only)
    if reg.state not in ACTIVE_STATES:
        raise InvalidState(_("Only a pending, waitlisted or approved registration can be changed; this one is "
                             "%(state)s.", state=states.state_label(reg.state)), code="not_active")
    if not reviewer and deadline_passed(reg.forum, now):
        raise InvalidState(_("The badge deadline has passed: only the organizers can change this registration now. "
                             "Write to them."), code="badge_deadline_passed")


def check_who(user: User | None, reg: Registration, *, contact_only: bool = False) -> bool:
    """Raise not_yours unless `user` is the company's contact person, the delegate (unless contact_only) or a
    reviewer of the forum; return whether they are a reviewer (whom the badge deadline does not stop)."""
    reviewer = is_reviewer(user, reg.forum_id)
    own = not contact_only and user is not None and user.is_authenticated and reg.user_id == user.id
    if not (reviewer or own or _is_contact(user, reg)):
        raise NotAllowed(_("You cannot change this registration."), code="not_yours")
    return reviewer


def may_change(user: User | None, reg: Registration, *, now: datetime | None = None,
               contact_only: bool = False) -> bool:
    """check_may_change() as a yes or no, for the links a page offers."""
    try:
        check_may_change(user, reg, now=now, contact_only=contact_only)
    except (NotAllowed, InvalidState):
        return False
    return True


def registration_search_key(reg: Registration) -> str:
    """What the organizer's search finds a delegate by (the same parts as registration.services._create)."""
    return search_key(reg.full_name, reg.latin_name, reg.email, reg.company.legal_name, reg.company.name_en)


def active_registration_with(forum_id: int, email: str, *, besides: int | None = None) -> Registration | None:
    return db.session.scalar(sa.select(Registration).where(
        Registration.forum_id == forum_id, Registration.email == email, Registration.state.in_(ACTIVE_STATES),
        Registration.id != (besides or 0)))


def email_taken_error() -> str:
    return _("This address is already registered for this forum. Each person registers once per forum.")


# --- a delegate's data ---------------------------------------------------------------------------

def validate(reg: Registration, data: CorrectionInput) -> tuple[services.DelegateInput, dict[str, str]]:
    """The input normalised as the registration form does it, and every rule it breaks {field: message}."""
    d = services.DelegateInput(full_name=data.full_name, latin_name=data.latin_name, email=data.email,
                               position=data.position, phone=data.phone, languages=list(data.languages or []),
                               category=reg.category.value, language=data.language or reg.language)
    errors = services.clean_delegate(d, country=reg.company.country, default_language=reg.language)
    if "email" not in errors and d.email != reg.email and active_registration_with(reg.forum_id, d.email,
                                                                                    besides=reg.id):
        errors["email"] = email_taken_error()
    return d, errors


def correct(reg: Registration, data: CorrectionInput, *, by: User, now: datetime | None = None) -> dict[str, list]:
    """Apply a correction, or raise and change nothing. Returns {field: [before, after]} of what changed.

    Under the forum lock (the house order: forum first), so that the once-per-forum e-mail rule and a
    decision on the same delegate cannot interleave with it.
    """
    now = now or clock.now()
    states.lock_forum(reg.forum_id)
    db.session.refresh(reg)
    check_may_change(by, reg, now=now)
    d, errors = validate(reg, data)
    if errors:
        raise CorrectionError(errors)

    after = {"full_name": d.full_name, "latin_name": d.latin_name, "position": d.position, "email": d.email,
             "phone": d.phone, "languages": list(d.languages), "language": d.language}
    changes = {name: [_json(getattr(reg, name)), value] for name, value in after.items()
               if not _same(name, getattr(reg, name), value)}
    if not changes:
        return {}
    old_email = reg.email
    try:
        with db.session.begin_nested():
            for name in changes:
                setattr(reg, name, after[name])
            if "email" in changes:
                # The delegate's account follows the address: the new address's owner sees the registration.
                user, _created = accounts.get_or_create_delegate_user(d.email, d.full_name, d.language)
                reg.user_id = user.id
                reg.user = user
            reg.search_key = registration_search_key(reg)
            db.session.flush()
    except IntegrityError:
        # The unique index (one active registration per address and forum) has the last word.
        db.session.refresh(reg)
        raise CorrectionError({"email": email_taken_error()})

    deadline = deadline_passed(reg.forum, now)
    if reg.state is RegState.APPROVED:
        reg.changed_since_approval_at = now
    audit.record(subject_type="registration", subject_id=reg.id, action="corrected", actor=by,
                 forum_id=reg.forum_id, changes=changes, after_badge_deadline=deadline,
                 flagged=reg.state is RegState.APPROVED)
    if "email" in changes:
        _email_changed_mails(reg, old_email)
    return changes


def _json(value):
    return list(value) if isinstance(value, list) else value


def _same(name: str, before, after) -> bool:
    if name == "languages":
        return sorted(before or []) == sorted(after or [])
    return (before or "") == (after or "")


def _email_changed_mails(reg: Registration, old_email: str) -> None:
    """The old address is told where the mails go now; the new one that it gets them, with its account link."""
    forum, company = reg.forum, reg.company
    common = dict(forum_id=forum.id, forum=forum, company=company, reg=reg, old_email=old_email)
    mail.queue("email_changed", to=old_email, to_name=reg.full_name, language=reg.language, to_old=True, link="",
               dispute_link=None, **common)
    mail.queue("email_changed", to=reg.email, to_name=reg.full_name, language=reg.language, to_old=False,
               link=account_link(reg.user), dispute_link=dispute_link(reg), **common)


# --- the company's names ------------------------------------------------------------------------

@dataclass
class CompanyNamesInput:
    legal_name: str
    name_en: str


def check_may_change_company(user: User | None, company: CompanyRegistration, *, now: datetime | None = None) -> None:
    """The contact person until the badge deadline, reviewers always; codes as check_may_change."""
    reviewer = is_reviewer(user, company.forum_id)
    if not (reviewer or (user is not None and user.is_authenticated and company.contact_user_id == user.id)):
        raise NotAllowed(_("You cannot change this registration."), code="not_yours")
    if not any(r.state in ACTIVE_STATES for r in company.delegates):
        raise InvalidState(_("None of this company's delegates is registered any more: there is nothing to "
                             "correct."), code="not_active")
    if not reviewer and deadline_passed(company.forum, now):
        raise InvalidState(_("The badge deadline has passed: only the organizers can change this registration now. "
                             "Write to them."), code="badge_deadline_passed")


def may_change_company(user: User | None, company: CompanyRegistration, *, now: datetime | None = None) -> bool:
    try:
        check_may_change_company(user, company, now=now)
    except (NotAllowed, InvalidState):
        return False
    return True


def correct_company(company: CompanyRegistration, data: CompanyNamesInput, *, by: User,
                    now: datetime | None = None) -> dict[str, list]:
    """Correct the company's legal and English names as this forum shows them (badges, lists), or raise and
    change nothing. The organisation behind it (organisations.Organisation) keeps its own names: merging and
    renaming organisations is the organizers' business.

    Every approved delegate of the company is marked "changed since approval": their badges show the name.
    """
    now = now or clock.now()
    states.lock_forum(company.forum_id)
    db.session.refresh(company)
    check_may_change_company(by, company, now=now)
    after = {"legal_name": nfc(data.legal_name) or "", "name_en": nfc(data.name_en) or ""}
    errors: dict[str, str] = {}
    for name, value in after.items():
        if not value:
            errors[name] = _("This field is required.")
        elif not is_one_line(value):
            errors[name] = _("Write this on one line: line breaks are not allowed here.")
        elif limit := too_long(getattr(CompanyRegistration, name), value):
            errors[name] = _("At most %(n)d characters.", n=limit)
    if errors:
        raise CorrectionError(errors)
    changes = {name: [getattr(company, name), value] for name, value in after.items() if getattr(company, name) != value}
    if not changes:
        return {}
    for name in changes:
        setattr(company, name, after[name])
    company.search_key = search_key(company.legal_name, company.name_en)
    flagged = []
    for reg in company.delegates:
        reg.search_key = registration_search_key(reg)
        if reg.state is RegState.APPROVED:
            reg.changed_since_approval_at = now
            flagged.append(reg.id)
    audit.record(subject_type="company", subject_id=company.id, action="corrected", actor=by,
                 forum_id=company.forum_id, changes=changes, after_badge_deadline=deadline_passed(company.forum, now),
                 flagged=flagged)
    db.session.flush()
    return changes


# --- the organizer's acknowledgement ------------------------------------------------------------

def acknowledge_change(reg: Registration, *, by: User) -> None:
    """A reviewer has seen what changed since the approval: the mark goes, the acknowledgement is audited."""
    permissions.require(by, reg.forum_id, Permission.REVIEW)
    states.lock_forum(reg.forum_id)
    db.session.refresh(reg)
    if reg.changed_since_approval_at is None:
        raise InvalidState(_("Nothing has changed since the approval."), code="nothing_to_acknowledge")
    changed_at = reg.changed_since_approval_at
    reg.changed_since_approval_at = None
    audit.record(subject_type="registration", subject_id=reg.id, action="change_acknowledged", actor=by,
                 forum_id=reg.forum_id, changed_at=changed_at.isoformat())
    db.session.flush()
