"""Substitution: the contact person sends a colleague in a delegate's place.

The place carries over. Under the forum lock, the colleague's registration is created in the state the
delegate's was in (pending stays pending; waitlisted keeps its place in the queue; approved is approved
without taking a second place), and the delegate's becomes withdrawn through the one transition function,
with reason code states.SUBSTITUTION: that withdrawal frees no place, the substitute holds it. The two
registrations point at each other: `Registration.substituted_by_id` and the audit entries of both.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from forum import clock
from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db
from forum.errors import DomainError, InvalidState
from forum.forums.models import ForumStatus
from forum.notifications import services as mail
from forum.registration import services, states
from forum.registration.corrections import (
    CorrectionError, active_registration_with, check_may_change, check_who, email_taken_error, registration_search_key,
)
from forum.registration.disputes import dispute_link
from forum.registration.mails import account_link
from forum.registration.models import RegState, Registration


@dataclass
class SubstituteInput:
    """The colleague who goes instead."""

    full_name: str
    latin_name: str
    email: str
    position: str = ""
    phone: str = ""
    languages: list[str] = field(default_factory=list)
    language: str = ""  # of their e-mails; empty: the replaced delegate's


def check_may_substitute(user: User | None, reg: Registration, *, now: datetime | None = None) -> None:
    """Raise unless `user` may replace this delegate now. Codes, in the order they are checked: not_yours
    (only the contact person or a reviewer), forum_cancelled, forum_over, substitutions_not_allowed, not_active
    (only a pending, waitlisted or approved delegate), badge_deadline_passed (only reviewers after it)."""
    now = now or clock.now()
    check_who(user, reg, contact_only=True)
    forum = reg.forum
    if forum.status is ForumStatus.CANCELLED:
        raise InvalidState(_("This forum has been cancelled."), code="forum_cancelled")
    if now >= forum.ends_at or forum.status is ForumStatus.HELD:
        raise InvalidState(_("This forum is over."), code="forum_over")
    if not forum.allow_substitutions:
        raise InvalidState(_("This forum does not accept substitutions. Withdraw the delegate and ask the "
                             "organizers about registering someone else."), code="substitutions_not_allowed")
    check_may_change(user, reg, now=now, contact_only=True)


def may_substitute(user: User | None, reg: Registration, *, now: datetime | None = None) -> bool:
    """check_may_substitute() as a yes or no, for the links a page offers."""
    try:
        check_may_substitute(user, reg, now=now)
    except DomainError:
        return False
    return True


def validate(reg: Registration, data: SubstituteInput) -> tuple[services.DelegateInput, dict[str, str]]:
    """The colleague's data normalised as the registration form does it, and every rule it breaks."""
    d = services.DelegateInput(full_name=data.full_name, latin_name=data.latin_name, email=data.email,
                               position=data.position, phone=data.phone, languages=list(data.languages or []),
                               category=reg.category.value, language=data.language or reg.language)
    errors = services.clean_delegate(d, country=reg.company.country, default_language=reg.language)
    if "email" not in errors:
        if d.email == reg.email:
            errors["email"] = _("This is the address of the delegate being replaced: enter the colleague's own.")
        elif active_registration_with(reg.forum_id, d.email):
            errors["email"] = email_taken_error()
    return d, errors


def substitute(reg: Registration, data: SubstituteInput, *, by: User, now: datetime | None = None) -> Registration:
    """Replace `reg` by a colleague, or raise and change nothing. Returns the colleague's registration."""
    now = now or clock.now()
    forum = states.lock_forum(reg.forum_id)  # decisions, submissions and other substitutions wait for us
    db.session.refresh(reg)
    check_may_substitute(by, reg, now=now)
    company = reg.company
    d, errors = validate(reg, data)
    if errors:
        raise CorrectionError(errors)

    was = reg.state
    try:
        with db.session.begin_nested():
            user, _created = accounts.get_or_create_delegate_user(d.email, d.full_name, d.language)
            new = Registration(
                forum_id=forum.id, company_id=company.id, user_id=user.id, full_name=d.full_name,
                latin_name=d.latin_name, position=d.position, email=d.email, phone=d.phone,
                languages=list(d.languages), language=d.language,
                # The place carries over, with what was decided about it: the category (and a request for
                # one still open), whether it came late or by invitation, and when it reached its state,
                # which is the waitlist's order.
                category=reg.category, requested_category=reg.requested_category, state=was,
                is_late=reg.is_late, is_invited=reg.is_invited, created_at=now,
                state_changed_at=reg.state_changed_at, decision_reason=reg.decision_reason,
                # An approved substitute is someone the organizers have not looked at yet.
                changed_since_approval_at=now if was is RegState.APPROVED else None,
            )
            new.user = user
            new.company = company
            db.session.add(new)
            new.search_key = registration_search_key(new)
            db.session.flush()
    except IntegrityError:
        db.session.refresh(reg)
        raise CorrectionError({"email": email_taken_error()})

    audit.record(subject_type="registration", subject_id=new.id, action="substitute_created", actor=by,
                 forum_id=forum.id, to_state=was.value, substitute_for=reg.id, substitute_for_name=reg.full_name)
    # The one transition function withdraws the delegate: its reason code says the place is taken, not freed.
    states.transition(reg, RegState.WITHDRAWN, by=by, now=now, notify=False, reason_code=states.SUBSTITUTION,
                      reason=_("Replaced by %(name)s at the company's request.", name=new.full_name),
                      audit_details={"substituted_by": new.id, "substituted_by_name": new.full_name})
    reg.substituted_by_id = new.id
    db.session.flush()
    _mails(reg, new)
    return new


def _mails(old: Registration, new: Registration) -> None:
    forum, company = old.forum, old.company
    mail.queue("substituted_out", to=old.email, to_name=old.full_name, language=old.language, forum_id=forum.id,
               forum=forum, company=company, reg=old, new=new)
    mail.queue("substitute_registered", to=new.email, to_name=new.full_name, language=new.language,
               forum_id=forum.id, forum=forum, company=company, reg=new, old=old, link=account_link(new.user),
               dispute_link=dispute_link(new))
