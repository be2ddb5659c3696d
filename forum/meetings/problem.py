"""The scheduler's problem (../shared/b2b/FORMAT.md, "forum-b2b-problem/1") built from the database.

- slots: the forum's meeting slots by start ("s<id>");
- tables: the active tables by number ("t<id>"), `slots` null when usable in every slot;
- participants: the delegates who take part (participation.participants) and appear in an accepted request
  ("p<registration id>"), `available` null unless they marked slots unavailable, their meeting cap;
- interpreters: the active ones ("i<id>");
- requests: the accepted requests whose both sides still take part ("r<id>"), weighted by both priorities;
  a request with a published live meeting that is still valid (both sides free then, the table and the
  interpreter still active and available, the interpretation still needed, within both caps) is `fixed`
  there, so a new run keeps published meetings where they are. One that is no longer valid is left free
  (and `Index.unfixed` says why), so the preview shows it moved or dropped.

Everything is built in a stable order (ids, starts), so the same database gives the same problem.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from forum.db import db
from forum.forums.models import Forum
from forum.meetings import participation
from forum.meetings.models import (B2BSettings, Interpreter, Meeting, MeetingPrefs, MeetingRequest, MeetingSlot, MeetingState,
                                   MeetingTable, RequestState, Unavailability, interpreter_slots, table_slots)
from forum.meetings.solver import PROBLEM_FORMAT
from forum.registration.models import Registration

# Why a published meeting could not stay fixed (Index.unfixed); shown in the preview.
UNFIX_REASONS = ("side_unavailable", "table_unavailable", "interpreter_unavailable", "interpreter_not_needed",
                 "interpreter_needed", "over_cap")


def sid(slot_id: int) -> str:
    return f"s{slot_id}"


def tid(table_id: int) -> str:
    return f"t{table_id}"


def pid(reg_id: int) -> str:
    return f"p{reg_id}"


def iid(interpreter_id: int) -> str:
    return f"i{interpreter_id}"


def rid(request_id: int) -> str:
    return f"r{request_id}"


def row_id(key: str | None) -> int | None:
    """'s12' -> 12 (None stays None)."""
    return None if key is None else int(key[1:])


@dataclass
class Index:
    """The problem's ids back to the rows they came from."""

    slots: dict[str, MeetingSlot] = field(default_factory=dict)
    tables: dict[str, MeetingTable] = field(default_factory=dict)
    participants: dict[str, Registration] = field(default_factory=dict)
    interpreters: dict[str, Interpreter] = field(default_factory=dict)
    requests: dict[str, MeetingRequest] = field(default_factory=dict)
    live: dict[str, Meeting] = field(default_factory=dict)  # request id -> its published live meeting
    unfixed: dict[str, str] = field(default_factory=dict)  # request id -> why its live meeting is not fixed

    def __getitem__(self, key: str):
        kind = {"s": self.slots, "t": self.tables, "p": self.participants, "i": self.interpreters,
                "r": self.requests}[key[0]]
        return kind[key]


def caps(forum: Forum, regs: list[Registration]) -> dict[int, int]:
    """participation.max_meetings for many delegates in two queries: their own cap, else the forum's default."""
    # Read, not participation.settings(): that creates the row, and the pages that call this are GETs.
    found = db.session.scalar(sa.select(B2BSettings.default_max_meetings).where(B2BSettings.forum_id == forum.id))
    default = found if found is not None else B2BSettings.__table__.c.default_max_meetings.default.arg
    own = dict(db.session.execute(sa.select(MeetingPrefs.registration_id, MeetingPrefs.max_meetings).where(
        MeetingPrefs.registration_id.in_([r.id for r in regs]), MeetingPrefs.max_meetings.is_not(None))).all()) \
        if regs else {}
    return {r.id: own.get(r.id, default) for r in regs}


