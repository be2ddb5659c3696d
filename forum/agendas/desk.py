"""The organizers' index of agenda PDFs (/manage/<slug>/b2b/agendas): who has meetings, the tables and the
interpreters, each with how many meetings their PDF lists. Read side only."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from forum.agendas import pdf
from forum.agendas.queries import ON_AGENDA
from forum.db import db
from forum.meetings.models import Interpreter, Meeting, MeetingTable
from forum.meetings.pages import paginate
from forum.registration.models import Registration
from forum.search import matches_all_words


def _on_agenda(forum_id: int):
    return sa.and_(Meeting.forum_id == forum_id, Meeting.state.in_(ON_AGENDA))


def delegates(forum_id: int, q: str = ""):
    """One page of the delegates with meetings, by Latin name, those matching `q` (a name in any script, the
    e-mail or the company: the registration's search key). Each item is (registration, number of meetings)."""
    people = sa.select(pdf.delegates_with_meetings(forum_id).subquery().c.reg_id)
    page = paginate(sa.select(Registration).options(joinedload(Registration.company))
        .where(Registration.forum_id == forum_id, Registration.id.in_(people),
               matches_all_words(Registration.search_key, q))
        .order_by(sa.func.lower(Registration.latin_name), Registration.id))
    ids = [r.id for r in page.items]
    counts: dict[int, int] = {}
    if ids:
        for side in (Meeting.a_id, Meeting.b_id):
            for reg_id, n in db.session.execute(sa.select(side, sa.func.count()).where(
                    _on_agenda(forum_id), side.in_(ids)).group_by(side)):
                counts[reg_id] = counts.get(reg_id, 0) + n
    page.items = [(r, counts.get(r.id, 0)) for r in page.items]
    return page


@dataclass(frozen=True)
class Counted:
    thing: MeetingTable | Interpreter
    meetings: int


def _counts(forum_id: int, column) -> dict[int, int]:
    return dict(db.session.execute(sa.select(column, sa.func.count()).where(_on_agenda(forum_id), column.is_not(None))
                                   .group_by(column)).all())


def tables(forum_id: int) -> list[Counted]:
    """The tables the bundle prints signs for, with their meetings."""
    counts = _counts(forum_id, Meeting.table_id)
    return [Counted(t, counts.get(t.id, 0)) for t in pdf.bundle_tables(forum_id)]


def interpreters(forum_id: int) -> list[Counted]:
    counts = _counts(forum_id, Meeting.interpreter_id)
    return [Counted(i, counts.get(i.id, 0)) for i in pdf.bundle_interpreters(forum_id)]
