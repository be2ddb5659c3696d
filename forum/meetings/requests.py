"""Meeting requests: who may ask whom, who may answer, the quota, the deadline. Every rule in one place;
the state edges themselves are `states.transition`.

- A participating delegate (participation.takes_part) asks a participating delegate of another company, or the
  company itself (any of its participating delegates may then accept: they become the recipient).
- One open request from a delegate to a company at a time (a partial unique index), and none when the other
  side already asked them (they answer that one instead).
- At most `open_request_quota` pending requests sent per delegate, counted under the forum's row lock.
- The other side accepts or declines; either side cancels; the B2B team does any of these for anyone
  (`on_behalf`, audited). Nobody else sees or touches a request (`can_view`, `side_of`).
- Pending requests expire at the forum's request deadline (`expire_due`, run by the worker and the CLI).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from forum import clock
from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db, nfc
from forum.errors import InvalidInput, InvalidState, NotAllowed
from forum.forums.models import Forum
from forum.meetings import participation, states
from forum.meetings.models import (OPEN_REQUEST_STATES, B2BSettings, MeetingRequest, MeetingSession, Priority,
                                   RequestState)
from forum.registration.models import CompanyRegistration, Registration
from forum.registration.states import lock_forum
from forum.teams import permissions
from forum.teams.models import Permission

MESSAGE_MAX = 500
S = RequestState


def deadline(forum: Forum) -> datetime | None:
    """When pending requests expire: the forum's request deadline, else the start of its first meeting session."""
    # Read, never created here: the delegate's overview (a GET) asks for it too.
    s = db.session.scalar(sa.select(B2BSettings).where(B2BSettings.forum_id == forum.id))
    if s is not None and s.request_deadline is not None:
        return s.request_deadline
    return db.session.scalar(sa.select(sa.func.min(MeetingSession.starts_at)).where(MeetingSession.forum_id == forum.id))


def is_team(user: User | None, forum: Forum | int) -> bool:
    return permissions.has_permission(user, forum, Permission.B2B)


