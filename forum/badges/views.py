"""The badge desk (/manage/<slug>/badges): counts, filters, PDF batches, and each badge's reissue and revoke.

Printing and reissuing need the forum's review permission: the people who decide who comes also hand out
the badges at the entrance; check-in staff only scan them.
"""
from __future__ import annotations

import tempfile

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination

from forum.badges import issuing, printing
from forum.badges.forms import DownloadForm, ReissueForm, RevokeForm
from forum.db import db
from forum.errors import DomainError
from forum.forms_util import show_error
from forum.security import Permission, current_forum, forum_permission
from forum.teams import permissions
from forum.urls import ascii_int

bp = Blueprint("badges", __name__, url_prefix="/manage/<slug>/badges")

# A PDF of up to this size stays in memory on its way out; a larger one (hundreds of badges) goes to a
# temporary file, so a batch of thousands never sits in the worker's memory.
SPOOL_BYTES = 8 * 1024 * 1024


class _ListPage(Pagination):
    """One page of a list already in memory (the desk's rows, sorted in Python), for the usual pager."""

    def _query_items(self) -> list:
        items, start = self._query_args["items"], (self.page - 1) * self.per_page
        return items[start:start + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["items"])


@bp.get("/")
@forum_permission(Permission.REVIEW)
def desk(slug: str):
    forum = current_forum()
    f = printing.Filters.from_args(request.args)
    d = printing.desk(forum, f)
    page = _ListPage(items=d.rows, page=ascii_int(request.args.get("page", ""), maximum=100_000) or 1,
                     per_page=current_app.config["PER_PAGE"], error_out=False)
    form = DownloadForm(formdata=None)
    return render_template("badges/desk.html", forum=forum, desk=d, page=page, filters=f, form=form,
                           statuses=printing.STATUS_FILTERS,
                           may_add_team=permissions.has_permission(current_user, forum, Permission.MANAGE))


def _pdf(out, name: str):
    out.seek(0)
    return send_file(out, mimetype="application/pdf", as_attachment=True, download_name=name, max_age=0)


@bp.post("/download")
@forum_permission(Permission.REVIEW)
def download(slug: str):
    """The filter's badges as one PDF; they are marked printed in the same transaction."""
    forum = current_forum()
    form = DownloadForm()
    if not form.validate():
        abort(400)
    f = printing.Filters.from_args(request.form)
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    with force_locale(form.language.data):
        n = printing.print_batch(forum, f, out, by=current_user, layout=form.layout.data, team=form.team.data)
    if n == 0:
        out.close()
        db.session.rollback()
        flash(_("No badge to print matches this filter."), "info")
        return redirect(url_for(".desk", slug=slug, **f.as_args()))
    db.session.commit()
    return _pdf(out, f"{slug}-badges-{form.layout.data}.pdf")


def _badge(forum, badge_id: int):
    badge = printing.desk_badge(forum, badge_id)
    if badge is None:
        abort(404)
    return badge


@bp.post("/<int:badge_id>/pdf")
@forum_permission(Permission.REVIEW)
def one(slug: str, badge_id: int):
    """One delegate's badge (a reissued one, say) on an A6 page, marked printed."""
    badge = _badge(current_forum(), badge_id)
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    printing.print_one(badge, out, by=current_user)
    db.session.commit()
    return _pdf(out, printing.file_name(badge))


@bp.route("/<int:badge_id>/reissue", methods=["GET", "POST"])
@forum_permission(Permission.REVIEW)
def reissue(slug: str, badge_id: int):
    """A new badge in place of a lost one (or after a name was corrected): the old QR code stops working."""
    forum = current_forum()
    badge = _badge(forum, badge_id)
    form = ReissueForm()
    status = 200
    if form.validate_on_submit():
        try:
            issuing.reissue(badge, by=current_user, reason=form.reason.data or "")
        except DomainError as e:
            db.session.rollback()
            status = 422 if show_error(form, e) else 409
        else:
            reg = badge.registration
            db.session.commit()
            flash(_("%(name)s has a new badge; the old one no longer opens the door. Print the new one.",
                    name=reg.full_name), "success")
            return redirect(url_for(".desk", slug=slug, q=reg.email))
    elif request.method == "POST":
        status = 422
    return render_template("badges/reissue.html", forum=forum, badge=badge, reg=badge.registration,
                           form=form), status


@bp.route("/<int:badge_id>/revoke", methods=["GET", "POST"])
@forum_permission(Permission.REVIEW)
def revoke(slug: str, badge_id: int):
    """Revoke a badge without a new one (stolen, the delegate left): refused at the door from now on."""
    forum = current_forum()
    badge = _badge(forum, badge_id)
    form = RevokeForm()
    status = 200
    if form.validate_on_submit():
        try:
            issuing.revoke(badge, by=current_user, reason=form.reason.data)
        except DomainError as e:
            db.session.rollback()
            status = 422 if show_error(form, e) else 409
        else:
            reg = badge.registration
            db.session.commit()
            flash(_("The badge of %(name)s is revoked: it is refused at the door from now on.",
                    name=reg.full_name), "success")
            return redirect(url_for(".desk", slug=slug))
    elif request.method == "POST":
        status = 422
    return render_template("badges/revoke.html", forum=forum, badge=badge, reg=badge.registration,
                           form=form), status


@bp.post("/registrations/<int:reg_id>/issue")
@forum_permission(Permission.REVIEW)
def issue_again(slug: str, reg_id: int):
    """A new badge for a delegate whose badge was revoked (they are back after all)."""
    forum = current_forum()
    reg = printing.desk_registration(forum, reg_id)
    if reg is None:
        abort(404)
    form = ReissueForm()
    if not form.validate():
        abort(400)
    try:
        issuing.issue_again(reg, by=current_user, reason=form.reason.data or "")
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(_("%(name)s has a new badge. Print it.", name=reg.full_name), "success")
    return redirect(url_for(".desk", slug=slug, q=reg.email))
