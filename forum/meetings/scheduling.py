"""Scheduler runs: compute one from the database (`run`), show what publishing it would change (`preview`),
publish it (`publish`), and keep published meetings in step with their requests (`connect_signals`).

- A run builds the problem (problem.build), solves it (solver.solve) and keeps the problem, the plan and the
  figures (objective, bound, seconds) as a draft ScheduleRun. Solving takes no lock: it may take a minute.
- Publishing happens under the forum's row lock and refuses a stale run: the problem rebuilt now must equal
  the run's (same grid, same accepted requests, same published meetings, same availability and caps).
  Published meetings that stay where they are are left alone; moved ones are cancelled and created again (so
  the partial unique indexes on live meetings hold at every step); each affected delegate gets one e-mail.
- Re-running keeps published meetings where they are: problem.build fixes every still valid live meeting.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from forum import clock
from forum.accounts.models import User
from forum.agendas import ics
from forum.audit import services as audit
from forum.db import db
from forum.errors import InvalidInput, InvalidState
from forum.forums.models import Forum
from forum.meetings import participation, problem as problem_mod, solver
from forum.meetings.models import (Interpreter, Meeting, MeetingRequest, MeetingSlot, MeetingState, MeetingTable,
                                   RequestState, RunStatus, ScheduleRun)
from forum.meetings.problem import row_id
from forum.meetings.reasons import (NOT_TAKING_PART, both_scripts, reason_label, reason_text,  # noqa: F401
                                    unfixed_label)
from forum.notifications import services as mail
from forum.registration.models import Registration
from forum.registration.states import lock_forum
from forum.teams import permissions
from forum.teams.models import Permission
from forum.urls import external_url

MIN_SECONDS, MAX_SECONDS = 1, 120


def run(forum: Forum, *, by: User | None, time_limit: float, now: datetime | None = None) -> ScheduleRun:
    """Solve the forum's problem as it stands now and keep the result as a draft run (flushed).

    The organizer's page does the three steps itself (`prepare`, `solver.solve`, `record`) and commits between
    the first two, so that no transaction is open while the solver works (up to MAX_SECONDS; on SQLite an open
    write transaction would block the door's check-ins all that time)."""
    problem = prepare(forum, by=by, time_limit=time_limit)
    return record(forum, problem, solver.solve(problem, time_limit=float(time_limit)), by=by,
                  time_limit=time_limit, now=now)


def prepare(forum: Forum, *, by: User | None, time_limit: float) -> dict:
    """Check who asks and the time limit, and build the problem (it only reads); refuse one with nothing to do."""
    permissions.require(by, forum, Permission.B2B)
    if not isinstance(time_limit, (int, float)) or not MIN_SECONDS <= time_limit <= MAX_SECONDS:
        raise InvalidInput(_("Give the scheduler between %(lo)d and %(hi)d seconds.", lo=MIN_SECONDS, hi=MAX_SECONDS),
                           code="time_limit_invalid", field="time_limit")
    problem, _index = problem_mod.build(forum)
    if not problem["slots"]:
        raise InvalidState(_("There are no meeting slots yet: set up the meeting sessions first."), code="no_slots")
    if not problem["tables"]:
        raise InvalidState(_("There are no active tables yet: add tables first."), code="no_tables")
    if not problem["requests"]:
        raise InvalidState(_("There are no accepted meeting requests between delegates who take part."),
                           code="no_accepted_requests")
    return problem


def record(forum: Forum, problem: dict, plan: dict, *, by: User | None, time_limit: float,
           now: datetime | None = None) -> ScheduleRun:
    """Keep a solved problem as a draft run with its figures, audited."""
    permissions.require(by, forum, Permission.B2B)
    r = ScheduleRun(forum_id=forum.id, status=RunStatus.DRAFT, created_at=now or clock.now(),
                    created_by_id=by.id if by is not None else None, time_limit=float(time_limit),
                    objective=int(plan["objective"]), bound=int(plan["bound"]),
                    solve_seconds=float(plan["solve_seconds"]), n_requests=len(problem["requests"]),
                    n_scheduled=len(plan["meetings"]), problem=problem, plan=plan)
    db.session.add(r)
    db.session.flush()
    audit.record(subject_type="schedule_run", subject_id=r.id, action="computed", actor=by, forum_id=forum.id,
                 to_state=RunStatus.DRAFT.value, objective=r.objective, bound=r.bound, n_requests=r.n_requests,
                 n_scheduled=r.n_scheduled)
    return r


# --- the preview -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Placement:
    slot: MeetingSlot | None
    table: MeetingTable | None
    interpreter: Interpreter | None

    @property
    def key(self) -> tuple:
        return (getattr(self.slot, "id", None), getattr(self.table, "id", None),
                getattr(self.interpreter, "id", None))


@dataclass
class Change:
    kind: str  # added | moved | dropped
    request: MeetingRequest
    old: Placement | None = None
    new: Placement | None = None
    reason: str | None = None  # dropped: why (solver.REASONS or reasons.NOT_TAKING_PART)
    unfixed: str | None = None  # moved or dropped: why the published meeting could not stay (problem.UNFIX_REASONS)
    meeting: Meeting | None = None  # the live meeting it replaces or cancels

    def other(self, reg: Registration) -> Registration:
        return self.request.recipient if self.request.requester_id == reg.id else self.request.requester


@dataclass
class PersonChanges:
    reg: Registration
    added: list[Change] = field(default_factory=list)
    moved: list[Change] = field(default_factory=list)
    dropped: list[Change] = field(default_factory=list)

    @property
    def changes(self) -> list[Change]:
        return self.added + self.moved + self.dropped


@dataclass
class Preview:
    added: list[Change]
    moved: list[Change]
    dropped: list[Change]
    unchanged: int
    people: list[PersonChanges]  # everyone with a change, by name

    @property
    def changes(self) -> list[Change]:
        return self.added + self.moved + self.dropped


_REQ_OPTS = (joinedload(MeetingRequest.requester).joinedload(Registration.company),
             joinedload(MeetingRequest.recipient).joinedload(Registration.company))


def live_meetings(forum_id: int) -> dict[int, Meeting]:
    """The forum's published live meetings by request id."""
    rows = db.session.scalars(sa.select(Meeting).options(
        joinedload(Meeting.slot), joinedload(Meeting.table), joinedload(Meeting.interpreter),
        joinedload(Meeting.request).joinedload(MeetingRequest.requester).joinedload(Registration.company),
        joinedload(Meeting.request).joinedload(MeetingRequest.recipient).joinedload(Registration.company))
        .where(Meeting.forum_id == forum_id, Meeting.state == MeetingState.SCHEDULED).order_by(Meeting.id)).all()
    return {m.request_id: m for m in rows}


def _by_id(model, forum_id: int, ids) -> dict[int, object]:
    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return {}
    return {x.id: x for x in db.session.scalars(sa.select(model).where(model.forum_id == forum_id,
                                                                       model.id.in_(ids)))}


def preview(run_: ScheduleRun, *, unfixed: dict[str, str] | None = None) -> Preview:
    """What publishing the run would change against the meetings published now: added, moved (old place ->
    new), dropped (with the reason), the number unchanged, and the same per person.

    unfixed: problem.build's Index.unfixed, to say why a published meeting could not stay where it was."""
    forum_id = run_.forum_id
    unfixed = unfixed or {}
    live = live_meetings(forum_id)
    planned = {row_id(m["request"]): m for m in run_.plan["meetings"]}
    reasons = {row_id(u["request"]): u["reason"] for u in run_.plan["unscheduled"]}
    slots = _by_id(MeetingSlot, forum_id, [row_id(m["slot"]) for m in planned.values()])
    tables = _by_id(MeetingTable, forum_id, [row_id(m["table"]) for m in planned.values()])
    interps = _by_id(Interpreter, forum_id, [row_id(m["interpreter"]) for m in planned.values()])
    new_ids = [r for r in planned if r not in live]
    reqs = {r.id: r for r in db.session.scalars(sa.select(MeetingRequest).options(*_REQ_OPTS).where(
        MeetingRequest.forum_id == forum_id, MeetingRequest.id.in_(new_ids)))} if new_ids else {}
    reqs.update({rid: m.request for rid, m in live.items()})

    def placement(m: dict) -> Placement:
        return Placement(slots.get(row_id(m["slot"])), tables.get(row_id(m["table"])),
                         interps.get(row_id(m["interpreter"])))

    def old_place(m: Meeting) -> Placement:
        return Placement(m.slot, m.table, m.interpreter)

    added, moved, dropped, unchanged = [], [], [], 0
    for req_id in sorted(planned, key=lambda r: (_start(planned[r], slots), r)):
        req = reqs.get(req_id)
        if req is None:
            continue  # the request is gone altogether (the forum's data was deleted): nothing to show
        new = placement(planned[req_id])
        m = live.get(req_id)
        if m is None:
            added.append(Change("added", req, new=new))
        elif old_place(m).key != new.key:
            moved.append(Change("moved", req, old=old_place(m), new=new, meeting=m,
                                unfixed=unfixed.get(problem_mod.rid(req_id))))
        else:
            unchanged += 1
    for req_id, m in sorted(live.items(), key=lambda kv: (kv[1].slot.starts_at, kv[0])):
        if req_id not in planned:
            dropped.append(Change("dropped", m.request, old=old_place(m), reason=reasons.get(req_id, NOT_TAKING_PART),
                                  meeting=m, unfixed=unfixed.get(problem_mod.rid(req_id))))
    people: dict[int, PersonChanges] = {}
    for c in added + moved + dropped:
        for reg in (c.request.requester, c.request.recipient):
            pc = people.setdefault(reg.id, PersonChanges(reg))
            getattr(pc, c.kind).append(c)
    ordered = sorted(people.values(), key=lambda pc: ((pc.reg.latin_name or pc.reg.full_name).casefold(), pc.reg.id))
    return Preview(added, moved, dropped, unchanged, ordered)


def _start(m: dict, slots: dict) -> str:
    s = slots.get(row_id(m["slot"]))
    return s.starts_at.isoformat() if s is not None else ""


def check(run_: ScheduleRun) -> tuple[bool, problem_mod.Index]:
    """(stale, index): whether the grid, the accepted requests or the published meetings changed since the run
    was computed (the problem rebuilt now differs from the run's), and the index of the problem as it is now."""
    now, index = problem_mod.build(db.session.get(Forum, run_.forum_id))
    return now != run_.problem, index


def is_stale(run_: ScheduleRun) -> bool:
    return check(run_)[0]


# --- publishing ------------------------------------------------------------------------------------------------

def publish(run_: ScheduleRun, *, by: User | None, now: datetime | None = None) -> Preview:
    """Make the run's plan the published schedule (see the module's docstring); returns what changed."""
    permissions.require(by, run_.forum_id, Permission.B2B)
    forum = lock_forum(run_.forum_id)
    db.session.refresh(run_)
    now = now or clock.now()
    if run_.status is not RunStatus.DRAFT:
        raise InvalidState(_("This run was already published or replaced by a later one; run the scheduler again."),
                           code="run_not_draft")
    current, index = problem_mod.build(forum)
    if current != run_.problem:
        raise InvalidState(_("The meeting grid, the accepted requests or the published meetings changed since "
                             "this run was computed; run the scheduler again."), code="stale_run")
    diff = preview(run_, unfixed=index.unfixed)
    for c in diff.moved + diff.dropped:
        c.meeting.state = MeetingState.CANCELLED
        c.meeting.cancelled_at = now
    db.session.flush()  # the cancelled rows leave the partial unique indexes before the new ones arrive
    for c in diff.added + diff.moved:
        req = c.request
        db.session.add(Meeting(forum_id=forum.id, request_id=req.id, run_id=run_.id, a_id=req.requester_id,
                               b_id=req.recipient_id, slot_id=c.new.slot.id, table_id=c.new.table.id,
                               interpreter_id=c.new.interpreter.id if c.new.interpreter else None,
                               state=MeetingState.SCHEDULED, created_at=now))
    db.session.flush()
    reasons = {u["request"]: u["reason"] for u in run_.plan["unscheduled"]}
    for key, req in index.requests.items():
        req.unscheduled_reason = reasons.get(key)
    others = db.session.scalars(sa.select(MeetingRequest).where(
        MeetingRequest.forum_id == forum.id, MeetingRequest.unscheduled_reason.is_not(None),
        MeetingRequest.id.not_in([r.id for r in index.requests.values()] or [0])))
    for req in others:
        req.unscheduled_reason = None  # no longer in the problem: not accepted, or a side left
    for older in db.session.scalars(sa.select(ScheduleRun).where(
            ScheduleRun.forum_id == forum.id, ScheduleRun.id != run_.id,
            ScheduleRun.status.in_([RunStatus.PUBLISHED, RunStatus.DRAFT]))):
        older.status = RunStatus.SUPERSEDED
    run_.status = RunStatus.PUBLISHED
    run_.published_at = now
    run_.published_by_id = by.id if by is not None else None
    db.session.flush()
    audit.record(subject_type="schedule_run", subject_id=run_.id, action="published", actor=by, forum_id=forum.id,
                 from_state=RunStatus.DRAFT.value, to_state=RunStatus.PUBLISHED.value, added=len(diff.added),
                 moved=len(diff.moved), dropped=len(diff.dropped), unchanged=diff.unchanged)
    _mail_people(forum, diff)
    return diff


def meetings_of(reg_ids: list[int], forum_id: int) -> dict[int, list[Meeting]]:
    """The live meetings of these delegates, by delegate, in time order."""
    out: dict[int, list[Meeting]] = {r: [] for r in reg_ids}
    if not reg_ids:
        return out
    rows = db.session.scalars(sa.select(Meeting).join(MeetingSlot, MeetingSlot.id == Meeting.slot_id).options(
        joinedload(Meeting.slot), joinedload(Meeting.table), joinedload(Meeting.interpreter),
        joinedload(Meeting.a).joinedload(Registration.company), joinedload(Meeting.b).joinedload(Registration.company))
        .where(Meeting.forum_id == forum_id, Meeting.state == MeetingState.SCHEDULED,
               sa.or_(Meeting.a_id.in_(reg_ids), Meeting.b_id.in_(reg_ids)))
        .order_by(MeetingSlot.starts_at, Meeting.id)).all()
    for m in rows:
        for side in (m.a_id, m.b_id):
            if side in out:
                out[side].append(m)
    return out


def other_side(m: Meeting, reg: Registration) -> Registration:
    return m.b if m.a_id == reg.id else m.a


def _mail_people(forum: Forum, diff: Preview) -> None:
    """One e-mail per delegate whose meetings changed, still taking part, in their language."""
    taking_part = {r.id for r in participation.participants(forum)}
    people = [pc for pc in diff.people if pc.reg.id in taking_part]
    meetings = meetings_of([pc.reg.id for pc in people], forum.id)
    # Each mail carries the delegate's whole calendar (agendas.ics): opening it updates the events it had
    # before (same UIDs, a higher SEQUENCE) and removes the dropped ones (STATUS:CANCELLED).
    calendars = ics.attachments_for(forum.id, [pc.reg for pc in people])
    for pc in people:
        reg = pc.reg
        mail.queue("b2b_schedule_published", to=reg.email, to_name=reg.full_name, language=reg.language,
                   forum_id=forum.id, forum=forum, reg=reg, meetings=meetings[reg.id], changes=pc,
                   other_side=other_side, both_scripts=both_scripts, reason_text=reason_text,
                   link=external_url("b2b_meetings.mine", slug=forum.slug),
                   agenda_link=external_url("agendas.mine", slug=forum.slug), attachments=[calendars[reg.id]])


# --- requests that change after publication --------------------------------------------------------------------

def cancel_meetings_of(req: MeetingRequest, *, by: User | None, now: datetime | None = None) -> int:
    """The request is no longer accepted: its live meeting is cancelled (audited)."""
    now = now or clock.now()
    count = 0
    # A meeting already held stays held: it happened, whatever becomes of the request or its people.
    for m in db.session.scalars(sa.select(Meeting).where(Meeting.request_id == req.id,
                                                         Meeting.state == MeetingState.SCHEDULED,
                                                         Meeting.held_at.is_(None))):
        m.state = MeetingState.CANCELLED
        m.cancelled_at = now
        audit.record(subject_type="meeting", subject_id=m.id, action="state_change", actor=by, forum_id=m.forum_id,
                     from_state=MeetingState.SCHEDULED.value, to_state=MeetingState.CANCELLED.value,
                     reason="request_" + req.state.value)
        count += 1
    req.unscheduled_reason = None
    db.session.flush()
    return count


def live_meetings_count(forum: Forum) -> int:
    """How many meetings of the forum are live (what cancelling the forum would cancel)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Meeting).where(
        Meeting.forum_id == forum.id, Meeting.state == MeetingState.SCHEDULED)) or 0


def cancel_forum_meetings(forum: Forum, *, by: User | None, now: datetime | None = None) -> list[Meeting]:
    """The forum is cancelled: every live meeting is cancelled (audited), without e-mails of its own (the
    cancellation's e-mail tells each delegate and carries their calendar). Returns the meetings cancelled."""
    now = now or clock.now()
    # A meeting already held (a forum cancelled while under way) is history: it stays held.
    cancelled = list(db.session.scalars(sa.select(Meeting).where(
        Meeting.forum_id == forum.id, Meeting.state == MeetingState.SCHEDULED, Meeting.held_at.is_(None))
        .order_by(Meeting.id)))
    for m in cancelled:
        m.state = MeetingState.CANCELLED
        m.cancelled_at = now
        audit.record(subject_type="meeting", subject_id=m.id, action="state_change", actor=by, forum_id=m.forum_id,
                     from_state=MeetingState.SCHEDULED.value, to_state=MeetingState.CANCELLED.value,
                     reason="forum_cancelled")
    db.session.flush()
    return cancelled


def _request_changed(req: MeetingRequest, *, frm, to, by=None, now=None, **_kw) -> None:
    if frm is RequestState.ACCEPTED and to is not RequestState.ACCEPTED:
        cancel_meetings_of(req, by=by, now=now)


def connect_signals() -> None:
    """Called by the app factory: a request that stops being accepted cancels its published meeting
    (connecting the same module-level receiver again is a no-op)."""
    from forum.meetings import states

    states.request_changed.connect(_request_changed)
