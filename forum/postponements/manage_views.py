"""Postponing a forum (/manage/<slug>/postpone) and who still comes (/manage/<slug>/postponement)."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from forum import clock
from forum.db import db
from forum.errors import DomainError
from forum.forms_util import show_error
from forum.forums.services import BadLocalTime, to_utc
from forum.postponements import services
from forum.postponements.forms import FilterForm, PostponeForm, RemindForm
from forum.postponements.models import Answer
from forum.security import Permission, current_forum, forum_permission
from forum.urls import ascii_int

bp = Blueprint("postponements_manage", __name__, url_prefix="/manage/<slug>")

MAX_PAGE = 100_000


def _utc(form: PostponeForm, name: str, forum):
    value = getattr(form, name).data
    if value is None:
        return None
    try:
        return to_utc(value, forum.timezone)
    except BadLocalTime:
        getattr(form, name).errors = [_("The clocks change at this time in the forum's zone: choose another time.")]
        return False


@bp.route("/postpone", methods=["GET", "POST"])
@forum_permission(Permission.MANAGE)
def postpone(slug: str):
    """What a postponement will do, the new dates and reasons, an explicit confirmation; then everyone is asked."""
    forum = current_forum()
    form = PostponeForm()
    status = 200
    if request.method == "GET":
        form.starts_local.data = forum.local(forum.starts_at).replace(tzinfo=None)
        form.ends_local.data = forum.local(forum.ends_at).replace(tzinfo=None)
        answer_by = min(clock.now() + timedelta(days=14), forum.starts_at)
        form.answer_by_local.data = forum.local(answer_by).replace(tzinfo=None, second=0, microsecond=0)
    if form.validate_on_submit():
        times = {name: _utc(form, name, forum) for name in ("starts_local", "ends_local", "answer_by_local")}
        if False in times.values():
            status = 422
        else:
            try:
                p = services.postpone(forum, new_starts_at=times["starts_local"], new_ends_at=times["ends_local"],
                                      answer_by=times["answer_by_local"], reasons=form.reasons(),
                                      confirmed=form.confirm.data, by=current_user)
            except DomainError as e:
                db.session.rollback()
                status = 422 if show_error(form, e) else 409
            else:
                db.session.commit()
                n = sum(services.counts(p).values())
                flash(ngettext("The forum is postponed. %(num)d delegate is asked whether they still attend; the "
                               "e-mails are queued.", "The forum is postponed. %(num)d delegates are asked whether "
                               "they still attend; the e-mails are queued.", n), "success")
                return redirect(url_for(".replies", slug=forum.slug))
    elif request.method == "POST":
        status = 422
    return render_template("postponements/postpone.html", forum=forum, form=form,
                           preview=services.preview(forum), latest=services.latest(forum)), status


@bp.get("/postponement")
@forum_permission(Permission.MANAGE)
def replies(slug: str):
    forum = current_forum()
    p = services.latest(forum)
    filters = FilterForm(request.args)
    answer = Answer(filters.answer.data) if filters.validate() and filters.answer.data else None
    page = None
    if p is not None:
        number = ascii_int(request.args.get("page", ""), maximum=MAX_PAGE) or 1
        page = db.paginate(services.replies_query(p, answer), page=number, per_page=current_app.config["PER_PAGE"],
                           max_per_page=200, error_out=False)
    return render_template("postponements/replies.html", forum=forum, postponement=p, page=page, filters=filters,
                           counts=services.counts(p) if p else None, remind_form=RemindForm(),
                           remindable=services.remindable(p) if p else 0, Answer=Answer)


@bp.post("/postponement/remind")
@forum_permission(Permission.MANAGE)
def remind(slug: str):
    forum = current_forum()
    p = services.latest(forum)
    form = RemindForm()
    if p is None:
        flash(_("This forum has not been postponed."), "error")
        return redirect(url_for(".replies", slug=forum.slug))
    if not form.validate_on_submit():
        flash(_("Tick the box to confirm the reminders."), "error")
        return redirect(url_for(".replies", slug=forum.slug))
    try:
        n = services.remind(p, confirmed=form.confirm.data, by=current_user)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(ngettext("%(num)d reminder queued.", "%(num)d reminders queued.", n), "success")
    return redirect(url_for(".replies", slug=forum.slug))
