"""Every rule of the B2B meetings at the venue, in one place (as registration/states.py is for registrations).

- A meeting is *held* once confirmed (`confirm`): one side scanned the other's badge, the B2B team marked it,
  or the table host confirmed it from the table sheet. Only during its slot, GRACE either side.
- A live meeting nobody confirmed by NO_SHOW_AFTER past its start (a walk-in: past its booking, when later)
  becomes a *no-show* (`mark_no_shows`): it no
  longer holds its table and people (the partial unique indexes only cover live meetings), so a walk-in can
  take them. A no-show can still be confirmed in its window when nobody took its table or people meanwhile.
- A *walk-in* (`book_walk_in`) is a meeting booked at the venue into a free table in the current or a later
  slot, by the B2B team for any two participants or by a delegate for themselves.

Why conditional UPDATEs rather than read-then-write: `confirm` and `mark_no_shows` race (the worker runs every
minute while people scan). Each is one UPDATE whose WHERE names the state it expects; PostgreSQL re-checks
that WHERE on a row another transaction changed meanwhile, so a meeting ends held or no-show, never both
(and the CHECK constraint `no_show_unheld` would refuse both). A booking's last guard is the database's
partial unique indexes on live meetings, caught in a SAVEPOINT and answered with a clear refusal.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.util import identity_key

from forum import clock
from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db
from forum.errors import InvalidInput, InvalidState, NotAllowed
from forum.forums.models import Forum
from forum.meetings import participation, states
from forum.meetings.models import (OPEN_REQUEST_STATES, HeldVia, Meeting, MeetingRequest, MeetingSlot, MeetingState,
                                   MeetingTable, RequestState, Unavailability, table_slots)
from forum.registration.models import CompanyRegistration, Registration
from forum.registration.states import lock_forum
from forum.teams import permissions
from forum.teams.models import Permission

GRACE = timedelta(minutes=5)
NO_SHOW_AFTER = timedelta(minutes=10)

LIVE = MeetingState.SCHEDULED


class Status(str, enum.Enum):
    """What the live board and the table sheet show for a table in a slot."""

    HELD = "held"
    WAITING = "waiting"  # live, not confirmed yet
    NO_SHOW = "no_show"
    FREE = "free"  # no live meeting (and no no-show) at the table
    CANCELLED = "cancelled"


def status_of(meeting: Meeting | None) -> Status:
    if meeting is None:
        return Status.FREE
    if meeting.state is MeetingState.CANCELLED:
        return Status.CANCELLED
    if meeting.state is MeetingState.NO_SHOW:
        return Status.NO_SHOW
    return Status.HELD if meeting.held_at is not None else Status.WAITING


def status_label(status: Status) -> str:
    return {Status.HELD: _("held"), Status.WAITING: _("waiting"), Status.NO_SHOW: _("no-show"),
            Status.FREE: _("free"), Status.CANCELLED: _("cancelled")}[status]


def window(slot: MeetingSlot) -> tuple[datetime, datetime]:
    """When a meeting in this slot may be confirmed: from GRACE before its start to GRACE after its end."""
    return slot.starts_at - GRACE, slot.ends_at + GRACE


def in_window(slot: MeetingSlot, now: datetime) -> bool:
    start, end = window(slot)
    return start <= now <= end


def _user_id(by: User | None) -> int | None:
    return by.id if by is not None and getattr(by, "is_authenticated", False) else None


def _forget(ids) -> None:
    """Objects of these meetings loaded in this session are stale after a bulk UPDATE: reload on next use."""
    for mid in ids:
        obj = db.session.identity_map.get(identity_key(Meeting, mid))
        if obj is not None:
            db.session.expire(obj)


# --- held ------------------------------------------------------------------------------------------------

def confirm(meeting: Meeting, *, via: HeldVia, by: User | None, now: datetime | None = None) -> bool:
    """Confirm the meeting as held (who may is the caller's rule: a side's scan, the team, the table's token).

    True when it became held now; False when it already was (idempotent). A no-show is reinstated (live and
    held) when its table and both people are still free in its slot. Raises InvalidState outside the window
    [start - GRACE, end + GRACE], for a cancelled meeting, and when a walk-in took the no-show's place.
    """
    now = now or clock.now()
    if not isinstance(via, HeldVia):
        raise InvalidInput(_("How the meeting was confirmed is missing."), code="via_invalid")
    db.session.refresh(meeting)
    if meeting.state is MeetingState.CANCELLED:
        raise InvalidState(_("This meeting was cancelled: it cannot be confirmed."), code="cancelled")
    if meeting.held_at is not None:
        return False
    start, end = window(meeting.slot)
    if now < start:
        raise InvalidState(_("This meeting can be confirmed from %(n)d minutes before its start, not earlier.",
                             n=GRACE.seconds // 60), code="too_early")
    if now > end:
        raise InvalidState(_("This meeting's time is over: it can be confirmed until %(n)d minutes after its end.",
                             n=GRACE.seconds // 60), code="too_late")
    held = dict(held_at=now, held_via=via, held_by_id=_user_id(by))
    done = db.session.execute(
        sa.update(Meeting).where(Meeting.id == meeting.id, Meeting.state == LIVE, Meeting.held_at.is_(None))
        .values(**held).execution_options(synchronize_session=False)).rowcount
    frm = LIVE
    if not done:
        # Not live and unheld any more: held by someone else a moment ago, or it is (just became) a no-show.
        db.session.refresh(meeting)
        if meeting.held_at is not None:
            return False
        if meeting.state is not MeetingState.NO_SHOW:
            raise InvalidState(_("This meeting was cancelled: it cannot be confirmed."), code="cancelled")
        frm = MeetingState.NO_SHOW
        try:
            with db.session.begin_nested():
                done = db.session.execute(
                    sa.update(Meeting).where(Meeting.id == meeting.id, Meeting.state == MeetingState.NO_SHOW)
                    .values(state=LIVE, no_show_at=None, **held).execution_options(synchronize_session=False)
                ).rowcount
        except IntegrityError:
            raise InvalidState(_("This meeting was marked as a no-show and its table or one of its two people "
                                 "has been booked for another meeting since: it cannot be confirmed now."),
                               code="place_taken") from None
        if not done:  # changed under us once more: say what it is now
            db.session.refresh(meeting)
            if meeting.held_at is not None:
                return False
            raise InvalidState(_("This meeting was cancelled: it cannot be confirmed."), code="cancelled")
    db.session.refresh(meeting)
    audit.record(subject_type="meeting", subject_id=meeting.id, action="held", actor=by, forum_id=meeting.forum_id,
                 from_state=frm.value, to_state=LIVE.value, via=via.value,
                 **({"reinstated": True} if frm is MeetingState.NO_SHOW else {}))
    return True


# --- no-shows --------------------------------------------------------------------------------------------

def mark_no_shows(now: datetime | None = None, forum_id: int | None = None) -> int:
    """Live meetings nobody confirmed whose slot started NO_SHOW_AFTER ago or earlier become no-shows (now);
    returns how many. One UPDATE (see the module's doc); idempotent. The worker calls it every minute, the
    pages that depend on it call it first (for their forum)."""
    now = now or clock.now()
    cutoff = now - NO_SHOW_AFTER
    started = sa.select(MeetingSlot.id).where(MeetingSlot.starts_at <= cutoff)
    # A walk-in booked into a slot under way gets its NO_SHOW_AFTER from its booking, not from the slot's start.
    due = [Meeting.state == LIVE, Meeting.held_at.is_(None), sa.or_(Meeting.walk_in.is_(False),
                                                                    Meeting.created_at <= cutoff)]
    if forum_id is not None:
        started = started.where(MeetingSlot.forum_id == forum_id)
        due.append(Meeting.forum_id == forum_id)
    stmt = sa.update(Meeting).where(*due, Meeting.slot_id.in_(started))
    rows = db.session.execute(
        stmt.values(state=MeetingState.NO_SHOW, no_show_at=now).returning(Meeting.id, Meeting.forum_id)
        .execution_options(synchronize_session=False)).all()
    _forget(r.id for r in rows)
    for r in rows:
        audit.record(subject_type="meeting", subject_id=r.id, action="no_show", actor=None, forum_id=r.forum_id,
                     from_state=LIVE.value, to_state=MeetingState.NO_SHOW.value)
    return len(rows)


# --- reading: slots, the board, one pair's meeting --------------------------------------------------------

def slots_now(forum: Forum, now: datetime) -> tuple[MeetingSlot | None, MeetingSlot | None]:
    """The slot under way (None between slots) and the next one to start."""
    current = db.session.scalar(sa.select(MeetingSlot).where(
        MeetingSlot.forum_id == forum.id, MeetingSlot.starts_at <= now, MeetingSlot.ends_at > now)
        .order_by(MeetingSlot.starts_at).limit(1))
    upcoming = db.session.scalar(sa.select(MeetingSlot).where(
        MeetingSlot.forum_id == forum.id, MeetingSlot.starts_at > now).order_by(MeetingSlot.starts_at).limit(1))
    return current, upcoming


def table_usable(table: MeetingTable, slot: MeetingSlot) -> bool:
    if not table.active or table.forum_id != slot.forum_id:
        return False
    if table.all_slots:
        return True
    return bool(db.session.scalar(sa.select(sa.exists().where(table_slots.c.table_id == table.id,
                                                               table_slots.c.slot_id == slot.id))))


def _usable_tables(forum: Forum, slot: MeetingSlot) -> list[MeetingTable]:
    listed = sa.exists().where(table_slots.c.table_id == MeetingTable.id, table_slots.c.slot_id == slot.id)
    return list(db.session.scalars(sa.select(MeetingTable).where(
        MeetingTable.forum_id == forum.id, MeetingTable.active.is_(True),
        sa.or_(MeetingTable.all_slots.is_(True), listed)).order_by(MeetingTable.number)))


def _slot_meetings(slot: MeetingSlot) -> list[Meeting]:
    """The slot's live meetings and no-shows, sides and companies loaded."""
    return list(db.session.scalars(sa.select(Meeting).options(
        joinedload(Meeting.table), joinedload(Meeting.interpreter),
        joinedload(Meeting.a).joinedload(Registration.company), joinedload(Meeting.b).joinedload(Registration.company))
        .where(Meeting.slot_id == slot.id, Meeting.state.in_((LIVE, MeetingState.NO_SHOW)))
        .order_by(Meeting.id)).unique())


@dataclass
class Row:
    table: MeetingTable
    meeting: Meeting | None  # the live meeting, else the latest no-show, else None
    status: Status
    no_shows: list[Meeting] = field(default_factory=list)  # no-shows whose place a walk-in took


@dataclass
class Board:
    slot: MeetingSlot
    rows: list[Row]

    def count(self, status: Status) -> int:
        return sum(1 for r in self.rows if r.status is status)

    @property
    def free_tables(self) -> list[MeetingTable]:
        """Tables a walk-in can take: nothing live there (free, or a no-show's)."""
        return [r.table for r in self.rows if r.status in (Status.FREE, Status.NO_SHOW)]


def board(forum: Forum, slot: MeetingSlot) -> Board:
    """Per table usable in the slot (and any table that has a meeting there): what happens there now."""
    meetings = _slot_meetings(slot)
    tables = {t.id: t for t in _usable_tables(forum, slot)}
    for m in meetings:
        tables.setdefault(m.table_id, m.table)
    rows = []
    for t in sorted(tables.values(), key=lambda t: t.number):
        here = [m for m in meetings if m.table_id == t.id]
        live = next((m for m in here if m.state is LIVE), None)
        gone = [m for m in here if m.state is MeetingState.NO_SHOW]
        shown = live or (gone[-1] if gone else None)
        rows.append(Row(table=t, meeting=shown, status=status_of(shown),
                        no_shows=[m for m in gone if m is not shown]))
    return Board(slot=slot, rows=rows)


def walk_in_slots(forum: Forum, now: datetime) -> list[MeetingSlot]:
    """The slots a walk-in can be booked in: the one under way and the next."""
    return [s for s in slots_now(forum, now) if s is not None]


def free_places(forum: Forum, now: datetime, person: Registration | None = None
                ) -> list[tuple[MeetingSlot, MeetingTable]]:
    """(slot, table) a walk-in can take now: free tables in the current and next slot (those where `person` is
    free, when given)."""
    out = []
    for slot in walk_in_slots(forum, now):
        if person is not None and not person_free(person, slot):
            continue
        out.extend((slot, t) for t in board(forum, slot).free_tables)
    return out


def table_free(table: MeetingTable, slot: MeetingSlot) -> bool:
    return not db.session.scalar(sa.select(sa.exists().where(
        Meeting.slot_id == slot.id, Meeting.table_id == table.id, Meeting.state == LIVE)))


def person_free(reg: Registration, slot: MeetingSlot) -> bool:
    return not db.session.scalar(sa.select(sa.exists().where(
        Meeting.slot_id == slot.id, Meeting.state == LIVE, sa.or_(Meeting.a_id == reg.id, Meeting.b_id == reg.id))))


def pair_meetings(one: Registration, other: Registration) -> list[Meeting]:
    """The two people's live meetings and no-shows together, in time order."""
    return list(db.session.scalars(sa.select(Meeting).join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
                                   .options(joinedload(Meeting.slot), joinedload(Meeting.table))
                                   .where(Meeting.state.in_((LIVE, MeetingState.NO_SHOW)),
                                          sa.or_(sa.and_(Meeting.a_id == one.id, Meeting.b_id == other.id),
                                                 sa.and_(Meeting.a_id == other.id, Meeting.b_id == one.id)))
                                   .order_by(MeetingSlot.starts_at, Meeting.id)).unique())


def meeting_to_confirm(one: Registration, other: Registration, now: datetime) -> tuple[Meeting | None, Meeting | None]:
    """(the pair's meeting whose window holds now, else None; their next meeting, else their latest) — what a scan
    of one's badge by the other confirms, and what the card tells when it is not the time."""
    found = pair_meetings(one, other)
    inside = [m for m in found if in_window(m.slot, now)]
    # A live one first when a no-show and a later walk-in of the same pair overlap the window.
    now_m = next((m for m in inside if m.state is LIVE), inside[0] if inside else None)
    later = [m for m in found if m.slot.starts_at > now]
    return now_m, (later[0] if later else (found[-1] if found else None))


# --- walk-ins --------------------------------------------------------------------------------------------

def may_book(user: User | None, forum: Forum, a: Registration) -> bool:
    """The B2B team books for anyone; a delegate books only for themselves (as side a)."""
    if permissions.has_permission(user, forum, Permission.B2B):
        return True
    return user is not None and getattr(user, "is_authenticated", False) and a.user_id == user.id


def _pair_requests(a: Registration, b: Registration, *, states_: tuple[RequestState, ...]) -> list[MeetingRequest]:
    def one_way(x: Registration, y: Registration):
        return sa.and_(MeetingRequest.requester_id == x.id, sa.or_(
            MeetingRequest.recipient_id == y.id,
            sa.and_(MeetingRequest.recipient_id.is_(None), MeetingRequest.target_company_id == y.company_id)))

    return list(db.session.scalars(sa.select(MeetingRequest).where(
        MeetingRequest.state.in_(states_), sa.or_(one_way(a, b), one_way(b, a))).order_by(MeetingRequest.id)))


def _has_live_meeting(req: MeetingRequest) -> bool:
    return bool(db.session.scalar(sa.select(sa.exists().where(Meeting.request_id == req.id, Meeting.state == LIVE))))


def _open_to_company(requester: Registration, company_id: int) -> bool:
    return bool(db.session.scalar(sa.select(sa.exists().where(
        MeetingRequest.requester_id == requester.id, MeetingRequest.target_company_id == company_id,
        MeetingRequest.state.in_(OPEN_REQUEST_STATES)))))


def _request_for(a: Registration, b: Registration, *, by: User | None, staff: bool, now: datetime) -> MeetingRequest:
    """The accepted request the walk-in belongs to: theirs already (accepted with no live meeting, or pending:
    accepted now, since both stand at the table), else a new one from a to b accepted at once.

    Not requests.create: its deadline for requests (by default the first session's start) has always passed at
    the venue, and its quota is for requests waiting for an answer. The new request goes through the state
    machine all the same (pending -> accepted, audited, signalled), without the request e-mails: the walk-in's
    own e-mail says it all."""
    for req in _pair_requests(a, b, states_=(RequestState.ACCEPTED,)):
        if not _has_live_meeting(req):
            return req
    if _pair_requests(a, b, states_=(RequestState.ACCEPTED,)):
        raise InvalidState(_("These two already have a meeting in the schedule."), code="already_meeting",
                           field="counterpart")
    pending = _pair_requests(a, b, states_=(RequestState.PENDING,))
    if pending:
        req = pending[0]
        recipient = b if req.requester_id == a.id else a
        states.transition(req, RequestState.ACCEPTED, by=by, recipient=recipient, on_behalf=staff, notify=False,
                          now=now)
        return req
    requester, recipient = a, b
    if _open_to_company(a, b.company_id):  # a asked a colleague of b's: the request goes the other way
        requester, recipient = b, a
        if _open_to_company(b, a.company_id):
            raise InvalidState(_("These two have open requests with each other's colleagues: settle those first."),
                               code="open_request_conflict", field="counterpart")
    req = MeetingRequest(forum_id=a.forum_id, requester_id=requester.id, target_company_id=recipient.company_id,
                         recipient_id=recipient.id, state=RequestState.PENDING, created_at=now, state_changed_at=now,
                         created_by_id=_user_id(by))
    db.session.add(req)
    db.session.flush()
    audit.record(subject_type="meeting_request", subject_id=req.id, action="created", actor=by, forum_id=a.forum_id,
                 to_state=RequestState.PENDING.value, walk_in=True, **({"on_behalf": True} if staff else {}))
    states.transition(req, RequestState.ACCEPTED, by=by, recipient=recipient, on_behalf=staff, notify=False, now=now)
    return req


def book_walk_in(forum: Forum, a: Registration, b: Registration, slot: MeetingSlot, table: MeetingTable, *,
                 by: User | None, now: datetime | None = None) -> Meeting:
    """Book a walk-in meeting of a and b at `table` in `slot` (the current or a later one), and tell them.

    Who: the B2B team for any two participants, a delegate for themselves (a). Refused with a coded
    InvalidState/InvalidInput (its `field`: slot, table, counterpart) when the slot is over, the table is not
    usable then or taken, either person is busy, unavailable or does not take part. Under the forum's lock;
    the partial unique indexes on live meetings are the final guard against a concurrent booking.
    """
    now = now or clock.now()
    if not may_book(by, forum, a):
        raise NotAllowed(_("You can only book a meeting for yourself."), code="not_yours")
    staff = a.user_id != _user_id(by)
    lock_forum(forum.id)
    mark_no_shows(now, forum_id=forum.id)  # a no-show's table and people are free for the walk-in
    if slot.forum_id != forum.id:
        raise InvalidInput(_("Choose a time of this forum's meetings."), code="wrong_forum", field="slot")
    if table.forum_id != forum.id:
        raise InvalidInput(_("Choose a table of this forum."), code="wrong_forum", field="table")
    if a.forum_id != forum.id or b.forum_id != forum.id:
        raise InvalidInput(_("Choose a participant of this forum."), code="wrong_forum", field="counterpart")
    if a.id == b.id or (a.user_id is not None and a.user_id == b.user_id):
        raise InvalidInput(_("Choose two different people."), code="same_person", field="counterpart")
    if a.company_id == b.company_id:
        raise InvalidInput(_("Colleagues from the same company cannot book a meeting with each other."),
                           code="same_company", field="counterpart")
    if slot.ends_at <= now:
        raise InvalidState(_("This time is over: choose the current or a later one."), code="slot_over",
                           field="slot")
    if not participation.takes_part(a) or not participation.takes_part(b):
        raise InvalidState(_("Both people must take part in the B2B meetings."), code="not_participating",
                           field="counterpart")
    if not table_usable(table, slot):
        raise InvalidState(_("This table is not in use at that time."), code="table_unavailable", field="table")
    if not table_free(table, slot):
        raise InvalidState(_("Table %(n)d is taken at that time.", n=table.number), code="table_taken",
                           field="table")
    for person in (a, b):
        if not person_free(person, slot):
            raise InvalidState(_("%(name)s already has a meeting at that time.", name=person.full_name),
                               code="person_busy", field="counterpart")
        if db.session.get(Unavailability, (person.id, slot.id)) is not None:
            raise InvalidState(_("%(name)s is not available at that time.", name=person.full_name),
                               code="person_unavailable", field="counterpart")
    req = _request_for(a, b, by=by, staff=staff, now=now)
    meeting = Meeting(forum_id=forum.id, request_id=req.id, run_id=None, a_id=req.requester_id,
                      b_id=req.recipient_id, slot_id=slot.id, table_id=table.id, state=LIVE, created_at=now,
                      walk_in=True, booked_by_id=_user_id(by))
    try:
        with db.session.begin_nested():  # added inside: a refused row leaves the session with the savepoint
            db.session.add(meeting)
            db.session.flush()
    except IntegrityError:
        raise InvalidState(_("Someone booked this table or one of the two people a moment ago: choose again."),
                           code="just_taken", field="table") from None
    audit.record(subject_type="meeting", subject_id=meeting.id, action="walk_in_booked", actor=by, forum_id=forum.id,
                 to_state=LIVE.value, slot_id=slot.id, table=table.number,
                 **({"on_behalf": True} if staff else {}))
    from forum.attendance import mails

    mails.walk_in_booked(meeting, by=by, staff=staff)
    return meeting


def participants_matching(forum: Forum, q: str, *, exclude: Registration | None = None,
                          limit: int = 20) -> list[Registration]:
    """Participants whose name or company matches every word of q, in any script (forum.search folding)."""
    from forum.search import query_words, search_key

    words = query_words(q)
    if not words:
        return []
    found = []
    for reg in participation.participants(forum):
        if exclude is not None and reg.id == exclude.id:
            continue
        key = search_key(reg.full_name, reg.latin_name, reg.company.legal_name, reg.company.name_en)
        if all(w in key for w in words):
            found.append(reg)
            if len(found) >= limit:
                break
    return found


def participant_by_public_id(forum: Forum, public_id: str) -> Registration | None:
    if not isinstance(public_id, str) or not public_id or len(public_id) > 36:
        return None
    reg = db.session.scalar(sa.select(Registration).join(CompanyRegistration,
                                                         CompanyRegistration.id == Registration.company_id)
                            .where(Registration.forum_id == forum.id, Registration.public_id == public_id))
    return reg if reg is not None and participation.takes_part(reg) else None
