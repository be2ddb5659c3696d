"""A delegate's availability for B2B meetings (/forums/<slug>/b2b/availability): the slots they cannot meet in,
their cap on meetings, and opting out of (or back into) the B2B meetings. The rules are in meetings.grid."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from forum.db import db
from forum.errors import DomainError
from forum.forms_util import apply_errors
from forum.forums import gone
from forum.meetings import availability, grid, participation
from forum.meetings.grid_forms import AvailabilityForm, OptInForm, OptOutForm
from forum.urls import ascii_int
from forum.meetings.pages import forum_or_404

bp = Blueprint("b2b_availability", __name__, url_prefix="/forums/<slug>/b2b")


def _forum_and_reg(slug: str):
    """The forum and the user's registration that may take part (opted out or not); 404 otherwise."""
    forum = forum_or_404(slug)
    reg = availability.eligible_registration(current_user, forum)
    if reg is None:
        gone.abort_if_cancelled(forum)
        abort(404)
    return forum, reg


def _render(forum, reg, form, status=200, notes=None, note_errors=None):
    prefs = participation.prefs(reg)
    opted_out = prefs is not None and prefs.opted_out
    default_cap = grid.current_settings(forum).default_max_meetings
    # the hint under the field, tied to it by aria-describedby (the field macro shows descriptions)
    form.max_meetings.description = _("Empty: the forum's limit, %(n)d.", n=default_cap)
    return render_template(
        "meetings/availability.html", forum=forum, me=reg, form=form, sessions=grid.sessions(forum),
        notes=notes if notes is not None else availability.unavailable(reg), note_errors=note_errors or {},
        opted_out=opted_out, default_cap=default_cap,
        opt_in_form=OptInForm(formdata=None)), status


@bp.route("/availability", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    forum, reg = _forum_and_reg(slug)
    form = AvailabilityForm()
    if request.method == "GET":
        prefs = participation.prefs(reg)
        form.max_meetings.data = "" if prefs is None or prefs.max_meetings is None else str(prefs.max_meetings)
        return _render(forum, reg, form)
    if participation.participation_in(current_user, forum) is None:
        abort(404)  # opted out: only opting back in is open to them
    if not form.validate_on_submit():
        return _render(forum, reg, form, 422)
    chosen = form.unavailable.data or []
    notes = {key: request.form.get(f"note-{key}", "") for key in chosen}
    try:
        result = availability.set_unavailable(reg, notes, by=current_user)
        availability.set_cap(reg, form.max_meetings.data, by=current_user)
    except grid.GridErrors as e:
        db.session.rollback()
        field_errors = e.by_field()
        note_errors = {k[len("note-"):]: v for k, v in field_errors.items() if k.startswith("note-")}
        for message in apply_errors(form, {k: v for k, v in field_errors.items() if not k.startswith("note-")}):
            flash(message, "error")
        shown = {ascii_int(k): v for k, v in notes.items() if ascii_int(k) is not None}
        return _render(forum, reg, form, 422, notes=shown,
                       note_errors={ascii_int(k): v for k, v in note_errors.items()})
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
        return _render(forum, reg, form, 409)
    db.session.commit()
    flash(_("Your availability is saved."), "success")
    if result.meetings_in_marked:
        flash(ngettext("You have %(num)d scheduled meeting at a time you marked: it stays until the organizers "
                       "move it. Tell the other side, or cancel the request.",
                       "You have %(num)d scheduled meetings at times you marked: they stay until the organizers "
                       "move them. Tell the other side, or cancel the requests.", result.meetings_in_marked),
              "warning")
    return redirect(url_for(".edit", slug=slug))


@bp.route("/opt-out", methods=["GET", "POST"])
@login_required
def opt_out(slug: str):
    """Confirm, then leave the B2B meetings: the page says how many open requests it cancels."""
    forum, reg = _forum_and_reg(slug)
    if participation.participation_in(current_user, forum) is None:
        return redirect(url_for(".edit", slug=slug))
    form = OptOutForm()
    status = 200
    if form.validate_on_submit():
        try:
            n = availability.opt_out(reg, by=current_user, confirmed_count=ascii_int(form.count.data, maximum=1_000_000))
        except DomainError as e:
            db.session.rollback()
            flash(e.message, "error")
            status = 409
        else:
            db.session.commit()
            flash(ngettext("You are out of the B2B meetings; %(num)d open request was cancelled.",
                           "You are out of the B2B meetings; %(num)d open requests were cancelled.", n)
                  if n else _("You are out of the B2B meetings."), "success")
            return redirect(url_for(".edit", slug=slug))
    elif request.method == "POST":
        status = 422
    open_requests = availability.open_requests(reg)
    form.count.data = str(len(open_requests))
    return render_template("meetings/opt_out.html", forum=forum, me=reg, form=form,
                           open_requests=open_requests), status


@bp.post("/opt-in")
@login_required
def opt_in(slug: str):
    forum, reg = _forum_and_reg(slug)
    form = OptInForm()
    if not form.validate():
        abort(400)
    try:
        availability.opt_in(reg, by=current_user)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(_("Welcome back to the B2B meetings."), "success")
    return redirect(url_for(".edit", slug=slug))
