"""Which e-mail each meeting-request event sends, and to whom, in the recipient's language (the delegate's
`Registration.language`). Queued in the caller's transaction through the outbox."""
from __future__ import annotations

from forum.accounts.models import User
from forum.meetings import participation
from forum.meetings.models import MeetingRequest, RequestState
from forum.notifications import services as mail
from forum.registration.models import Registration
from forum.urls import external_url

S = RequestState


def requests_link(reg: Registration) -> str:
    return external_url("b2b.requests", slug=reg.forum.slug)


def _send(template: str, to: Registration, req: MeetingRequest, **extra) -> None:
    mail.queue(template, to=to.email, to_name=to.full_name, language=to.language, forum_id=req.forum_id,
               forum=req.forum, req=req, reg=to, link=requests_link(to), **extra)


def recipients_of(req: MeetingRequest) -> list[Registration]:
    """The recipient side: the delegate asked for, or every participating delegate of the company asked."""
    if req.recipient is not None:
        return [req.recipient]
    return [r for r in req.target_company.delegates if participation.takes_part(r)]


def received_mail(req: MeetingRequest) -> None:
    for to in recipients_of(req):
        _send("b2b_request_received", to, req)


def state_mail(req: MeetingRequest, frm: RequestState, to: RequestState, *, by: User | None) -> None:
    """Accepted and declined: the requester is told. Cancelled: the side that did not cancel (both, when the
    system or the B2B team cancelled), only while they are still at the forum. Expired: both sides."""
    if to is S.ACCEPTED:
        _send("b2b_request_accepted", req.requester, req)
    elif to is S.DECLINED:
        _send("b2b_request_declined", req.requester, req)
    elif to is S.CANCELLED:
        for person in [req.requester, *recipients_of(req)]:
            if by is not None and person.user_id == by.id:
                continue
            if person.state.value != "approved":
                continue
            _send("b2b_request_cancelled", person, req)
    elif to is S.EXPIRED:
        for person in [req.requester, *recipients_of(req)]:
            _send("b2b_request_expired", person, req)


def created_for_you_mail(req: MeetingRequest) -> None:
    """The B2B team made a request in the requester's name: the requester is told, so it is no surprise."""
    _send("b2b_request_created_for_you", req.requester, req)
