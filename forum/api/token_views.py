"""Device tokens in the web UI: a forum's managers list them, make one for a team member who may check in
(the secret is shown once, on the answer to the POST, and never again), and revoke one after confirming."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forum.accounts.models import User
from forum.api import tokens
from forum.api.forms import DeviceTokenForm, RevokeTokenForm
from forum.db import db
from forum.errors import DomainError, NotFound
from forum.forms_util import show_error
from forum.forums.models import Forum
from forum.security import Permission, current_forum, forum_permission
from forum.urls import external_url

bp = Blueprint("api_tokens", __name__, url_prefix="/manage/<slug>/devices")


def _api_base() -> str:
    """The API's address for devices, from BASE_URL (what a device on the venue network reaches)."""
    return external_url("api.ping").rsplit("/", 1)[0]


def _form(forum: Forum, formdata=None) -> DeviceTokenForm:
    form = DeviceTokenForm(formdata=formdata) if formdata is not None else DeviceTokenForm()
    form.user.choices = [(u.id, f"{u.display_name} <{u.email}>") for u in tokens.scanning_members(forum)]
    return form


def _render(forum: Forum, form: DeviceTokenForm, status: int = 200):
    return render_template("api/devices.html", forum=forum, form=form, listed=tokens.for_forum(forum),
                           api_base=_api_base()), status


@bp.get("")
@forum_permission(Permission.MANAGE)
def index(slug: str):
    return _render(current_forum(), _form(current_forum(), formdata=None))


@bp.post("")
@forum_permission(Permission.MANAGE)
def create(slug: str):
    forum = current_forum()
    form = _form(forum)
    if not form.validate():
        return _render(forum, form, 422)
    user = db.session.get(User, form.user.data)
    if user is None:
        form.user.errors = [_("Choose a member of the team.")]
        return _render(forum, form, 422)
    try:
        new = tokens.create(user, label=form.label.data, forum=forum, by=current_user)
    except DomainError as e:
        db.session.rollback()
        return _render(forum, form, 422 if show_error(form, e) else 409)
    db.session.commit()
    # Rendered here, not after a redirect: the secret exists only in this answer (never stored, never cached:
    # every page is Cache-Control: no-store).
    return render_template("api/device_created.html", forum=forum, token=new.token, secret=new.secret,
                           holder=user, api_base=_api_base()), 201


@bp.route("/<int:token_id>/revoke", methods=["GET", "POST"])
@forum_permission(Permission.MANAGE)
def revoke(slug: str, token_id: int):
    """Asks first (the device stops working at once); the POST from that page revokes."""
    forum = current_forum()
    try:
        token = tokens.on_forum(forum, token_id)
    except NotFound:
        abort(404)
    form = RevokeTokenForm()
    if form.validate_on_submit():
        try:
            tokens.revoke(token, by=current_user, forum=forum)
        except DomainError as e:
            db.session.rollback()
            flash(e.message, "error")
        else:
            db.session.commit()
            flash(_("The device token \"%(label)s\" is revoked: the device can no longer scan.", label=token.label),
                  "success")
        return redirect(url_for(".index", slug=slug))
    return render_template("api/device_revoke.html", forum=forum, token=token, form=form)
