"""'This wasn't me': the owner of an e-mail address withdraws a registration someone else made with it.

Someone who registers a stranger's address first would otherwise lock the stranger out (an address
registers once per forum). Every mail that tells an address it was registered carries a signed link;
whoever reads that mailbox owns the address, and can free it. The withdrawal goes through the state
machine and is marked, so organizers see the dispute.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from forum import clock
from forum.audit import services as audit
from forum.db import db
from forum.errors import InvalidState, NotAllowed
from forum.registration import states
from forum.registration.models import RegState, Registration
from forum.urls import external_url

# Stored as the withdrawal's reason (the audit trail is read in any language; the "disputed" entry
# next to it is shown translated).
REASON = "disputed by the address owner"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="forum.dispute")


def dispute_token(reg: Registration) -> str:
    # The address is part of what is signed: the link frees this registration of this address, nothing else.
    # The registration is named by its public id: a signed token can be read by anyone who has the link.
    return _serializer().dumps({"p": reg.public_id, "e": reg.email})


def dispute_link(reg: Registration) -> str:
    return external_url("registration.dispute", token=dispute_token(reg))


def registration_from_token(token: str) -> Registration:
    try:
        data = _serializer().loads(token, max_age=current_app.config["DISPUTE_LINK_MAX_AGE"])
    except SignatureExpired:
        raise NotAllowed(_("This link has expired. Write to the organizers of the forum."), code="token_expired")
    except BadSignature:
        raise NotAllowed(_("This link is not valid."), code="token_invalid")
    reg = None
    if isinstance(data, dict) and isinstance(data.get("p"), str):
        reg = db.session.scalar(sa.select(Registration).where(Registration.public_id == data["p"]))
    elif isinstance(data, dict) and isinstance(data.get("r"), int):
        # Links mailed before registrations had public ids, still signed and valid until they expire.
        reg = db.session.get(Registration, data["r"])
    if reg is None or reg.email != data.get("e"):
        raise NotAllowed(_("This link is not valid."), code="token_invalid")
    return reg


def dispute(reg: Registration, *, address: str | None = None, now: datetime | None = None) -> None:
    """Withdraw a registration its address's owner did not make; audited and marked for the organizers."""
    now = now or clock.now()
    if not reg.is_active:
        raise InvalidState(_("This registration is no longer active: your address is free."), code="not_active")
    # The owner of the address is the account with that address: they act here, not the company.
    states.transition(reg, RegState.WITHDRAWN, by=reg.user, reason=REASON, now=now)
    reg.disputed_at = now
    audit.record(subject_type="registration", subject_id=reg.id, action="disputed", actor=reg.user,
                 forum_id=reg.forum_id, address=address or "")
