"""Site administration pages (administrators only): the accounts, administrators, disabling."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, Length, Optional

from forum.accounts import administration
from forum.accounts.models import User
from forum.db import db
from forum.errors import DomainError
from forum.security import admin_required
from forum.urls import ascii_int, safe_next

bp = Blueprint("admin", __name__, url_prefix="/admin")

MAX_PAGE = 100_000


class SwitchForm(FlaskForm):
    """Turn one thing of an account on or off: value "on" / "off"."""

    value = HiddenField(validators=[AnyOf(["on", "off"])])
    reason = StringField(validators=[Optional(), Length(max=500)])


@bp.get("/users")
@admin_required
def users():
    q = (request.args.get("q") or "")[:200]
    only = request.args.get("only", "")
    only = only if only in administration.FILTERS else ""
    raw = request.args.get("page", "")
    number = ascii_int(raw, maximum=MAX_PAGE) or 1
    page = db.paginate(administration.users_query(q, only=only), page=number,
                       per_page=current_app.config["PER_PAGE"], max_per_page=200, error_out=False)
    return render_template("admin/users.html", page=page, q=q, only=only, form=SwitchForm(formdata=None),
                           teams=administration.teams_of([u.id for u in page.items]))


def _switch(user_id: int, change, done_on: str, done_off: str):
    user = db.get_or_404(User, user_id)
    form = SwitchForm()
    if not form.validate():
        abort(400)
    on = form.value.data == "on"
    try:
        change(user, on, form.reason.data or "")
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash((done_on if on else done_off) % {"name": user.display_name, "email": user.email}, "success")
    return redirect(safe_next(url_for(".users"), "back"))


@bp.post("/users/<int:user_id>/admin")
@admin_required
def set_admin(user_id: int):
    return _switch(user_id, lambda u, on, _reason: administration.set_admin(u, on, by=current_user),
                   _("%(name)s (%(email)s) is now a site administrator."),
                   _("%(name)s (%(email)s) is no longer a site administrator."))


@bp.post("/users/<int:user_id>/active")
@admin_required
def set_active(user_id: int):
    return _switch(user_id, lambda u, on, reason: administration.set_active(u, on, by=current_user, reason=reason),
                   _("The account of %(name)s (%(email)s) is enabled again."),
                   _("The account of %(name)s (%(email)s) is disabled; its sessions have ended."))
