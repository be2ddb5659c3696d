"""The organizer's meeting grid (/manage/<slug>/b2b/setup): the forum's B2B settings, sessions and their slots,
tables, interpreters. Thin: each form goes to one service of meetings.grid, and the view commits."""
from __future__ import annotations

from typing import Callable

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm

from forum.db import db
from forum.errors import DomainError
from forum.forms_util import apply_errors, show_error
from forum.meetings import grid
from forum.meetings.grid_forms import (AddTablesForm, DeleteSessionForm, InterpreterForm, SessionForm, SettingsForm,
                                       TableForm)
from forum.meetings.models import Interpreter, MeetingSession, MeetingTable
from forum.security import Permission, current_forum, forum_permission
from forum.templating import local_time
from forum.urls import ascii_int

bp = Blueprint("b2b_setup", __name__, url_prefix="/manage/<slug>/b2b/setup")


def _submit(form: FlaskForm, call: Callable, done: Callable[[object], str], next_url: str):
    """POST: validate the form's shape, call the service, commit and redirect; or (response None, status) with
    the service's errors next to their fields and nothing saved."""
    if not form.validate_on_submit():
        return None, (422 if request.method == "POST" else 200)
    try:
        result = call()
    except grid.GridErrors as e:
        db.session.rollback()
        for message in apply_errors(form, e.by_field()):
            flash(message, "error")
        return None, 422
    except DomainError as e:
        db.session.rollback()
        return None, (422 if show_error(form, e) else 409)
    db.session.commit()
    flash(done(result), "success")
    return redirect(next_url), 200


def _slot_choices(forum) -> list[tuple[str, str]]:
    out = []
    for s in grid.sessions(forum):
        for slot in s.slots:
            out.append((str(slot.id), f"{s.name} · {local_time(slot.starts_at, forum)}–{local_time(slot.ends_at, forum)}"))
    return out


def _index_url(forum, anchor: str = "") -> str:
    return url_for(".index", slug=forum.slug) + (f"#{anchor}" if anchor else "")


