"""A delegate's private calendar subscription URL: /calendar/<registration public id>/<token>.ics, no sign-in.

The token is an HMAC of the registration's public id and its calendar version (AgendaState.calendar_version, 1
until the first renewal) under the app's SECRET_KEY: nothing secret is stored, and renewing (version + 1) makes
every older URL a 404. Only an approved registration has a calendar: a withdrawn or cancelled one is a 404, but
for one cancelled with its whole forum, whose feed shows every meeting cancelled.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from forum import clock
from forum.accounts.models import User
from forum.agendas import changes
from forum.audit import services as audit
from forum.db import db
from forum.forums.models import ForumStatus
from forum.registration.models import RegState, Registration
from forum.urls import external_url

TOKEN_LENGTH = 26  # 156 bits of the HMAC-SHA256: unguessable, and short enough to copy by hand


def token(secret: str | bytes, reg_public_id: str, version: int) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    mac = hmac.new(key, f"agenda-ics:{reg_public_id}:{version}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")[:TOKEN_LENGTH]


def version_of(reg: Registration) -> int:
    state = changes.state_of(reg)
    return state.calendar_version if state is not None else 1


def token_for(reg: Registration) -> str:
    return token(current_app.config["SECRET_KEY"], reg.public_id, version_of(reg))


def url_for_reg(reg: Registration) -> str:
    """The absolute subscription URL (https://… as BASE_URL says)."""
    return external_url("agenda_calendar.feed", reg_pid=reg.public_id, token=token_for(reg))


def webcal_url(url: str) -> str:
    """The same URL with the webcal:// scheme, which calendar apps open as a subscription."""
    return "webcal://" + url.split("://", 1)[1] if "://" in url else url


def cancelled_with_forum(reg: Registration) -> bool:
    """Approved when its forum was cancelled (forums.cancellation): the calendar app keeps fetching the feed,
    which now says every meeting is CANCELLED, so the events leave the delegate's calendar."""
    return (reg.state is RegState.CANCELLED and reg.state_before_cancellation is RegState.APPROVED
            and reg.forum.status is ForumStatus.CANCELLED)


def find(reg_public_id: str, given: str) -> Registration | None:
    """The approved registration whose current subscription token is `given`, else None (wrong, renewed away,
    withdrawn, cancelled: the same None)."""
    reg = db.session.scalar(sa.select(Registration).where(Registration.public_id == reg_public_id.lower()))
    if reg is None or not (reg.state is RegState.APPROVED or cancelled_with_forum(reg)):
        return None
    if not hmac.compare_digest(token_for(reg).encode(), given.encode("utf-8", "replace")):
        return None
    return reg


def renew(reg: Registration, *, by: User | None, now: datetime | None = None) -> str:
    """A new subscription URL for reg; the old one stops working at once. Audited; returns the new URL."""
    now = now or clock.now()
    state = changes.state_for_update(reg)
    old = state.calendar_version
    state.calendar_version = old + 1
    state.calendar_renewed_at = now
    db.session.flush()
    audit.record(subject_type="registration", subject_id=reg.id, action="calendar_url_renewed", actor=by,
                 forum_id=reg.forum_id, from_version=old, to_version=state.calendar_version)
    return url_for_reg(reg)
