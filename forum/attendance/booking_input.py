"""What the two walk-in forms (the delegate's and the staff's) share: reading the chosen time, table and people
from a validated form, and showing a refusal of rules.book_walk_in next to its field."""
from __future__ import annotations

from flask import flash
from flask_babel import gettext as _

from forum.attendance import rules
from forum.attendance.forms import parse_place
from forum.db import db
from forum.errors import DomainError
from forum.forums.models import Forum
from forum.meetings.models import MeetingSlot, MeetingTable
from forum.registration.models import Registration


def read(forum: Forum, form, people: tuple[str, ...]) -> tuple[MeetingSlot, MeetingTable, list[Registration]] | None:
    """(slot, table, [the participant named in each of the `people` fields]); None after putting an error next to
    every field that names nothing of this forum."""
    place = parse_place(form.place.data)
    slot = db.session.get(MeetingSlot, place[0]) if place else None
    table = db.session.get(MeetingTable, place[1]) if place else None
    regs = [rules.participant_by_public_id(forum, getattr(form, name).data) for name in people]
    bad = False
    if slot is None or table is None or slot.forum_id != forum.id or table.forum_id != forum.id:
        form.place.errors = [_("Choose a time and a table.")]
        bad = True
    for name, reg in zip(people, regs):
        if reg is None:
            getattr(form, name).errors = [_("Choose a delegate who takes part in the B2B meetings.")]
            bad = True
    return None if bad else (slot, table, regs)


def show_refusal(form, e: DomainError) -> int:
    """Put the refusal next to its field (the time and table, or the counterpart), else flash it; the status."""
    db.session.rollback()
    field = {"slot": form.place, "table": form.place, "counterpart": form.counterpart}.get(e.field)
    if field is None:
        flash(e.message, "error")
    else:
        field.errors = [e.message]
    return 409 if e.status == 409 else 422
