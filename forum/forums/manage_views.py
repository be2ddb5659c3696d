"""Organizers: the list of forums, creating and editing one."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from forum.db import db
from forum.errors import DomainError
from forum.forms_util import apply_errors, show_error
from flask_sqlalchemy.pagination import Pagination

from forum.forums import cancellation, content, reopening, services
from forum.forums.models import TEXT_FIELDS
from forum.languages import UI_LANGUAGES
from forum.forums.forms import CancelReasonsForm, ForumForm, ReopenForumForm
from forum.forums.models import Forum, ForumStatus
from forum.forums.services import ForumFormError
from forum.review import queries
from forum.security import Permission, admin_required, current_forum, forum_permission, team_member_required
from forum.urls import ascii_int
from forum.teams import permissions

bp = Blueprint("forums_manage", __name__, url_prefix="/manage")


def _forum(slug: str) -> Forum:
    return current_forum()  # loaded and checked by the forum_permission guard


@bp.get("/")
@team_member_required
def index():
    forums = permissions.visible_forums(current_user)
    counts = queries.state_counts_by_forum([f.id for f, perms in forums if Permission.REVIEW in perms])
    return render_template("manage/index.html", forums=forums, counts=counts)


def _save(form: ForumForm, forum: Forum | None):
    if form.validate_on_submit():
        try:
            saved = services.save_forum(form.to_input(), by=current_user, forum=forum)
        except ForumFormError as e:
            for msg in apply_errors(form, e.errors):
                flash(msg, "error")
        except DomainError as e:
            flash(e.message, "error")
        else:
            db.session.commit()
            flash(_("Forum saved."), "success")
            return redirect(url_for("review.dashboard", slug=saved.slug))
    elif request.method == "POST":
        apply_errors(form, services.validate(form.to_input(), forum))
    status = 422 if request.method == "POST" else 200
    if status == 422:
        flash(_("Please correct the marked fields. Nothing has been saved yet."), "error")
    return render_template("manage/forum_form.html", form=form, forum=forum, languages=UI_LANGUAGES,
                           text_fields=TEXT_FIELDS, filled=form.filled(),
                           saved=content.filled(forum) if forum is not None else None), status


@bp.route("/forums/new", methods=["GET", "POST"])
@admin_required
def new():
    form = ForumForm()
    if request.method == "GET":
        form.timezone.data = "Asia/Almaty"
        form.country.data = "KZ"
        form.capacity.data = 500
        form.public_categories.data = ["delegate"]
    return _save(form, None)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@forum_permission(Permission.MANAGE)
def edit(slug: str):
    forum = _forum(slug)
    form = ForumForm(cancelled=forum.status is ForumStatus.CANCELLED)
    if request.method == "GET":
        form.load(forum)
    return _save(form, forum)


@bp.route("/<slug>/cancel", methods=["GET", "POST"])
@forum_permission(Permission.MANAGE)
def cancel(slug: str):
    """What a cancellation will do and whom it tells, a reason in one or more languages, an explicit
    confirmation; then everyone is told."""
    from flask import current_app

    forum = _forum(slug)
    form = CancelReasonsForm()
    status = 200
    if form.validate_on_submit():
        try:
            done = cancellation.cancel(forum, reasons=form.reasons(), confirmed=form.confirm.data, by=current_user)
        except DomainError as e:
            db.session.rollback()
            status = 422 if show_error(form, e) else 409
        else:
            db.session.commit()
            flash(ngettext("The forum is cancelled. %(num)d registration was cancelled; the e-mails are queued.",
                           "The forum is cancelled. %(num)d registrations were cancelled; the e-mails are queued.",
                           done.registrations), "success")
            return redirect(url_for("review.registrations", slug=forum.slug))
    elif request.method == "POST":
        status = 422
    preview = cancellation.preview(forum) if forum.status is not ForumStatus.CANCELLED else None
    page = None
    if preview is not None:
        page = _ListPage(items=preview.persons, page=ascii_int(request.args.get("page", ""), maximum=100_000) or 1,
                         per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("manage/cancel.html", forum=forum, form=form, preview=preview, page=page), status


class _ListPage(Pagination):
    """One page of a list already in memory (the reopening plan), for the usual pager."""

    def _query_items(self) -> list:
        items, start = self._query_args["items"], (self.page - 1) * self.per_page
        return items[start:start + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["items"])


@bp.route("/<slug>/reopen", methods=["GET", "POST"])
@forum_permission(Permission.MANAGE)
def reopen(slug: str):
    """Who reopening restores, to what; a reason, an explicit confirmation; then everyone restored is told."""
    from flask import current_app

    forum = _forum(slug)
    form = ReopenForumForm()
    status = 200
    if form.validate_on_submit():
        try:
            done = reopening.reopen(forum, reason=form.reason.data, confirmed=form.confirm.data, by=current_user)
        except DomainError as e:
            db.session.rollback()
            status = 422 if show_error(form, e) else 409
        else:
            db.session.commit()
            flash(ngettext("The forum is reopened. %(num)d registration was restored; the e-mails are queued.",
                           "The forum is reopened. %(num)d registrations were restored; the e-mails are queued.",
                           len(done.restores)), "success")
            if done.no_place:
                flash(ngettext("%(num)d approved delegate found no free place and is on the waiting list.",
                               "%(num)d approved delegates found no free place and are on the waiting list.",
                               done.no_place), "warning")
            return redirect(url_for("review.registrations", slug=forum.slug))
    elif request.method == "POST":
        status = 422
    plan = reopening.preview(forum) if forum.status is ForumStatus.CANCELLED else None
    page = None
    if plan is not None:
        page = _ListPage(items=plan.restores, page=ascii_int(request.args.get("page", ""), maximum=100_000) or 1,
                         per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("manage/reopen.html", forum=forum, form=form, plan=plan, page=page), status
