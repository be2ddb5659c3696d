"""Read-side queries for the request pages: a delegate's own requests and counts, why someone does not take
part, and the organizer's filtered list. Nothing here writes."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, joinedload

from forum.accounts.models import User
from forum.db import db
from forum.forums.models import Forum
from forum.meetings import participation
from forum.meetings.models import B2BSettings, MeetingRequest, Priority, RequestState
from forum.registration.models import CompanyRegistration, RegState, Registration
from forum.search import matches_all_words

S = RequestState
# The order a list shows its groups in: what needs an answer first, what is over last.
STATE_ORDER = (S.PENDING, S.ACCEPTED, S.DECLINED, S.CANCELLED, S.EXPIRED)
_ORDER = sa.case({s.value: i for i, s in enumerate(STATE_ORDER)}, value=MeetingRequest.state, else_=len(STATE_ORDER))


def _eager():
    return (joinedload(MeetingRequest.requester).joinedload(Registration.company),
            joinedload(MeetingRequest.recipient).joinedload(Registration.company),
            joinedload(MeetingRequest.target_company))


# --- the delegate's side ----------------------------------------------------------------------------------

def registration_in(user: User, forum: Forum) -> Registration | None:
    """The user's registration in the forum that matters for B2B: an approved one first, else the newest."""
    regs = db.session.scalars(sa.select(Registration).where(
        Registration.user_id == user.id, Registration.forum_id == forum.id).order_by(Registration.id.desc())).all()
    return next((r for r in regs if r.state is RegState.APPROVED), regs[0] if regs else None)


@dataclass(frozen=True)
class Status:
    takes_part: bool
    code: str  # "ok", "b2b_closed", "not_approved", "no_consent", "opted_out"
    message: str


def status_of(reg: Registration) -> Status:
    """Whether the delegate takes part and, if not, why, in words (the same conditions as participation.takes_part)."""
    if not participation.b2b_open(reg.forum):
        return Status(False, "b2b_closed", _("This forum has no B2B meetings open at the moment."))
    if reg.state is not RegState.APPROVED:
        if reg.state in (RegState.PENDING, RegState.WAITLISTED):
            return Status(False, "not_approved", _("Your registration is not approved yet: B2B meetings open to you "
                                                   "once it is."))
        return Status(False, "not_approved", _("Only approved delegates take part in B2B meetings, and your "
                                               "registration is not approved."))
    if not reg.company.directory_consent:
        return Status(False, "no_consent", _("Your company did not agree to appear in the forum's directory, so its "
                                             "delegates do not take part in B2B meetings."))
    p = participation.prefs(reg)
    if p is not None and p.opted_out:
        return Status(False, "opted_out", _("You opted out of B2B meetings."))
    return Status(True, "ok", _("You take part in the B2B meetings."))


def _received_where(reg: Registration):
    return sa.and_(MeetingRequest.requester_id != reg.id, sa.or_(
        MeetingRequest.recipient_id == reg.id,
        sa.and_(MeetingRequest.recipient_id.is_(None), MeetingRequest.target_company_id == reg.company_id)))


def received(reg: Registration) -> sa.Select:
    """Requests to this delegate, or to their company while no colleague has taken them: grouped by state."""
    return (sa.select(MeetingRequest).options(*_eager()).where(_received_where(reg))
            .order_by(_ORDER, MeetingRequest.created_at.desc(), MeetingRequest.id.desc()))


def sent(reg: Registration) -> sa.Select:
    return (sa.select(MeetingRequest).options(*_eager()).where(MeetingRequest.requester_id == reg.id)
            .order_by(_ORDER, MeetingRequest.created_at.desc(), MeetingRequest.id.desc()))


@dataclass(frozen=True)
class Counts:
    received_waiting: int
    sent_waiting: int
    accepted: int


def counts(reg: Registration) -> Counts:
    """One query: received and waiting for them, sent and waiting for the other side, accepted either way."""
    pending = MeetingRequest.state == S.PENDING
    mine = sa.or_(MeetingRequest.requester_id == reg.id, _received_where(reg))
    row = db.session.execute(sa.select(
        sa.func.count().filter(pending, _received_where(reg)),
        sa.func.count().filter(pending, MeetingRequest.requester_id == reg.id),
        sa.func.count().filter(MeetingRequest.state == S.ACCEPTED),
    ).where(MeetingRequest.forum_id == reg.forum_id, mine)).one()
    return Counts(*(int(n or 0) for n in row))


