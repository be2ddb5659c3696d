"""Company registration: the public form, late-entry requests, invitations, manual entries, withdrawal."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from forum import clock, languages
from forum.organisations import services as organisations
from forum.teams import permissions
from forum.teams.models import Permission
from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db, nfc, too_long
from forum.errors import CapacityReached, InvalidInput, InvalidState, NotAllowed
from forum.forums.models import Forum, ForumStatus, Phase
from forum.notifications import services as mail
from forum.registration import abuse, states
from forum.registration.choices import COUNTRY_CODES, SECTORS, SPOKEN_LANGUAGES
from forum.registration.mails import submission_mails
from forum.registration.models import (
    ACTIVE_STATES, PRIVILEGED_CATEGORIES, Category, CompanyRegistration, LateInvitation, RegState, Registration, Source,
)
from forum.registration.normalize import BadPhone, is_latin, normalize_phone, normalize_website
from forum.search import search_key
from forum.text import is_one_line, is_plain_address
from forum.urls import external_url

MAX_DELEGATES = 10


@dataclass
class DelegateInput:
    full_name: str
    latin_name: str
    email: str
    position: str = ""
    phone: str = ""
    languages: list[str] = field(default_factory=list)
    category: str = Category.DELEGATE.value
    language: str = ""  # of this delegate's e-mails; empty: the form's language


@dataclass
class CompanyInput:
    legal_name: str
    name_en: str
    country: str
    city: str
    sector: str
    contact_name: str
    contact_email: str
    delegates: list[DelegateInput]
    privacy_accepted: bool
    website: str = ""
    profile: str = ""
    contact_phone: str = ""
    contact_position: str = ""
    directory_consent: bool = False
    late_reason: str = ""
    endorsed_by: str = ""
    language: str = "en"  # of the person filling in the form: their e-mails come in it


class SubmissionError(InvalidInput):
    """Several field errors at once: {field name: message}. Nothing was saved."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_("Please correct the marked fields."), code="invalid_submission")
        self.errors = errors


# Fields that can end up in a mail header (a subject, the name in To) or on one line of a badge or a list.
ONE_LINE_FIELDS = ("legal_name", "name_en", "city", "contact_name", "contact_position", "endorsed_by")
ONE_LINE_DELEGATE_FIELDS = ("full_name", "latin_name", "position")


def _one_line_error() -> str:
    return _("Write this on one line: line breaks are not allowed here.")


def _clean(data: CompanyInput) -> dict[str, str]:
    """Normalise in place and collect every rule the input breaks (field name -> message)."""
    errors: dict[str, str] = {}
    data.language = languages.known(data.language)
    for name in ("legal_name", "name_en", "city", "contact_name", "profile", "contact_position",
                 "late_reason", "endorsed_by"):
        setattr(data, name, nfc(getattr(data, name)) or "")
    for name in ("legal_name", "name_en", "city", "contact_name"):
        if not getattr(data, name):
            errors[name] = _("This field is required.")
    for name in ONE_LINE_FIELDS:
        if not is_one_line(getattr(data, name)):
            errors[name] = _one_line_error()
    data.contact_email = accounts.normalize_email(data.contact_email or "")
    if not is_plain_address(data.contact_email):
        errors["contact_email"] = _("Enter a valid e-mail address.")
    data.country = (data.country or "").upper()
    if data.country not in COUNTRY_CODES:
        errors["country"] = _("Choose a country from the list.")
    if (data.sector or "") not in SECTORS:
        errors["sector"] = _("Choose a sector from the list.")
    data.website = normalize_website(data.website)
    try:
        data.contact_phone = normalize_phone(data.contact_phone, data.country)
    except BadPhone:
        errors["contact_phone"] = _("This does not look like a phone number. Include the country code, e.g. +7 701 123 4567.")
    if not data.privacy_accepted:
        errors["privacy_accepted"] = _("Registration needs your agreement to the privacy notice.")
    if not 1 <= len(data.delegates) <= MAX_DELEGATES:
        errors["delegates"] = _("Register between 1 and %(n)d delegates.", n=MAX_DELEGATES)
    seen: dict[str, int] = {}
    for i, d in enumerate(data.delegates):
        prefix = f"delegates-{i}-"
        errors.update(clean_delegate(d, country=data.country, default_language=data.language, prefix=prefix))
        if d.email in seen and prefix + "email" not in errors:
            errors[prefix + "email"] = _("This e-mail is already used for another delegate in this form.")
        seen.setdefault(d.email, i)
    _check_lengths(errors, data, _COMPANY_COLUMNS)
    return errors


