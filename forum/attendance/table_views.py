"""The table host's page, opened from the QR code on the table sheet (attendance.tokens): the table's meetings
now, and "Confirm held". No sign-in: the printed sheet is the key.

The table is named by its id as text (`table_ref`) beside the HMAC token: the token is what makes the URL
unguessable; a wrong token, a wrong table or a malformed reference is a 404 that says nothing more.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forum import clock
from forum.agendas.queries import table_meetings
from forum.attendance import rules, tokens
from forum.attendance.forms import ConfirmForm
from forum.db import db
from forum.errors import DomainError
from forum.extensions import limiter
from forum.forums.models import Forum
from forum.meetings.models import HeldVia, MeetingTable
from forum.urls import ascii_int

bp = Blueprint("attendance_table", __name__, url_prefix="/b2b/table")

UPCOMING = 2  # meetings shown after those under way


def _limit() -> str:
    return current_app.config["RATELIMIT_BADGE_PAGE"]


def _private(response):
    response.headers["X-Robots-Tag"] = "noindex, nofollow, noarchive"
    response.headers["Cache-Control"] = "no-store, private"
    return response


def _table_or_404(table_ref: str, token: str) -> MeetingTable:
    table_id = ascii_int(table_ref)
    table = db.session.get(MeetingTable, table_id) if table_id else None
    if table is None or not tokens.token_matches(table, token):
        abort(404)
    return table


def _now_and_next(table: MeetingTable, now):
    """The table's meetings whose confirmation window holds now, then the next UPCOMING ones."""
    found = table_meetings(table.forum_id, table.id).get(table.id, [])
    current = [m for m in found if rules.in_window(m.slot, now)]
    later = [m for m in found if m.slot.starts_at - rules.GRACE > now][:UPCOMING]
    return current, later


@bp.get("/<table_ref>/<token>")
@limiter.limit(_limit)
def sheet(table_ref: str, token: str):
    table = _table_or_404(table_ref, token)
    forum = db.session.get(Forum, table.forum_id)
    now = clock.now()
    rules.mark_no_shows(now, forum_id=forum.id)
    db.session.commit()
    current, later = _now_and_next(table, now)
    page = render_template("attendance/table_sheet.html", forum=forum, table=table, current=current, later=later,
                           now=now, rules=rules, Status=rules.Status, form=ConfirmForm(), token=token,
                           table_ref=table_ref)
    return _private(current_app.make_response(page))


@bp.post("/<table_ref>/<token>/held")
@limiter.limit(_limit)
def confirm_held(table_ref: str, token: str):
    table = _table_or_404(table_ref, token)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    now = clock.now()
    meeting = next((m for m in table_meetings(table.forum_id, table.id).get(table.id, [])
                    if m.public_id == form.meeting.data), None)
    if meeting is None:
        abort(404)
    by = current_user if current_user.is_authenticated else None
    try:
        rules.mark_no_shows(now, forum_id=table.forum_id)
        changed = rules.confirm(meeting, via=HeldVia.TABLE, by=by, now=now)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(_("The meeting is confirmed as held. Thank you.") if changed
              else _("This meeting was already confirmed as held."), "success")
    return redirect(url_for(".sheet", table_ref=table_ref, token=token), 303)