def build(forum: Forum) -> tuple[dict, Index]:
    """The forum's scheduling problem as it stands now, and the index from its ids to the rows."""
    index = Index()
    slots = db.session.scalars(sa.select(MeetingSlot).where(MeetingSlot.forum_id == forum.id)
                               .order_by(MeetingSlot.starts_at, MeetingSlot.id)).all()
    slot_order = {s.id: n for n, s in enumerate(slots)}
    slot_ids = [sid(s.id) for s in slots]
    tables = db.session.scalars(sa.select(MeetingTable).where(MeetingTable.forum_id == forum.id,
                                                              MeetingTable.active.is_(True))
                                .order_by(MeetingTable.number, MeetingTable.id)).all()
    interpreters = db.session.scalars(sa.select(Interpreter).where(Interpreter.forum_id == forum.id,
                                                                   Interpreter.active.is_(True))
                                      .order_by(Interpreter.id)).all()
    table_usable = _slot_sets(table_slots.c.table_id, table_slots.c.slot_id, [t.id for t in tables if not t.all_slots])
    interp_usable = _slot_sets(interpreter_slots.c.interpreter_id, interpreter_slots.c.slot_id,
                               [i.id for i in interpreters if not i.all_slots])

    taking_part = {r.id: r for r in participation.participants(forum)}
    accepted = db.session.scalars(sa.select(MeetingRequest).where(
        MeetingRequest.forum_id == forum.id, MeetingRequest.state == RequestState.ACCEPTED)
        .order_by(MeetingRequest.id)).all()
    requests = [r for r in accepted if r.requester_id in taking_part and r.recipient_id in taking_part]
    people_ids = sorted({r.requester_id for r in requests} | {r.recipient_id for r in requests})
    people = [taking_part[i] for i in people_ids]
    cap = caps(forum, people)
    unavailable: dict[int, set[int]] = defaultdict(set)
    if people_ids:
        for reg_id, slot_id in db.session.execute(sa.select(Unavailability.registration_id, Unavailability.slot_id)
                                                  .where(Unavailability.registration_id.in_(people_ids))):
            if slot_id in slot_order:
                unavailable[reg_id].add(slot_id)

    def free(reg_id: int, slot_id: int) -> bool:
        return slot_id in slot_order and slot_id not in unavailable[reg_id]

    def table_ok(t: MeetingTable, slot_id: int) -> bool:
        return t.all_slots or slot_id in table_usable[t.id]

    def interp_ok(i: Interpreter, slot_id: int) -> bool:
        return i.all_slots or slot_id in interp_usable[i.id]

    live = {m.request_id: m for m in db.session.scalars(sa.select(Meeting).where(
        Meeting.forum_id == forum.id, Meeting.state == MeetingState.SCHEDULED).order_by(Meeting.id))}
    active_tables = {t.id: t for t in tables}
    active_interps = {i.id: i for i in interpreters}

    # Which live meetings stay fixed: each must still be valid on its own, and the fixed meetings together must
    # fit each person's cap (a delegate who lowered it keeps the heaviest, then the earliest).
    fixed: dict[int, dict] = {}
    candidates = []
    for req in requests:
        m = live.get(req.id)
        if m is None:
            continue
        index.live[rid(req.id)] = m
        why = _invalid(m, req, taking_part, free, active_tables, active_interps, table_ok, interp_ok)
        if why:
            index.unfixed[rid(req.id)] = why
        else:
            candidates.append((req, m))
    count: dict[int, int] = defaultdict(int)
    for req, m in sorted(candidates, key=lambda rm: (-rm[0].weight, slot_order[rm[1].slot_id], rm[0].id)):
        if any(count[p] >= cap[p] for p in (req.requester_id, req.recipient_id)):
            index.unfixed[rid(req.id)] = "over_cap"
            continue
        count[req.requester_id] += 1
        count[req.recipient_id] += 1
        fixed[req.id] = {"slot": sid(m.slot_id), "table": tid(m.table_id),
                         "interpreter": iid(m.interpreter_id) if m.interpreter_id is not None else None}

    for s in slots:
        index.slots[sid(s.id)] = s
    for t in tables:
        index.tables[tid(t.id)] = t
    for i in interpreters:
        index.interpreters[iid(i.id)] = i
    for p in people:
        index.participants[pid(p.id)] = p
    for r in requests:
        index.requests[rid(r.id)] = r

    def slot_list(ids) -> list[str]:
        return [sid(x) for x in sorted(ids, key=lambda x: slot_order[x]) if x in slot_order]

    problem = {
        "format": PROBLEM_FORMAT,
        "slots": [{"id": sid(s.id), "start": s.starts_at.astimezone(forum.tz).isoformat(),
                   "end": s.ends_at.astimezone(forum.tz).isoformat()} for s in slots],
        "tables": [{"id": tid(t.id), "slots": None if t.all_slots else slot_list(table_usable[t.id])}
                   for t in tables],
        "participants": [{"id": pid(p.id),
                          "available": None if not unavailable[p.id] else
                          [x for x in slot_ids if row_id(x) not in unavailable[p.id]],
                          "max_meetings": cap[p.id], "languages": list(p.languages or [])} for p in people],
        "interpreters": [{"id": iid(i.id), "languages": list(i.languages or []),
                          "available": None if i.all_slots else slot_list(interp_usable[i.id])}
                         for i in interpreters],
        "requests": [{"id": rid(r.id), "participants": [pid(r.requester_id), pid(r.recipient_id)],
                      "weight": r.weight, "fixed": fixed.get(r.id)} for r in requests],
    }
    return problem, index


def _slot_sets(owner_col, slot_col, owner_ids: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    if owner_ids:
        for owner, slot in db.session.execute(sa.select(owner_col, slot_col).where(owner_col.in_(owner_ids))):
            found[owner].add(slot)
    return found


def _invalid(m: Meeting, req: MeetingRequest, people, free, tables, interps, table_ok, interp_ok) -> str | None:
    """Why a published meeting can no longer stay where it is, or None when it still can."""
    a, b = people[req.requester_id], people[req.recipient_id]
    if not free(a.id, m.slot_id) or not free(b.id, m.slot_id):
        return "side_unavailable"
    table = tables.get(m.table_id)
    if table is None or not table_ok(table, m.slot_id):
        return "table_unavailable"
    share = set(a.languages or []) & set(b.languages or [])
    if share:
        return "interpreter_not_needed" if m.interpreter_id is not None else None
    if m.interpreter_id is None:
        return "interpreter_needed"
    interp = interps.get(m.interpreter_id)
    if interp is None or not interp_ok(interp, m.slot_id):
        return "interpreter_unavailable"
    langs = set(interp.languages or [])
    if not (langs & set(a.languages or []) and langs & set(b.languages or [])):
        return "interpreter_unavailable"
    return None
