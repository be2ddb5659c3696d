"""The one guard for forum permissions: every organizer route, export and API endpoint goes through it.

A site administrator holds every permission on every forum. Anyone else holds what their row in the
forum's team grants (manage grants everything). Delegates and contact persons reach their own
registrations through those registrations (registration.services.can_view_*), not through this.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable, TypeVar

import sqlalchemy as sa
from flask import abort, g, has_request_context
from flask_babel import gettext as _
from flask_login import current_user

from forum.db import db
from forum.errors import NotAllowed
from forum.forums.models import Forum
from forum.teams.models import Permission, TeamMember

F = TypeVar("F", bound=Callable)


def membership(user, forum_id: int) -> TeamMember | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    # One query per forum per request: a page asks for several permissions (navigation, buttons).
    cache = g.setdefault("_team_memberships", {}) if has_request_context() else {}
    key = (user.id, forum_id)
    if key not in cache:
        cache[key] = db.session.scalar(
            sa.select(TeamMember).where(TeamMember.forum_id == forum_id, TeamMember.user_id == user.id))
    return cache[key]


def remember_membership(user, forum_id: int, member: TeamMember | None) -> None:
    """Seed this request's cache with a membership the caller loaded anyway (with its forum, in one query)."""
    if has_request_context() and user is not None:
        g.setdefault("_team_memberships", {})[(user.id, forum_id)] = member


def forget_memberships() -> None:
    """Drop this request's cached memberships (after the team changed)."""
    if has_request_context():
        g.pop("_team_memberships", None)


def preload_memberships(user, forum_ids) -> None:
    """Look up this user's memberships of many forums in one query, for a page that asks about each
    (a delegate's list of registrations): membership() then answers from the request's cache."""
    if user is None or not getattr(user, "is_authenticated", False) or not has_request_context():
        return
    cache = g.setdefault("_team_memberships", {})
    wanted = {fid for fid in forum_ids if (user.id, fid) not in cache}
    if not wanted:
        return
    found = {m.forum_id: m for m in db.session.scalars(
        sa.select(TeamMember).where(TeamMember.user_id == user.id, TeamMember.forum_id.in_(wanted)))}
    for fid in wanted:
        cache[(user.id, fid)] = found.get(fid)


def has_permission(user, forum: Forum | int, permission: Permission) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_admin:
        return True
    member = membership(user, forum if isinstance(forum, int) else forum.id)
    return member is not None and member.grants(permission)


def permissions_of(user, forum: Forum) -> set[Permission]:
    """What this user may do for this forum (for the navigation and the buttons a page shows)."""
    return {p for p in Permission if has_permission(user, forum, p)}


def require(user, forum: Forum | int, permission: Permission) -> None:
    """The service-side guard: raise NotAllowed unless `user` holds `permission` for `forum`."""
    if not has_permission(user, forum, permission):
        raise NotAllowed(_("You do not have permission to do this for this forum."), code="forbidden")


def require_admin(user) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_admin:
        raise NotAllowed(_("Only site administrators can do this."), code="not_admin")


def _login_required():
    from forum.extensions import login_manager

    return login_manager.unauthorized()


def forum_permission(permission: Permission) -> Callable[[F], F]:
    """View decorator for routes under /manage/<slug>/: 404 for an unknown forum, the login page for
    anonymous users, 403 without the permission. The forum is in `g.forum` for the view."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return _login_required()
            forum = db.session.scalar(sa.select(Forum).where(Forum.slug == kwargs["slug"]))
            if forum is None:
                abort(404)
            if not has_permission(current_user, forum, permission):
                abort(403)
            g.forum = forum
            return view(*args, **kwargs)

        wrapped.forum_permission = permission  # type: ignore[attr-defined]  # read by the URL-map test
        return wrapped  # type: ignore[return-value]

    return decorator


def admin_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return _login_required()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    wrapped.admin_only = True  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]


def team_member_required(view: F) -> F:
    """For pages not about one forum (the organizer's forum list): admins and anyone on some team."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return _login_required()
        if not is_on_a_team(current_user):
            abort(403)
        return view(*args, **kwargs)

    wrapped.team_only = True  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]


def is_on_a_team(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin:
        return True
    return db.session.scalar(sa.select(sa.exists().where(TeamMember.user_id == user.id))) or False


def current_forum() -> Forum:
    """The forum the guard loaded for this request."""
    return g.forum


def visible_forums(user, limit: int | None = None) -> list[tuple[Forum, set[Permission]]]:
    """The forums on this user's organizer pages, newest first, each with what the user may do there.

    One query, which also fills the guard's per-request cache, so `has_permission` on these forums
    asks nothing more (the navigation shows it on every page).
    """
    stmt = (sa.select(Forum, TeamMember)
            .outerjoin(TeamMember, sa.and_(TeamMember.forum_id == Forum.id, TeamMember.user_id == user.id))
            .order_by(Forum.starts_at.desc(), Forum.id))
    if not user.is_admin:
        stmt = stmt.where(TeamMember.id.is_not(None))
    if limit is not None:
        stmt = stmt.limit(limit)
    cache = g.setdefault("_team_memberships", {})
    out = []
    for forum, member in db.session.execute(stmt).all():
        cache[(user.id, forum.id)] = member
        out.append((forum, permissions_of(user, forum)))
    return out


def visible_forums_query(user):
    """The forums this user's organizer pages list: all for an administrator, else their teams'."""
    q = sa.select(Forum)
    if not user.is_admin:
        q = q.where(Forum.id.in_(sa.select(TeamMember.forum_id).where(TeamMember.user_id == user.id)))
    return q
