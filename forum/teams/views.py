"""A forum's team page: who may do what for this forum; managers add, change and remove members."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forum.db import db
from forum.errors import DomainError
from forum.forms_util import show_error
from forum.forums.models import Forum
from forum.security import Permission, current_forum, forum_permission
from forum.teams import permissions, services
from forum.teams.forms import AddMemberForm, MemberForm, RemoveMemberForm
from forum.teams.models import TeamMember

bp = Blueprint("teams", __name__, url_prefix="/manage/<slug>/team")


def _member(forum: Forum, member_id: int) -> TeamMember:
    member = db.get_or_404(TeamMember, member_id)
    if member.forum_id != forum.id:
        abort(404)
    return member


def _member_form(member: TeamMember, formdata=None) -> MemberForm:
    form = MemberForm(formdata=formdata, prefix=f"m{member.id}")
    if formdata is None:
        form.permissions.data = [p.value for p in member.permissions]
    return form


def _render(forum: Forum, add_form: AddMemberForm, failed: MemberForm | None = None, failed_id: int | None = None,
            status: int = 200):
    team = services.members(forum)
    forms = {m.id: failed if m.id == failed_id and failed is not None else _member_form(m) for m in team}
    return render_template("teams/team.html", forum=forum, team=team, add_form=add_form, forms=forms), status


@bp.get("")
@forum_permission(Permission.MANAGE)
def index(slug: str):
    form = AddMemberForm(formdata=None)
    form.language.data = current_user.language
    return _render(current_forum(), form)


@bp.post("")
@forum_permission(Permission.MANAGE)
def add(slug: str):
    forum = current_forum()
    form = AddMemberForm()
    status = 422
    if form.validate():
        try:
            added = services.add_member(forum, form.email.data, form.permissions.data, by=current_user,
                                        name=form.name.data or "",
                                        language=form.language.data or current_user.language)
        except DomainError as e:
            db.session.rollback()
            status = 422 if show_error(form, e) else 409
        else:
            db.session.commit()
            user = added.member.user
            if added.invited:
                flash(_("%(email)s is on the team. They have no account yet: an invitation to choose a password "
                        "is on its way to them.", email=user.email), "success")
            else:
                flash(_("%(name)s is on the team; an e-mail telling them is on its way.", name=user.display_name),
                      "success")
            return redirect(url_for(".index", slug=slug))
    return _render(forum, form, status=status)


@bp.post("/<int:member_id>")
@forum_permission(Permission.MANAGE)
def change(slug: str, member_id: int):
    forum = current_forum()
    member = _member(forum, member_id)
    form = _member_form(member, request.form)
    if form.validate():
        try:
            services.change_member(member, form.permissions.data, by=current_user)
        except DomainError as e:
            db.session.rollback()
            if not show_error(form, e):
                form.permissions.errors = [e.message]
        else:
            db.session.commit()
            flash(_("The permissions of %(name)s are saved.", name=member.user.display_name), "success")
            return redirect(url_for(".index", slug=slug))
    add_form = AddMemberForm(formdata=None)
    add_form.language.data = current_user.language
    return _render(forum, add_form, failed=form, failed_id=member_id, status=422)


@bp.route("/<int:member_id>/remove", methods=["GET", "POST"])
@forum_permission(Permission.MANAGE)
def remove(slug: str, member_id: int):
    """Asks first (what the person loses); the POST from that page removes them."""
    forum = current_forum()
    member = _member(forum, member_id)
    form = RemoveMemberForm()
    status = 200
    if form.validate_on_submit():
        name = member.user.display_name
        itself = member.user_id == current_user.id
        try:
            services.revoke(member, by=current_user)
        except DomainError as e:
            db.session.rollback()
            flash(e.message, "error")
            status = 409
        else:
            db.session.commit()
            flash(_("%(name)s is no longer on the team of %(forum)s.", name=name, forum=forum.shown_title), "success")
            if itself and not permissions.has_permission(current_user, forum, Permission.MANAGE):
                return redirect(url_for("forums_manage.index") if permissions.is_on_a_team(current_user)
                                else url_for("registration.my"))
            return redirect(url_for(".index", slug=slug))
    elif request.method == "POST":
        status = 400
    return render_template("teams/remove.html", forum=forum, member=member, form=form), status