def side_of(user: User | None, req: MeetingRequest) -> str | None:
    """'requester' or 'recipient' when the user is that side of the request (for a request to a company still
    waiting, any participating delegate of the company is the recipient side), else None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if req.requester.user_id == user.id:
        return "requester"
    if req.recipient_id is not None:
        return "recipient" if req.recipient.user_id == user.id else None
    mine = participation.participation_in(user, req.forum)
    if mine is not None and mine.company_id == req.target_company_id:
        return "recipient"
    return None


def can_view(user: User | None, req: MeetingRequest) -> bool:
    return side_of(user, req) is not None or is_team(user, req.forum_id)


def pending_sent(reg: Registration) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(MeetingRequest).where(
        MeetingRequest.requester_id == reg.id, MeetingRequest.state == S.PENDING)) or 0


def create(
    requester: Registration,
    *,
    company: CompanyRegistration,
    recipient: Registration | None = None,
    message: str = "",
    priority: Priority = Priority.NICE,
    by: User | None,
    reason: str = "",
    now: datetime | None = None,
) -> MeetingRequest:
    """`requester` asks `recipient` (a delegate of `company`), or the company when recipient is None.

    `by` is the requester's own user, or a B2B team member acting for them (audited as on behalf, with the
    team's `reason`; the requester is told by e-mail that a request was made in their name).
    """
    now = now or clock.now()
    forum = lock_forum(requester.forum_id)
    on_behalf = by is None or requester.user_id != by.id
    if on_behalf and by is not None and not is_team(by, forum):
        raise NotAllowed(_("You can only send requests as yourself."), code="not_your_registration")
    message = nfc((message or "").strip())
    reason = nfc((reason or "").strip())
    if len(reason) > states.REASON_MAX:
        raise InvalidInput(_("Keep the reason under %(n)d characters.", n=states.REASON_MAX), code="reason_too_long",
                           field="reason")
    if len(message) > MESSAGE_MAX:
        raise InvalidInput(_("Keep the message under %(n)d characters.", n=MESSAGE_MAX), code="message_too_long",
                           field="message")
    if not isinstance(priority, Priority):
        raise InvalidInput(_("Choose a priority."), code="priority_invalid", field="priority")
    if not participation.takes_part(requester):
        raise InvalidState(_("Only approved delegates who take part in the B2B meetings can send requests."),
                           code="requester_not_participating")
    if company.forum_id != forum.id:
        raise InvalidInput(_("That company is not at this forum."), code="wrong_forum", field="company")
    if company.id == requester.company_id:
        raise InvalidInput(_("Colleagues from the same company cannot request a meeting with each other."),
                           code="same_company", field="company")
    if recipient is not None:
        if recipient.company_id != company.id:
            raise InvalidInput(_("That delegate is not with that company."), code="wrong_company", field="recipient")
        if not participation.takes_part(recipient):
            raise InvalidState(_("This delegate does not take part in B2B meetings."),
                               code="recipient_not_participating")
    else:
        others = [r for r in company.delegates if participation.takes_part(r)]
        if not company.directory_consent or not others:
            raise InvalidState(_("This company does not take part in B2B meetings."),
                               code="recipient_not_participating")
    due = deadline(forum)
    if due is not None and now >= due:
        raise InvalidState(_("The deadline for meeting requests has passed."), code="deadline_passed")
    # The other side already asked: they answer that one instead of crossing requests.
    crossing = db.session.scalar(sa.select(MeetingRequest.id).where(
        MeetingRequest.requester_id.in_([recipient.id] if recipient is not None
                                        else [r.id for r in company.delegates]),
        MeetingRequest.target_company_id == requester.company_id,
        sa.or_(MeetingRequest.recipient_id.is_(None), MeetingRequest.recipient_id == requester.id),
        MeetingRequest.state.in_(OPEN_REQUEST_STATES)).limit(1))
    if crossing is not None:
        raise InvalidState(_("They have already asked you for a meeting: answer their request instead."),
                           code="crossing_request")
    existing = db.session.scalar(sa.select(MeetingRequest.id).where(
        MeetingRequest.requester_id == requester.id, MeetingRequest.target_company_id == company.id,
        MeetingRequest.state.in_(OPEN_REQUEST_STATES)).limit(1))
    if existing is not None:
        raise InvalidState(_("You already have a request open with this company."), code="duplicate_request")
    quota = participation.settings(forum).open_request_quota
    if pending_sent(requester) >= quota:
        raise InvalidState(
            _("You have %(n)d requests waiting for an answer, the most this forum allows. Wait for answers or "
              "cancel one.", n=quota), code="quota_reached")
    req = MeetingRequest(forum_id=forum.id, requester_id=requester.id, target_company_id=company.id,
                         recipient_id=recipient.id if recipient is not None else None, message=message,
                         priority=priority, state=S.PENDING, created_at=now, state_changed_at=now,
                         created_by_id=by.id if by is not None else None)
    db.session.add(req)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise InvalidState(_("You already have a request open with this company."), code="duplicate_request")
    audit.record(subject_type="meeting_request", subject_id=req.id, action="created", actor=by, forum_id=forum.id,
                 to_state=S.PENDING.value, reason=reason, **({"on_behalf": True} if on_behalf else {}))
    from forum.meetings import mails

    mails.received_mail(req)
    if on_behalf and by is not None:
        mails.created_for_you_mail(req)
    return req


def _check_side(req: MeetingRequest, by: User | None, allowed_sides: tuple[str, ...], as_side: bool = False) -> bool:
    """Whether `by` acts as one of the allowed sides (False) or on behalf as the B2B team (True); else raise.

    as_side: `by` acts only as themselves (the delegate's own pages), never on behalf, even when on the team.
    """
    side = side_of(by, req)
    if side in allowed_sides:
        return False
    if not as_side and is_team(by, req.forum_id):
        return True
    if side is None:
        raise NotAllowed(_("This request is not yours."), code="not_your_request")
    raise NotAllowed(_("Only the other side can answer this request."), code="wrong_side")


def accept(req: MeetingRequest, *, by: User | None, priority: Priority = Priority.NICE,
           recipient: Registration | None = None, reason: str = "", as_side: bool = False,
           now: datetime | None = None) -> None:
    """The recipient's side accepts (a delegate of the target company when the request is to the company).
    `reason`: why the B2B team accepted on someone's behalf (kept in the audit entry)."""
    on_behalf = _check_side(req, by, ("recipient",), as_side)
    if not isinstance(priority, Priority):
        raise InvalidInput(_("Choose a priority."), code="priority_invalid", field="priority")
    if not on_behalf:
        recipient = req.recipient or participation.participation_in(by, req.forum)
    if recipient is not None and not participation.takes_part(recipient):
        raise InvalidState(_("This delegate does not take part in B2B meetings."), code="recipient_not_participating")
    if not participation.takes_part(req.requester):
        raise InvalidState(_("The delegate who asked no longer takes part in B2B meetings."),
                           code="requester_not_participating")
    states.transition(req, S.ACCEPTED, by=by, recipient=recipient, response_priority=priority, on_behalf=on_behalf,
                      reason=reason, now=now)


def decline(req: MeetingRequest, *, by: User | None, reason: str = "", as_side: bool = False,
            now: datetime | None = None) -> None:
    on_behalf = _check_side(req, by, ("recipient",), as_side)
    states.transition(req, S.DECLINED, by=by, reason=reason, on_behalf=on_behalf, now=now)


def cancel(req: MeetingRequest, *, by: User | None, reason: str = "", as_side: bool = False,
           now: datetime | None = None) -> None:
    """Either side cancels a pending or accepted request (an accepted one loses its published meeting)."""
    on_behalf = _check_side(req, by, ("requester", "recipient"), as_side)
    states.transition(req, S.CANCELLED, by=by, reason=reason, on_behalf=on_behalf, now=now)


def expire_due(now: datetime | None = None) -> int:
    """Expire every pending request whose forum's deadline has passed; returns how many. Idempotent."""
    now = now or clock.now()
    count = 0
    forum_ids = db.session.scalars(sa.select(MeetingRequest.forum_id).where(MeetingRequest.state == S.PENDING)
                                   .distinct()).all()
    for forum_id in forum_ids:
        forum = db.session.get(Forum, forum_id)
        due = deadline(forum)
        if due is None or now < due:
            continue
        ids = db.session.scalars(sa.select(MeetingRequest.id).where(
            MeetingRequest.forum_id == forum_id, MeetingRequest.state == S.PENDING).order_by(MeetingRequest.id)).all()
        for rid in ids:
            req = db.session.get(MeetingRequest, rid)
            try:
                states.transition(req, S.EXPIRED, by=None, now=now)
            except InvalidState:
                continue  # answered meanwhile
            count += 1
    return count


def cancel_for_registration(reg: Registration, *, by: User | None, now: datetime | None = None,
                            reason: str | None = None) -> int:
    """A delegate left the forum (rejected, withdrawn, cancelled) or the B2B meetings (opted out): their open
    requests are cancelled, without e-mails to them, with one to the other side."""
    count = 0
    ids = db.session.scalars(sa.select(MeetingRequest.id).where(
        sa.or_(MeetingRequest.requester_id == reg.id, MeetingRequest.recipient_id == reg.id),
        MeetingRequest.state.in_(OPEN_REQUEST_STATES)).order_by(MeetingRequest.id)).all()
    for rid in ids:
        req = db.session.get(MeetingRequest, rid)
        states.transition(req, S.CANCELLED, by=by, now=now,
                          reason=reason if reason is not None else _("The delegate no longer attends the forum."))
        count += 1
    return count


def cancel_all_of_forum(forum: Forum, *, by: User | None, reason: str, now: datetime | None = None) -> int:
    """The forum is cancelled: every open request is cancelled without the request e-mails, before its
    registrations are (so the cascade of `_registration_left` finds none open and mails nobody): each person
    gets one e-mail, the cancellation. Returns how many were cancelled."""
    count = 0
    ids = db.session.scalars(sa.select(MeetingRequest.id).where(
        MeetingRequest.forum_id == forum.id, MeetingRequest.state.in_(OPEN_REQUEST_STATES))
        .order_by(MeetingRequest.id)).all()
    for rid in ids:
        states.transition(db.session.get(MeetingRequest, rid), S.CANCELLED, by=by, reason=reason, notify=False,
                          now=now)
        count += 1
    return count


def _registration_left(reg: Registration, *, frm, to, by, now, **_kw) -> None:
    from forum.registration.models import RegState

    if frm is RegState.APPROVED and to is not RegState.APPROVED:
        cancel_for_registration(reg, by=by, now=now)


def connect_signals() -> None:
    """Called by the app factory: a registration leaving APPROVED cancels its open requests (connecting the
    same module-level receiver again is a no-op)."""
    from forum.registration import states as reg_states

    reg_states.state_changed.connect(_registration_left)