def clean_delegate(d: DelegateInput, *, country: str, default_language: str, prefix: str = "") -> dict[str, str]:
    """One delegate's fields normalised in place (NFC, e-mail, phone in the company's country), and every rule
    they break as {prefix + field name: message}. The form, corrections and substitutions all use it."""
    errors: dict[str, str] = {}
    d.full_name, d.latin_name, d.position = nfc(d.full_name) or "", nfc(d.latin_name) or "", nfc(d.position) or ""
    if not d.full_name:
        errors[prefix + "full_name"] = _("This field is required.")
    if not d.latin_name:
        errors[prefix + "latin_name"] = _("This field is required.")
    elif not is_latin(d.latin_name):
        errors[prefix + "latin_name"] = _("Write the name in Latin letters, as in the passport.")
    for name in ONE_LINE_DELEGATE_FIELDS:
        if not is_one_line(getattr(d, name)):
            errors[prefix + name] = _one_line_error()
    d.email = accounts.normalize_email(d.email or "")
    if not is_plain_address(d.email):
        errors[prefix + "email"] = _("Enter a valid e-mail address.")
    try:
        d.phone = normalize_phone(d.phone, country)
    except BadPhone:
        errors[prefix + "phone"] = _("This does not look like a phone number. Include the country code.")
    if any(code not in SPOKEN_LANGUAGES for code in d.languages or []):
        errors[prefix + "languages"] = _("Choose languages from the list.")
    if d.category not in {c.value for c in Category}:
        errors[prefix + "category"] = _("Choose a category from the list.")
    d.language = d.language or default_language
    if d.language not in languages.CODES:
        errors[prefix + "language"] = _("Choose a language from the list.")
    _check_lengths(errors, d, _DELEGATE_COLUMNS, prefix)
    return errors


# Text that goes into a bounded column, checked once normalised (NFC can lengthen it; see db.too_long).
_COMPANY_COLUMNS = {name: getattr(CompanyRegistration, name) for name in (
    "legal_name", "name_en", "city", "website", "contact_name", "contact_email", "contact_phone",
    "contact_position", "endorsed_by")}
_DELEGATE_COLUMNS = {name: getattr(Registration, name) for name in (
    "full_name", "latin_name", "position", "email", "phone")}


def _check_lengths(errors: dict[str, str], obj: object, columns: dict, prefix: str = "") -> None:
    for name, column in columns.items():
        if limit := too_long(column, getattr(obj, name)):
            errors.setdefault(prefix + name, _("At most %(n)d characters.", n=limit))


def validate(forum: Forum, data: CompanyInput, *, needs_reason: bool, manual: bool = False,
             tell_owners: bool = False) -> dict[str, str]:
    """Every rule the input breaks, as {field name: message}; normalises `data` in place.

    Saves nothing of the registration. Outside an organizer's manual entry, an address that is already
    registered is refused without saying so (the form is public: it must not confirm who is registered);
    with `tell_owners` its owner is mailed instead, with the link that frees it (the caller commits that).
    """
    errors = _clean(data)
    if needs_reason and not data.late_reason:
        errors["late_reason"] = _("Tell the organizers why you are registering after the deadline.")
    if not manual:
        # An organizer may enter any category; on the form a company may only ask for the forum's public ones.
        allowed = set(public_categories(forum))
        for i, d in enumerate(data.delegates):
            if d.category not in allowed:
                errors.setdefault(f"delegates-{i}-category", _("Choose a category from the list."))
    taken = _already_registered(forum, [d.email for d in data.delegates if d.email])
    for name, message in _taken_errors(data, taken, manual=manual).items():
        errors.setdefault(name, message)
    if taken and tell_owners and not manual:
        abuse.tell_address_owners(forum, taken)
    return errors


def _taken_errors(data: CompanyInput, taken: set[str], *, manual: bool) -> dict[str, str]:
    """The once-per-forum refusal, next to each delegate whose address is taken. Only organizers are told
    plainly that the person is registered; the public form must not confirm it to anyone."""
    refusal = (_("This person is already registered for this forum.") if manual else
               _("This address cannot be registered with this form. If it is yours, check your inbox."))
    return {f"delegates-{i}-email": refusal for i, d in enumerate(data.delegates) if d.email in taken}


def public_categories(forum: Forum) -> list[str]:
    """The categories the public form offers for this forum, in the usual order; delegate always."""
    chosen = set(forum.public_categories or []) | {Category.DELEGATE.value}
    return [c.value for c in Category if c.value in chosen]


