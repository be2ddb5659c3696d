"""Read-side queries of the agendas: whose meetings, in time order, with everything a page, a PDF or a calendar
prints loaded in the same query. What an agenda shows: live meetings (held or not yet) and no-shows, never
cancelled ones (the calendar lists those separately, as cancelled events)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from forum.db import db
from forum.meetings.models import Meeting, MeetingSlot, MeetingState
from forum.registration.models import CompanyRegistration, Registration

ON_AGENDA = (MeetingState.SCHEDULED, MeetingState.NO_SHOW)


def _loaded():
    return (joinedload(Meeting.slot).joinedload(MeetingSlot.session), joinedload(Meeting.table),
            joinedload(Meeting.interpreter), joinedload(Meeting.request),
            joinedload(Meeting.a).joinedload(Registration.company).joinedload(CompanyRegistration.organisation),
            joinedload(Meeting.b).joinedload(Registration.company).joinedload(CompanyRegistration.organisation))


def _ordered(stmt):
    return stmt.join(MeetingSlot, MeetingSlot.id == Meeting.slot_id).order_by(MeetingSlot.starts_at, Meeting.id)


def agenda_of(reg: Registration) -> list[Meeting]:
    """One delegate's meetings on their agenda, in time order."""
    return list(db.session.scalars(_ordered(sa.select(Meeting).options(*_loaded())).where(
        Meeting.forum_id == reg.forum_id, Meeting.state.in_(ON_AGENDA),
        sa.or_(Meeting.a_id == reg.id, Meeting.b_id == reg.id))).unique())


def agendas_of(forum_id: int, reg_ids: list[int] | None = None) -> dict[int, list[Meeting]]:
    """Several delegates' agendas (all who have meetings when reg_ids is None), by registration id."""
    stmt = _ordered(sa.select(Meeting).options(*_loaded())).where(Meeting.forum_id == forum_id,
                                                                  Meeting.state.in_(ON_AGENDA))
    if reg_ids is not None:
        stmt = stmt.where(sa.or_(Meeting.a_id.in_(reg_ids), Meeting.b_id.in_(reg_ids)))
    out: dict[int, list[Meeting]] = {r: [] for r in (reg_ids or [])}
    for m in db.session.scalars(stmt).unique():
        for side in (m.a_id, m.b_id):
            if reg_ids is None or side in out:
                out.setdefault(side, []).append(m)
    return out


def table_meetings(forum_id: int, table_id: int | None = None) -> dict[int, list[Meeting]]:
    """Meetings on the agenda by table id (one table's when table_id is given), in time order."""
    stmt = _ordered(sa.select(Meeting).options(*_loaded())).where(Meeting.forum_id == forum_id,
                                                                  Meeting.state.in_(ON_AGENDA))
    if table_id is not None:
        stmt = stmt.where(Meeting.table_id == table_id)
    out: dict[int, list[Meeting]] = {}
    for m in db.session.scalars(stmt).unique():
        out.setdefault(m.table_id, []).append(m)
    return out


def interpreter_meetings(forum_id: int, interpreter_id: int | None = None) -> dict[int, list[Meeting]]:
    """Meetings on the agenda by interpreter id, in time order."""
    stmt = _ordered(sa.select(Meeting).options(*_loaded())).where(Meeting.forum_id == forum_id,
                                                                  Meeting.state.in_(ON_AGENDA),
                                                                  Meeting.interpreter_id.is_not(None))
    if interpreter_id is not None:
        stmt = stmt.where(Meeting.interpreter_id == interpreter_id)
    out: dict[int, list[Meeting]] = {}
    for m in db.session.scalars(stmt).unique():
        out.setdefault(m.interpreter_id, []).append(m)
    return out


def other_side(m: Meeting, reg: Registration) -> Registration:
    return m.b if m.a_id == reg.id else m.a
