"""Every meeting row of some delegates, cancelled ones included: what the calendar and "changes since you last
looked" are computed from. A request (MeetingRequest) is the stable identity of one meeting between two
people; publishing a move cancels its row and creates a new one, so a request's rows are its history."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from forum.db import db
from forum.meetings.models import Meeting, MeetingSlot, MeetingState
from forum.registration.models import CompanyRegistration, Registration


@dataclass
class RequestHistory:
    """One request's meeting rows for one delegate, oldest first."""

    rows: list[Meeting] = field(default_factory=list)

    @property
    def current(self) -> Meeting:
        """The live (or no-show) row when there is one, else the latest row (cancelled)."""
        on = [m for m in self.rows if m.state is not MeetingState.CANCELLED]
        return on[-1] if on else self.rows[-1]

    @property
    def cancelled(self) -> bool:
        return self.current.state is MeetingState.CANCELLED

    @property
    def changes(self) -> int:
        """How many times this meeting changed since it was first published: every row after the first (a move,
        a new placement after a drop) and every cancellation. It only grows, so it is the calendar's SEQUENCE."""
        return len(self.rows) - 1 + sum(m.state is MeetingState.CANCELLED for m in self.rows)

    @property
    def last_modified(self) -> datetime:
        return max(t for m in self.rows for t in (m.created_at, m.cancelled_at) if t is not None)


def _key(m: Meeting):
    return (m.created_at, m.id)


def rows_of(forum_id: int, reg_ids: list[int]) -> dict[int, dict[int, RequestHistory]]:
    """{registration id: {request id: RequestHistory}} for these delegates, every state, in one query."""
    out: dict[int, dict[int, RequestHistory]] = {r: {} for r in reg_ids}
    if not reg_ids:
        return out
    rows = db.session.scalars(
        sa.select(Meeting).options(
            joinedload(Meeting.slot).joinedload(MeetingSlot.session), joinedload(Meeting.table),
            joinedload(Meeting.interpreter), joinedload(Meeting.request),
            joinedload(Meeting.a).joinedload(Registration.company).joinedload(CompanyRegistration.organisation),
            joinedload(Meeting.b).joinedload(Registration.company).joinedload(CompanyRegistration.organisation))
        .where(Meeting.forum_id == forum_id, sa.or_(Meeting.a_id.in_(reg_ids), Meeting.b_id.in_(reg_ids)))
        .order_by(Meeting.created_at, Meeting.id)).unique().all()
    for m in sorted(rows, key=_key):
        for side in {m.a_id, m.b_id}:
            if side in out:
                out[side].setdefault(m.request_id, RequestHistory()).rows.append(m)
    return out


def history_of(reg: Registration) -> dict[int, RequestHistory]:
    return rows_of(reg.forum_id, [reg.id])[reg.id]