def _already_registered(forum: Forum, emails: list[str]) -> set[str]:
    return set(db.session.scalars(
        sa.select(Registration.email).where(
            Registration.forum_id == forum.id, Registration.email.in_(emails), Registration.state.in_(ACTIVE_STATES)
        )
    ))


def submit(
    forum: Forum,
    data: CompanyInput,
    *,
    now: datetime | None = None,
    by: User | None = None,
    invitation: LateInvitation | None = None,
    manual: bool = False,
    address: str | None = None,
) -> CompanyRegistration:
    """Create a company's registration with its delegates, all pending; or raise and save nothing.

    Which kind it is follows from the forum's phase: open -> online; after the deadline -> a late
    request (needs a reason); with an invitation or entered by an organizer -> any time.

    `address` is the network address the public form came from: with the contact address, it is what
    the hourly caps count. After a SubmissionError the caller commits too: the only rows written then
    are the notices to the owners of refused addresses (see validate).
    """
    now = now or clock.now()
    source, late = entry_kind(forum, invitation=invitation, manual=manual, by=by, now=now)
    errors = validate(forum, data, needs_reason=needs_late_reason(source), manual=manual, tell_owners=not manual)
    if errors:
        raise SubmissionError(errors)
    if source in abuse.PUBLIC_SOURCES:
        abuse.check_hourly_caps(data.contact_email, address, len(data.delegates), now=now)

    # The forum row first, before any row that references it (the house lock order): a cancellation,
    # a decision and another submission in this forum wait for us, or we for them. Then what was
    # checked above is checked again under the lock: the forum may have been cancelled or closed,
    # and a delegate registered, in the meantime.
    forum = states.lock_forum(forum.id)
    source, late = entry_kind(forum, invitation=invitation, manual=manual, by=by, now=now)
    if needs_late_reason(source) and not data.late_reason:
        raise SubmissionError({"late_reason": _("Tell the organizers why you are registering after the deadline.")})
    taken = _taken_errors(data, _already_registered(forum, [d.email for d in data.delegates]), manual=manual)
    if taken:
        raise SubmissionError(taken)

    try:
        with db.session.begin_nested():
            if invitation is not None:
                _use_invitation(invitation, now)
            company = _create(forum, data, now=now, by=by, source=source, late=late, invitation=invitation,
                              address=address if source in abuse.PUBLIC_SOURCES else None)
    except IntegrityError:
        # The unique index has the last word; under the forum lock the check above should have seen it coming.
        raise SubmissionError(_taken_errors(data, _already_registered(forum, [d.email for d in data.delegates]),
                                            manual=manual) or {
            "delegates": _("One of these delegates was registered a moment ago by someone else.")})

    if invitation is not None and invitation.auto_approve:
        for reg in company.delegates:
            try:
                # notify=False: the submission mails below tell each person once, approval included
                states.transition(reg, RegState.APPROVED, by=invitation.created_by, now=now, notify=False,
                                  reason=_("Approved on submission of a late-entry invitation."))
            except CapacityReached:
                pass  # full: stays pending for an organizer, who sees it in the late queue
    submission_mails(company)
    return company


def entry_kind(forum: Forum, *, invitation: LateInvitation | None = None, manual: bool = False,
               by: User | None = None, now: datetime | None = None) -> tuple[Source, bool]:
    """What a submission right now would be, (source, late), or why none is possible.

    It follows from the forum's phase: open -> online; after the deadline -> a late request;
    with an invitation or entered by an organizer -> any time until the forum is over or cancelled.
    """
    now = now or clock.now()
    phase = forum.phase(now)
    if manual:
        if not permissions.has_permission(by, forum, Permission.REVIEW):
            raise NotAllowed(_("Only the forum's reviewers can add registrations by hand."), code="forbidden")
        if forum.status in (ForumStatus.CANCELLED, ForumStatus.HELD):
            raise InvalidState(_("This forum is over or cancelled."), code="forum_unavailable")
        return Source.MANUAL, phase is Phase.LATE
    if invitation is not None:
        if invitation.forum_id != forum.id or not invitation.is_usable(now):
            raise InvalidState(_("This invitation link has expired or has already been used."), code="invitation_unusable")
        if phase is Phase.UNAVAILABLE:
            raise InvalidState(_("Registration for this forum is not possible any more."), code="forum_unavailable")
        return Source.INVITATION, True
    if phase is Phase.OPEN:
        return Source.ONLINE, False
    if phase is Phase.LATE:
        return Source.LATE_REQUEST, True
    if phase is Phase.NOT_YET_OPEN:
        raise InvalidState(_("Registration has not opened yet."), code="not_open_yet")
    raise InvalidState(_("Registration for this forum is not possible."), code="forum_unavailable")


