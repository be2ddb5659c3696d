"""The organizers' live board of the B2B meetings: now, held / waiting / no-show per table, free tables, walk-ins."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forum import clock
from forum.attendance import booking_input, rules
from forum.attendance.forms import ConfirmForm, StaffWalkInForm, place_value
from forum.db import db
from forum.errors import DomainError
from forum.meetings import participation
from forum.meetings.models import HeldVia, Meeting, MeetingSlot
from forum.meetings.reasons import both_scripts
from forum.security import Permission, current_forum, forum_permission
from forum.templating import local_time
from forum.urls import ascii_int

bp = Blueprint("attendance", __name__, url_prefix="/manage/<slug>/b2b/live")

REFRESH_SECONDS = 30


def _slot_arg(forum) -> MeetingSlot | None:
    raw = request.args.get("slot", "")
    if not raw:
        return None
    slot_id = ascii_int(raw, maximum=2**31 - 1)
    slot = db.session.get(MeetingSlot, slot_id) if slot_id else None
    if slot is None or slot.forum_id != forum.id:
        abort(404)
    return slot


def _neighbours(slot: MeetingSlot) -> tuple[MeetingSlot | None, MeetingSlot | None]:
    before = db.session.scalar(sa.select(MeetingSlot).where(MeetingSlot.forum_id == slot.forum_id,
                                                            MeetingSlot.starts_at < slot.starts_at)
                               .order_by(MeetingSlot.starts_at.desc()).limit(1))
    after = db.session.scalar(sa.select(MeetingSlot).where(MeetingSlot.forum_id == slot.forum_id,
                                                           MeetingSlot.starts_at > slot.starts_at)
                              .order_by(MeetingSlot.starts_at).limit(1))
    return before, after


@bp.get("/")
@forum_permission(Permission.B2B)
def board(slug: str):
    forum, now = current_forum(), clock.now()
    rules.mark_no_shows(now, forum_id=forum.id)
    db.session.commit()
    current, upcoming = rules.slots_now(forum, now)
    chosen = _slot_arg(forum)
    shown = chosen or current or upcoming
    boards = []
    if shown is not None:
        boards.append(rules.board(forum, shown))
        if chosen is None and current is not None and upcoming is not None:
            boards.append(rules.board(forum, upcoming))
    before, after = _neighbours(shown) if shown is not None else (None, None)
    return render_template("attendance/board.html", forum=forum, now=now, boards=boards, current=current,
                           before=before, after=after, chosen=chosen, form=ConfirmForm(), rules=rules,
                           Status=rules.Status, refresh=REFRESH_SECONDS, both_scripts=both_scripts)


@bp.post("/held")
@forum_permission(Permission.B2B)
def confirm_held(slug: str):
    """The team marks a meeting held (in its window)."""
    forum = current_forum()
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    meeting = db.session.scalar(sa.select(Meeting).where(Meeting.public_id == form.meeting.data,
                                                         Meeting.forum_id == forum.id))
    if meeting is None:
        abort(404)
    now = clock.now()
    try:
        rules.mark_no_shows(now, forum_id=forum.id)
        changed = rules.confirm(meeting, via=HeldVia.STAFF, by=current_user, now=now)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
        return redirect(url_for(".board", slug=forum.slug, slot=meeting.slot_id), 303)
    db.session.commit()
    flash(_("Table %(n)d: the meeting is confirmed as held.", n=meeting.table.number) if changed
          else _("Table %(n)d: the meeting was already confirmed as held.", n=meeting.table.number), "success")
    return redirect(url_for(".board", slug=forum.slug, slot=meeting.slot_id), 303)


def _participants(forum) -> list[tuple[str, str]]:
    regs = participation.participants(forum)
    regs.sort(key=lambda r: ((r.latin_name or r.full_name).casefold(), r.id))
    return [("", "—")] + [(r.public_id, f"{both_scripts(r)} · {r.company.legal_name}") for r in regs]


def _staff_form_page(forum, form: StaffWalkInForm, status: int = 200):
    now = clock.now()
    places = rules.free_places(forum, now)
    form.place.choices = [("", "—")] + [
        (place_value(s.id, t.id), _("%(time)s · Table %(n)d", time=local_time(s.starts_at, forum),
                                     n=t.number) + (f" ({t.label})" if t.label else ""))
        for s, t in places]
    people = _participants(forum)
    form.a.choices = people
    form.counterpart.choices = people
    return render_template("attendance/staff_walk_in.html", forum=forum, form=form, now=now,
                           has_places=bool(places)), status


@bp.get("/walk-in")
@forum_permission(Permission.B2B)
def walk_in_form(slug: str):
    forum = current_forum()
    rules.mark_no_shows(clock.now(), forum_id=forum.id)
    db.session.commit()
    form = StaffWalkInForm(formdata=None)
    slot_id, table_id = ascii_int(request.args.get("slot", "")), ascii_int(request.args.get("table", ""))
    if slot_id and table_id:
        form.place.data = place_value(slot_id, table_id)
    return _staff_form_page(forum, form)


@bp.post("/walk-in")
@forum_permission(Permission.B2B)
def book_walk_in(slug: str):
    forum = current_forum()
    form = StaffWalkInForm()
    if not form.validate_on_submit():
        return _staff_form_page(forum, form, 422)
    read = booking_input.read(forum, form, ("a", "counterpart"))
    if read is None:
        return _staff_form_page(forum, form, 422)
    slot, table, (a, b) = read
    try:
        meeting = rules.book_walk_in(forum, a, b, slot, table, by=current_user, now=clock.now())
    except DomainError as e:
        return _staff_form_page(forum, form, booking_input.show_refusal(form, e))
    db.session.commit()
    flash(_("Walk-in booked: table %(n)d, %(a)s and %(b)s.", n=table.number, a=both_scripts(meeting.a),
            b=both_scripts(meeting.b)), "success")
    return redirect(url_for(".board", slug=forum.slug, slot=slot.id), 303)