@bp.get("/")
@forum_permission(Permission.B2B)
def index(slug: str):
    forum = current_forum()
    page = db.paginate(grid.interpreters(forum), page=ascii_int(request.args.get("page", ""), maximum=100_000) or 1,
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("meetings/manage/setup.html", forum=forum, settings=grid.current_settings(forum),
                           sessions=grid.sessions(forum), tables=grid.tables(forum), interpreters=page)


@bp.route("/settings", methods=["GET", "POST"])
@forum_permission(Permission.B2B)
def settings(slug: str):
    forum = current_forum()
    s = grid.current_settings(forum)
    form = SettingsForm()
    if request.method == "GET":
        form.enabled.data = s.enabled
        form.request_deadline.data = (s.request_deadline.astimezone(forum.tz).strftime("%Y-%m-%dT%H:%M")
                                      if s.request_deadline else "")
        form.open_request_quota.data = str(s.open_request_quota)
        form.default_max_meetings.data = str(s.default_max_meetings)
    data = grid.SettingsInput(enabled=form.enabled.data, request_deadline=form.request_deadline.data,
                              open_request_quota=form.open_request_quota.data,
                              default_max_meetings=form.default_max_meetings.data)
    response, status = _submit(form, lambda: grid.save_settings(forum, data, by=current_user),
                               lambda _r: _("The B2B settings are saved."), _index_url(forum, "settings"))
    return response or (render_template("meetings/manage/settings.html", forum=forum, form=form), status)


def _session_input(form: SessionForm) -> grid.SessionInput:
    return grid.SessionInput(name=form.name.data, day=form.day.data, start=form.start.data, end=form.end.data,
                             slot_minutes=form.slot_minutes.data, gap_minutes=form.gap_minutes.data,
                             breaks=form.breaks.data)


@bp.route("/sessions/new", methods=["GET", "POST"])
@forum_permission(Permission.B2B)
def new_session(slug: str):
    forum = current_forum()
    form = SessionForm()
    if request.method == "GET":
        form.day.data = forum.starts_at.astimezone(forum.tz).date().isoformat()
    response, status = _submit(
        form, lambda: grid.create_session(forum, _session_input(form), by=current_user),
        lambda s: ngettext("Session “%(name)s” added with %(num)d slot.", "Session “%(name)s” added with %(num)d slots.",
                           len(s.slots), name=s.name),
        _index_url(forum, "sessions"))
    return response or (render_template("meetings/manage/session_form.html", forum=forum, form=form, session=None),
                        status)


def _session(forum, session_id: int) -> MeetingSession:
    s = db.session.get(MeetingSession, session_id)
    if s is None or s.forum_id != forum.id:
        abort(404)
    return s


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@forum_permission(Permission.B2B)
def edit_session(slug: str, session_id: int):
    forum = current_forum()
    session = _session(forum, session_id)
    form = SessionForm()
    if request.method == "GET":
        current = grid.SessionInput.of(session, forum.tz)
        for name in ("name", "day", "start", "end", "slot_minutes", "gap_minutes", "breaks"):
            getattr(form, name).data = str(getattr(current, name))
    response, status = _submit(
        form, lambda: grid.update_session(session, _session_input(form), by=current_user),
        lambda s: ngettext("Session “%(name)s” saved: %(num)d slot.", "Session “%(name)s” saved: %(num)d slots.",
                           len(s.slots), name=s.name),
        _index_url(forum, "sessions"))
    return response or (render_template("meetings/manage/session_form.html", forum=forum, form=form,
                                        session=_session(forum, session_id)), status)


@bp.route("/sessions/<int:session_id>/delete", methods=["GET", "POST"])
@forum_permission(Permission.B2B)
def delete_session(slug: str, session_id: int):
    forum = current_forum()
    session = _session(forum, session_id)
    name = session.name
    form = DeleteSessionForm()
    response, status = _submit(form, lambda: grid.delete_session(session, by=current_user),
                               lambda _n: _("Session “%(name)s” deleted.", name=name),
                               _index_url(forum, "sessions"))
    return response or (render_template("meetings/manage/session_delete.html", forum=forum, form=form,
                                        session=_session(forum, session_id)), status)


@bp.route("/tables", methods=["GET", "POST"])
@forum_permission(Permission.B2B)
def tables(slug: str):
    forum = current_forum()
    form = AddTablesForm()
    response, status = _submit(
        form, lambda: grid.add_tables(forum, form.numbers.data, label=form.label.data, by=current_user),
        lambda ts: ngettext("%(num)d table added.", "%(num)d tables added.", len(ts)), _index_url(forum, "tables"))
    return response or (render_template("meetings/manage/tables.html", forum=forum, form=form,
                                        tables=grid.tables(forum)), status)


def _table(forum, table_id: int) -> MeetingTable:
    t = db.session.get(MeetingTable, table_id)
    if t is None or t.forum_id != forum.id:
        abort(404)
    return t


@bp.route("/tables/<int:table_id>", methods=["GET", "POST"])
@forum_permission(Permission.B2B)
def table(slug: str, table_id: int):
    forum = current_forum()
    t = _table(forum, table_id)
    form = TableForm()
    form.slots.choices = _slot_choices(forum)
    if request.method == "GET":
        form.number.data, form.label.data = str(t.number), t.label
        form.active.data, form.all_slots.data = t.active, t.all_slots
        form.slots.data = [str(s.id) for s in t.slots]
    data = grid.TableInput(number=form.number.data, label=form.label.data, active=form.active.data,
                           all_slots=form.all_slots.data, slot_ids=form.slots.data or [])
    response, status = _submit(form, lambda: grid.update_table(t, data, by=current_user),
                               lambda r: _("Table %(n)d saved.", n=r.number), _index_url(forum, "tables"))
    return response or (render_template("meetings/manage/table.html", forum=forum, form=form,
                                        table=_table(forum, table_id)), status)


def _interpreter_input(form: InterpreterForm) -> grid.InterpreterInput:
    return grid.InterpreterInput(name=form.name.data, email=form.email.data, languages=form.languages.data or [],
                                 active=form.active.data, all_slots=form.all_slots.data,
                                 slot_ids=form.slots.data or [])


@bp.route("/interpreters/new", methods=["GET", "POST"])
@forum_permission(Permission.B2B)
def new_interpreter(slug: str):
    forum = current_forum()
    form = InterpreterForm()
    form.slots.choices = _slot_choices(forum)
    if request.method == "GET":
        form.active.data = form.all_slots.data = True
    response, status = _submit(
        form, lambda: grid.save_interpreter(forum, _interpreter_input(form), by=current_user),
        lambda i: _("Interpreter %(name)s added.", name=i.name), _index_url(forum, "interpreters"))
    return response or (render_template("meetings/manage/interpreter.html", forum=forum, form=form,
                                        interpreter=None), status)


@bp.route("/interpreters/<int:interpreter_id>", methods=["GET", "POST"])
@forum_permission(Permission.B2B)
def interpreter(slug: str, interpreter_id: int):
    forum = current_forum()
    i = db.session.get(Interpreter, interpreter_id)
    if i is None or i.forum_id != forum.id:
        abort(404)
    form = InterpreterForm()
    form.slots.choices = _slot_choices(forum)
    if request.method == "GET":
        form.name.data, form.email.data, form.languages.data = i.name, i.email, list(i.languages)
        form.active.data, form.all_slots.data = i.active, i.all_slots
        form.slots.data = [str(s.id) for s in i.slots]
    response, status = _submit(
        form, lambda: grid.save_interpreter(forum, _interpreter_input(form), interpreter=i, by=current_user),
        lambda r: _("Interpreter %(name)s saved.", name=r.name), _index_url(forum, "interpreters"))
    return response or (render_template("meetings/manage/interpreter.html", forum=forum, form=form,
                                        interpreter=db.session.get(Interpreter, interpreter_id)), status)