def needs_late_reason(source: Source) -> bool:
    """Only a late request asks why: an invitation or an organizer has already said yes."""
    return source is Source.LATE_REQUEST


def _create(forum: Forum, data: CompanyInput, *, now, by, source, late, invitation, address=None) -> CompanyRegistration:
    contact, _created = accounts.get_or_create_delegate_user(data.contact_email, data.contact_name, data.language)
    organisation = organisations.find_or_create(
        country=data.country, legal_name=data.legal_name, name_en=data.name_en, city=data.city, sector=data.sector,
        website=data.website)
    company = CompanyRegistration(
        forum_id=forum.id, organisation_id=organisation.id, legal_name=data.legal_name, name_en=data.name_en, country=data.country, city=data.city,
        sector=data.sector, website=data.website, profile=data.profile, contact_name=data.contact_name,
        contact_email=data.contact_email, contact_phone=data.contact_phone, contact_position=data.contact_position,
        contact_user_id=contact.id, contact_language=data.language, directory_consent=data.directory_consent, privacy_accepted_at=now,
        source=source, is_late=late, late_reason=data.late_reason, endorsed_by=data.endorsed_by,
        invitation_id=invitation.id if invitation else None, created_by_id=by.id if by else None, created_at=now,
        search_key=search_key(data.legal_name, data.name_en), submitted_from=(address or None) and address[:45],
    )
    company.forum = forum
    db.session.add(company)
    db.session.flush()
    for d in data.delegates:
        user, _c = accounts.get_or_create_delegate_user(d.email, d.full_name, d.language)
        category, requested = Category(d.category), None
        if category in PRIVILEGED_CATEGORIES and source is not Source.MANUAL:
            # Asked for on the form: a delegate until an organizer confirms it.
            category, requested = Category.DELEGATE, category
        reg = Registration(
            forum_id=forum.id, company_id=company.id, user_id=user.id, full_name=d.full_name,
            latin_name=d.latin_name, position=d.position, email=d.email, phone=d.phone,
            languages=list(d.languages), language=d.language, category=category, requested_category=requested,
            state=RegState.PENDING,
            is_late=late, is_invited=invitation is not None, created_at=now, state_changed_at=now,
            search_key=search_key(d.full_name, d.latin_name, d.email, data.legal_name, data.name_en),
        )
        reg.user = user
        company.delegates.append(reg)
    db.session.flush()
    audit.record(subject_type="company", subject_id=company.id, action="submitted", actor=by, forum_id=forum.id,
                 source=source.value, late=late, delegates=len(data.delegates))
    for reg in company.delegates:
        extra = {"requested_category": reg.requested_category.value} if reg.requested_category else {}
        audit.record(subject_type="registration", subject_id=reg.id, action="created", actor=by,
                     forum_id=forum.id, to_state=RegState.PENDING.value, reason=data.late_reason,
                     source=source.value, **extra)
    if invitation is not None:
        audit.record(subject_type="invitation", subject_id=invitation.id, action="used", actor=by,
                     forum_id=forum.id, company_id=company.id)
    return company


# --- what a contact person or delegate may see and do ----------------------------------------

def company_by_public_id(public_id: str) -> CompanyRegistration | None:
    return db.session.scalar(sa.select(CompanyRegistration).where(CompanyRegistration.public_id == public_id))


def registration_by_public_id(public_id: str) -> Registration | None:
    return db.session.scalar(sa.select(Registration).where(Registration.public_id == public_id))


def can_view_company(user: User, company: CompanyRegistration) -> bool:
    return user.is_authenticated and (
        company.contact_user_id == user.id or permissions.has_permission(user, company.forum_id, Permission.REVIEW))


def can_view_registration(user: User, reg: Registration) -> bool:
    return user.is_authenticated and (
        reg.user_id == user.id or reg.company.contact_user_id == user.id
        or permissions.has_permission(user, reg.forum_id, Permission.REVIEW)
    )


def withdraw(reg: Registration, *, by: User, reason: str = "") -> None:
    """The delegate, the company's contact person or an organizer takes a delegate off the list."""
    if not can_view_registration(by, reg):
        raise NotAllowed(_("You cannot change this registration."), code="not_yours")
    states.transition(reg, RegState.WITHDRAWN, by=by, reason=reason)


