"""What keeps the public registration form from being used against others.

- An hourly cap on the delegates one contact address or one network address can register (counted in the
  database, so it holds across workers and restarts; Flask-Limiter limits the requests themselves).
- A honeypot field: a bot that fills it is told "thank you", and nothing is saved or sent.
- The owner of an address that is already registered is told when the public form refuses it, with the
  link that frees it (registration.disputes), at most once a day per forum.

The caps are counted, not locked: two submissions at the same instant may both pass the last free place
of a cap. That is fine for a cap whose point is "not hundreds an hour".
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from forum import clock
from forum.audit import services as audit
from forum.db import db
from forum.errors import DomainError
from forum.forums.models import Forum
from forum.notifications import services as mail
from forum.notifications.models import OutboxMessage
from forum.registration.models import ACTIVE_STATES, CompanyRegistration, Registration, Source

PUBLIC_SOURCES = (Source.ONLINE, Source.LATE_REQUEST)
# One "someone tried to register your address" mail per address and forum in this time, however often
# the form is tried: the notice must not become a way to flood the owner instead.
NOTICE_INTERVAL = timedelta(hours=24)
HOUR = timedelta(hours=1)


class TooManyRegistrations(DomainError):
    status = 429


def delegates_in_last_hour(*, contact_email: str | None = None, address: str | None = None,
                           now: datetime | None = None) -> int:
    """Delegates registered through the public form in the last hour by this contact address, or from this
    network address, over all forums."""
    since = (now or clock.now()) - HOUR
    stmt = (sa.select(sa.func.count(Registration.id)).join(Registration.company)
            .where(CompanyRegistration.created_at > since, CompanyRegistration.source.in_(PUBLIC_SOURCES)))
    if contact_email is not None:
        stmt = stmt.where(CompanyRegistration.contact_email == contact_email)
    else:
        stmt = stmt.where(CompanyRegistration.submitted_from == address)
    return db.session.scalar(stmt) or 0


def check_hourly_caps(contact_email: str, address: str | None, n_delegates: int, *,
                      now: datetime | None = None) -> None:
    """Raise TooManyRegistrations when these delegates would take the contact address or the network address
    past its hourly cap. A company's ten delegates, or a chamber registering a few companies in a row, fit."""
    per_contact = current_app.config["REGISTRATION_HOURLY_DELEGATES_PER_CONTACT"]
    if delegates_in_last_hour(contact_email=contact_email, now=now) + n_delegates > per_contact:
        raise TooManyRegistrations(
            _("This contact address has registered the most delegates allowed in one hour (%(n)d). "
              "Please try again in an hour, or write to the organizers.", n=per_contact),
            code="hourly_cap_contact", field="contact_email")
    per_address = current_app.config["REGISTRATION_HOURLY_DELEGATES_PER_ADDRESS"]
    if address and delegates_in_last_hour(address=address, now=now) + n_delegates > per_address:
        raise TooManyRegistrations(
            _("Too many delegates have been registered from your network in the last hour. "
              "Please try again in an hour, or write to the organizers."),
            code="hourly_cap_address")


def caught_by_honeypot(forum: Forum, value: str | None, *, address: str | None, contact_email: str = "") -> bool:
    """True when the hidden field a person never sees was filled in: audited and logged; the caller
    pretends success and saves nothing else."""
    if not value:
        return False
    audit.record(subject_type="forum", subject_id=forum.id, action="honeypot", actor=None, forum_id=forum.id,
                 address=address or "", contact_email=(contact_email or "")[:254])
    current_app.logger.warning("registration: honeypot filled on %s from %s; nothing saved", forum.slug, address)
    return True


def tell_address_owners(forum: Forum, emails: set[str], *, now: datetime | None = None) -> int:
    """Mail the owner of each address the public form just refused as already registered: someone tried,
    and here is the link to free the address if the registration is not theirs. Returns the mails queued."""
    from forum.registration.disputes import dispute_link

    now = now or clock.now()
    if not emails:
        return 0
    regs = db.session.scalars(
        sa.select(Registration).where(Registration.forum_id == forum.id, Registration.email.in_(emails),
                                      Registration.state.in_(ACTIVE_STATES))
    ).all()
    recent = set(db.session.scalars(
        sa.select(OutboxMessage.to_addr).where(
            OutboxMessage.template == "address_taken", OutboxMessage.forum_id == forum.id,
            OutboxMessage.to_addr.in_(emails), OutboxMessage.created_at > now - NOTICE_INTERVAL)
    ))
    queued = 0
    for reg in regs:
        if reg.email in recent:
            continue
        mail.queue("address_taken", to=reg.email, to_name=reg.full_name, language=reg.language, forum_id=forum.id,
                   forum=forum, company=reg.company, reg=reg, link=dispute_link(reg))
        queued += 1
    return queued
