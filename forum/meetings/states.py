"""The meeting-request state machine. `transition()` is the only code that changes a request's state.

    pending  -> accepted | declined | cancelled | expired
    accepted -> cancelled
    declined, cancelled, expired: final

Who may take which edge (the requester cancels, the other side accepts or declines, the B2B team acts for
anyone) is `requests.py`'s rule; this module owns the edges themselves, the audit entry, the signal and the
e-mail, under the forum's row lock (lock order: the forum first, then the request).
"""
from __future__ import annotations

from datetime import datetime

from blinker import Namespace
from flask_babel import gettext as _

from forum import clock
from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db
from forum.errors import InvalidInput, InvalidState
from forum.meetings.models import MeetingRequest, Priority, RequestState
from forum.registration.models import Registration
from forum.registration.states import lock_forum

S = RequestState

# Sent after every change, inside the transaction: sender=the request, frm, to, by. The scheduling side
# (scheduling.py) cancels a published meeting whose request was cancelled.
signals = Namespace()
request_changed = signals.signal("meeting-request-changed")

ALLOWED: dict[RequestState, frozenset[RequestState]] = {
    S.PENDING: frozenset({S.ACCEPTED, S.DECLINED, S.CANCELLED, S.EXPIRED}),
    S.ACCEPTED: frozenset({S.CANCELLED}),
    S.DECLINED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
}
REASON_MAX = 500


def transition(
    req: MeetingRequest,
    to: RequestState,
    *,
    by: User | None,
    reason: str = "",
    recipient: Registration | None = None,
    response_priority: Priority | None = None,
    on_behalf: bool = False,
    notify: bool = True,
    now: datetime | None = None,
) -> None:
    """Move one request to `to`, or raise InvalidState. Logs an audit entry and queues the e-mail.

    recipient: on acceptance of a request to a company, the delegate who accepts (becomes the recipient).
    on_behalf: a B2B team member acted for a delegate (recorded in the audit entry).
    """
    now = now or clock.now()
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise InvalidInput(_("Keep the reason under %(n)d characters.", n=REASON_MAX), code="reason_too_long",
                           field="reason")
    lock_forum(req.forum_id)
    db.session.refresh(req)  # another worker may have answered it a moment ago
    frm = req.state
    if to is frm:
        raise InvalidState(_("This request is already %(state)s.", state=state_label(to)), code="same_state")
    if to not in ALLOWED[frm]:
        raise InvalidState(
            _("A request that is %(from_)s cannot become %(to)s.", from_=state_label(frm), to=state_label(to)),
            code="transition_not_allowed",
        )
    if to is S.ACCEPTED:
        who = recipient or req.recipient
        if who is None:
            raise InvalidInput(_("Choose which delegate of the company meets."), code="recipient_required",
                               field="recipient")
        if who.company_id != req.target_company_id:
            raise InvalidInput(_("That delegate is not with the company the request is addressed to."),
                               code="wrong_company", field="recipient")
        if who.id == req.requester_id:
            raise InvalidInput(_("A delegate cannot meet themselves."), code="not_self", field="recipient")
        req.recipient_id = who.id
        req.recipient = who
        req.response_priority = response_priority or Priority.NICE
    req.state = to
    req.state_changed_at = now
    req.state_changed_by_id = by.id if by is not None and getattr(by, "is_authenticated", False) else None
    if to in (S.DECLINED, S.CANCELLED):
        req.reason = reason
    extra = {"on_behalf": True} if on_behalf else {}
    audit.record(subject_type="meeting_request", subject_id=req.id, action="state_change", actor=by,
                 forum_id=req.forum_id, from_state=frm.value, to_state=to.value, reason=reason, **extra)
    db.session.flush()
    request_changed.send(req, frm=frm, to=to, by=by, now=now)
    if notify:
        from forum.meetings import mails

        mails.state_mail(req, frm, to, by=by)


def state_label(state: RequestState) -> str:
    return {
        S.PENDING: _("waiting for an answer"),
        S.ACCEPTED: _("accepted"),
        S.DECLINED: _("declined"),
        S.CANCELLED: _("cancelled"),
        S.EXPIRED: _("expired"),
    }[state]


def priority_label(priority: Priority | None) -> str:
    if priority is None:
        return ""
    return {Priority.MUST: _("must meet"), Priority.NICE: _("would like to meet")}[priority]