def my_companies(user: User) -> list[CompanyRegistration]:
    companies = list(db.session.scalars(
        sa.select(CompanyRegistration).options(joinedload(CompanyRegistration.forum), selectinload(CompanyRegistration.delegates))
        .where(CompanyRegistration.contact_user_id == user.id).order_by(CompanyRegistration.created_at.desc())
    ).unique())
    for company in companies:
        link_delegates(company)
    return companies


def link_delegates(company: CompanyRegistration) -> None:
    """Give each delegate its way back to the company without a query per delegate: the key is composite
    (company, forum), so the ORM does not find the company in its identity map by itself."""
    for reg in company.delegates:
        set_committed_value(reg, "company", company)


def my_registrations(user: User) -> list[Registration]:
    return list(db.session.scalars(
        sa.select(Registration).options(joinedload(Registration.forum), joinedload(Registration.company))
        .where(Registration.user_id == user.id).order_by(Registration.created_at.desc())
    ))


# --- late-entry invitations -------------------------------------------------------------------

def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(
    forum: Forum, *, company_name: str, email: str, by: User, days_valid: int = 7,
    auto_approve: bool = False, note: str = "", language: str = "en", now: datetime | None = None,
) -> tuple[LateInvitation, str]:
    """A single-use link, valid for `days_valid` days, mailed to the company. Returns it and its secret."""
    now = now or clock.now()
    permissions.require(by, forum, Permission.REVIEW)
    if forum.phase(now) is Phase.UNAVAILABLE:
        raise InvalidState(_("Registration for this forum is not possible any more."), code="forum_unavailable")
    company_name, email = nfc(company_name) or "", accounts.normalize_email(email)
    if not company_name:
        raise InvalidInput(_("This field is required."), code="company_required", field="company_name")
    if not is_one_line(company_name):  # it is the name in the mail's To header
        raise InvalidInput(_one_line_error(), code="line_break", field="company_name")
    if limit := too_long(LateInvitation.company_name, company_name):
        raise InvalidInput(_("At most %(n)d characters.", n=limit), code="too_long", field="company_name")
    if not is_plain_address(email):
        raise InvalidInput(_("Enter a valid e-mail address."), code="bad_email", field="email")
    if limit := too_long(LateInvitation.email, email):
        raise InvalidInput(_("At most %(n)d characters.", n=limit), code="too_long", field="email")
    if not 1 <= days_valid <= 60:
        raise InvalidInput(_("Choose between 1 and 60 days."), code="bad_days", field="days_valid")
    token = secrets.token_urlsafe(32)
    inv = LateInvitation(forum_id=forum.id, token_hash=_hash(token), company_name=company_name, email=email,
                         note=nfc(note) or "", auto_approve=auto_approve, expires_at=now + timedelta(days=days_valid),
                         created_by_id=by.id, created_at=now)
    inv.forum = forum
    inv.created_by = by
    db.session.add(inv)
    db.session.flush()
    audit.record(subject_type="invitation", subject_id=inv.id, action="created", actor=by, forum_id=forum.id,
                 company_name=company_name, email=email, auto_approve=auto_approve, days_valid=days_valid)
    mail.queue("invitation", to=email, to_name=company_name, language=language, forum_id=forum.id, forum=forum, invitation=inv,
               link=external_url("registration.invitation", token=token))
    return inv, token


def _use_invitation(invitation: LateInvitation, now: datetime) -> None:
    """Mark the invitation used, once: a conditional UPDATE that only one transaction can win.

    Expiry was checked by entry_kind(). Two submissions at the same moment both passed it; on PostgreSQL the second
    UPDATE waits for the first one's row lock and then finds `used_at` set, so it matches no row.
    """
    result = db.session.execute(
        sa.update(LateInvitation)
        .where(LateInvitation.id == invitation.id, LateInvitation.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise InvalidState(_("This invitation link has expired or has already been used."), code="invitation_unusable")
    invitation.used_at = now


def usable_invitation(token: str, now: datetime | None = None) -> tuple[LateInvitation | None, bool]:
    """The invitation behind a link, and whether it can still be used (unused, unexpired, forum open)."""
    inv = find_invitation(token)
    if inv is None:
        return None, False
    try:
        entry_kind(inv.forum, invitation=inv, now=now)
    except InvalidState:
        return inv, False
    return inv, True


def find_invitation(token: str) -> LateInvitation | None:
    return db.session.scalar(sa.select(LateInvitation).where(LateInvitation.token_hash == _hash(token)))