def request_in(forum: Forum, public_id: str) -> MeetingRequest | None:
    return db.session.scalar(sa.select(MeetingRequest).options(*_eager()).where(
        MeetingRequest.forum_id == forum.id, MeetingRequest.public_id == public_id))


def quota(forum: Forum) -> int:
    """The forum's open-request quota, read without creating the settings row."""
    s = db.session.scalar(sa.select(B2BSettings).where(B2BSettings.forum_id == forum.id))
    return s.open_request_quota if s is not None else B2BSettings.open_request_quota.default.arg


# --- the organizer's list ---------------------------------------------------------------------------------

@dataclass
class Filters:
    state: str = ""  # a RequestState value
    priority: str = ""  # a Priority value: the requester's or the recipient's
    country: str = ""  # either side's company
    q: str = ""  # a name of either side, in any script (search.matches_all_words)

    @classmethod
    def from_args(cls, args) -> "Filters":
        f = cls(**{k: (args.get(k) or "").strip() for k in cls.__dataclass_fields__})
        # Unknown values filter nothing rather than crash or match nothing silently.
        if f.state not in {s.value for s in RequestState}:
            f.state = ""
        if f.priority not in {p.value for p in Priority}:
            f.priority = ""
        f.country = f.country.upper() if len(f.country) == 2 and f.country.isascii() and f.country.isalpha() else ""
        f.q = f.q[:200]
        return f

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


def forum_requests(forum: Forum, f: Filters) -> sa.Select:
    """The forum's requests matching the filter, newest first."""
    req_reg, req_co = aliased(Registration), aliased(CompanyRegistration)
    stmt = (sa.select(MeetingRequest).options(*_eager())
            .join(req_reg, req_reg.id == MeetingRequest.requester_id)
            .join(req_co, req_co.id == req_reg.company_id)
            .where(MeetingRequest.forum_id == forum.id))
    if f.state:
        stmt = stmt.where(MeetingRequest.state == RequestState(f.state))
    if f.priority:
        p = Priority(f.priority)
        stmt = stmt.where(sa.or_(MeetingRequest.priority == p, MeetingRequest.response_priority == p))
    if f.country or f.q:
        target_co = aliased(CompanyRegistration)
        stmt = stmt.join(target_co, target_co.id == MeetingRequest.target_company_id)
        if f.country:
            stmt = stmt.where(sa.or_(req_co.country == f.country, target_co.country == f.country))
        if f.q:
            # The other side: the delegate asked for, else any delegate of the company asked (their names and the
            # company's are in each delegate's search key).
            other = aliased(Registration)
            other_matches = sa.exists().where(
                other.company_id == MeetingRequest.target_company_id,
                sa.or_(MeetingRequest.recipient_id.is_(None), other.id == MeetingRequest.recipient_id),
                matches_all_words(other.search_key, f.q))
            stmt = stmt.where(sa.or_(matches_all_words(req_reg.search_key, f.q), other_matches,
                                     matches_all_words(target_co.search_key, f.q)))
    return stmt.order_by(MeetingRequest.created_at.desc(), MeetingRequest.id.desc())


def state_counts(forum: Forum) -> dict[RequestState, int]:
    rows = db.session.execute(sa.select(MeetingRequest.state, sa.func.count()).where(
        MeetingRequest.forum_id == forum.id).group_by(MeetingRequest.state)).all()
    found = dict(rows)
    return {s: int(found.get(s, 0)) for s in STATE_ORDER}


def participants(forum: Forum) -> list[Registration]:
    """The forum's participants with their companies, by company then name (the organizer's selects)."""
    if not participation.b2b_open(forum):
        return []
    return list(db.session.scalars(
        sa.select(Registration).join(CompanyRegistration, CompanyRegistration.id == Registration.company_id)
        .options(joinedload(Registration.company))
        .where(Registration.forum_id == forum.id, participation.participants_filter())
        .order_by(CompanyRegistration.legal_name, Registration.full_name, Registration.id)))


def audit_trail(req: MeetingRequest) -> list:
    from forum.audit.models import AuditEntry

    return list(db.session.scalars(sa.select(AuditEntry).options(joinedload(AuditEntry.actor)).where(
        AuditEntry.subject_type == "meeting_request", AuditEntry.subject_id == req.id).order_by(AuditEntry.id)))
