"""What changed on a delegate's agenda since they last looked at it, and the "looked" itself.

The rule, compared with AgendaState.seen_at (None: never looked, so nothing is highlighted):
- a meeting on the agenda created after seen_at is *moved* when the delegate had seen the same request at another
  row (one created by then and cancelled since): it carries that old row; otherwise it is *new*;
- a row the delegate had seen (created by seen_at) and that was cancelled since, whose request has nothing on the
  agenda now, is *cancelled since you last looked* (with its old time and table);
- rows created and cancelled both after seen_at were never seen: they are not mentioned.
Looking at the agenda (`mark_seen`) moves seen_at to now.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from forum import clock
from forum.agendas.history import RequestHistory, history_of
from forum.agendas.models import AgendaState
from forum.agendas.queries import ON_AGENDA
from forum.db import db
from forum.meetings.models import Meeting, MeetingState
from forum.registration.models import Registration


@dataclass
class Changes:
    seen_at: datetime | None
    new: set[int] = field(default_factory=set)  # ids of meetings on the agenda that are new since
    moved: dict[int, Meeting] = field(default_factory=dict)  # id of a meeting on the agenda -> the row it replaced
    cancelled: list[Meeting] = field(default_factory=list)  # seen rows cancelled since, nothing in their place

    def __bool__(self) -> bool:
        return bool(self.new or self.moved or self.cancelled)


def state_of(reg: Registration) -> AgendaState | None:
    return db.session.scalar(sa.select(AgendaState).where(AgendaState.registration_id == reg.id))


def state_for_update(reg: Registration) -> AgendaState:
    """The delegate's AgendaState, locked; created when missing (two first visits at once: one insert wins, the
    other reads it back)."""
    stmt = sa.select(AgendaState).where(AgendaState.registration_id == reg.id).with_for_update()
    found = db.session.scalar(stmt)
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            found = AgendaState(registration_id=reg.id, calendar_version=1)
            db.session.add(found)
    except IntegrityError:
        found = db.session.scalar(stmt.execution_options(populate_existing=True))
    return found


def since(seen_at: datetime | None, histories: dict[int, RequestHistory]) -> Changes:
    """What changed on an agenda since seen_at, from the delegate's request histories (history.rows_of)."""
    if seen_at is None:
        return Changes(seen_at=None)
    out = Changes(seen_at=seen_at)
    for h in histories.values():
        # The rows the delegate saw when they last looked: created by then and not yet cancelled then.
        seen_then = [m for m in h.rows
                     if m.created_at <= seen_at and (m.cancelled_at is None or m.cancelled_at > seen_at)]
        gone = [m for m in seen_then if m.state is MeetingState.CANCELLED]
        on_agenda = [m for m in h.rows if m.state in ON_AGENDA]
        if on_agenda:
            if on_agenda[-1].created_at > seen_at:
                if gone:
                    out.moved[on_agenda[-1].id] = gone[-1]
                else:
                    out.new.add(on_agenda[-1].id)
        else:
            out.cancelled.extend(gone)
    out.cancelled.sort(key=lambda m: (m.slot.starts_at, m.id))
    return out


def look(reg: Registration, *, now: datetime | None = None) -> Changes:
    """The delegate opens their agenda: what changed since they last looked, and from now on they have seen it
    (AgendaState.seen_at = now, flushed). The first look highlights nothing."""
    state = state_for_update(reg)
    changes = since(state.seen_at, history_of(reg))
    state.seen_at = now or clock.now()
    db.session.flush()
    return changes
