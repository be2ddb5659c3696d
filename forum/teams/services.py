"""A forum's team: who is on it and with which permissions. Every change is audited.

The rules (tests/teams/test_team_services.py):
- Only the forum's managers and site administrators add, change and remove members (`permissions.require`).
- Nobody raises their own permissions: what a member gives themselves must be within what they hold.
- A forum keeps at least one active member with manage. The last one cannot be removed or lose manage,
  except by a site administrator: administrators manage every forum anyway and can always add a manager
  again, while a team left without one could not. Changes to one forum's team queue behind its row lock,
  so two managers demoting each other at the same moment cannot both succeed.
- A disabled account is not added to a team; an administrator reactivates it first.
- Someone without an account gets one without a password and an invitation to choose it; someone with
  an account is told they were added. Each in their own language.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db, nfc
from forum.errors import InvalidInput, InvalidState, NotAllowed
from forum.forums.models import Forum
from forum.teams import mails, permissions
from forum.teams.models import Permission, TeamMember
from forum.text import is_one_line


def _clean(perms: Iterable[Permission | str]) -> list[Permission]:
    try:
        chosen = {Permission(p) for p in perms}
    except ValueError:
        raise InvalidInput(_("Unknown permission."), code="bad_permission", field="permissions") from None
    if not chosen:
        raise InvalidInput(_("Choose at least one permission."), code="no_permission", field="permissions")
    return [p for p in Permission if p in chosen]


def effective(perms: Iterable[Permission]) -> set[Permission]:
    """What a set of permissions allows: manage allows everything."""
    perms = set(perms)
    return set(Permission) if Permission.MANAGE in perms else perms


def grant(forum: Forum, user: User, perms: Iterable[Permission | str], *, by: User | None,
          **details) -> TeamMember:
    """Put `user` on the forum's team with exactly `perms` (adding them, or changing what they hold).

    The low-level write, without the rules: the demo, migrations, factories and `save_forum` (the creator
    gets manage) use it directly; people go through add_member / change_member.
    """
    chosen = _clean(perms)
    member = db.session.scalar(
        sa.select(TeamMember).where(TeamMember.forum_id == forum.id, TeamMember.user_id == user.id))
    before = [p.value for p in member.permissions] if member is not None else []
    if member is None:
        member = TeamMember(forum_id=forum.id, user_id=user.id, added_by_id=by.id if by else None)
        db.session.add(member)
    for p in Permission:
        setattr(member, p.value, p in chosen)
    after = [p.value for p in chosen]
    permissions.forget_memberships()
    if before != after:
        db.session.flush()
        audit.record(subject_type="team_member", subject_id=member.id,
                     action="member_added" if not before else "member_changed", actor=by, forum_id=forum.id,
                     user_id=user.id, email=user.email, before=before, after=after, **details)
    _forget_cached(user, forum)
    return member


def _forget_cached(user: User, forum: Forum) -> None:
    """The guard caches memberships per request; a change in this request must be seen by the next check."""
    from flask import g, has_app_context

    if has_app_context():
        g.get("_team_memberships", {}).pop((user.id, forum.id), None)


def members(forum: Forum) -> list[TeamMember]:
    """The team, managers first, then by name."""
    return list(db.session.scalars(
        sa.select(TeamMember).join(User, User.id == TeamMember.user_id).options(joinedload(TeamMember.user), joinedload(TeamMember.added_by))
        .where(TeamMember.forum_id == forum.id)
        .order_by(TeamMember.manage.desc(), sa.func.lower(User.display_name), User.id)
    ))


def _lock(forum: Forum, by: User) -> None:
    """Lock the forum row, then check again that `by` may change its team.

    The forum row first, as registration.states.lock_forum: every change to this forum's team (and every
    registration decision) queues behind it (SQLite: BEGIN IMMEDIATE already serialises). While waiting,
    another manager may have taken manage from `by`: the check before the lock read the old rows.
    """
    db.session.scalars(sa.select(Forum.id).where(Forum.id == forum.id).with_for_update()).one()
    fresh = db.session.execute(sa.select(User.is_admin, User.active).where(User.id == by.id)).one()
    manages = db.session.scalar(sa.select(TeamMember.manage).where(TeamMember.forum_id == forum.id,
                                                                   TeamMember.user_id == by.id))
    if not fresh.active or not (fresh.is_admin or manages):
        raise NotAllowed(_("You do not have permission to do this for this forum."), code="forbidden")


def _keep_a_manager(member: TeamMember, *, by: User) -> None:
    """Refuse to leave the forum without an active member holding manage (administrators may)."""
    if by.is_admin:
        return
    others = db.session.scalar(
        sa.select(sa.func.count()).select_from(TeamMember).join(User, User.id == TeamMember.user_id)
        .where(TeamMember.forum_id == member.forum_id, TeamMember.id != member.id, TeamMember.manage.is_(True),
               User.active.is_(True)))
    if not others:
        raise InvalidState(_("The forum needs at least one member who manages it: give manage to someone else "
                             "first."), code="last_manager")


@dataclass
class Added:
    member: TeamMember
    invited: bool  # True: the person had no account; one was made and an invitation to set a password is on its way


def add_member(forum: Forum, email: str, perms: Iterable[Permission | str], *, by: User, name: str = "",
               language: str = "en") -> Added:
    """Add the person with this e-mail to the forum's team with `perms`, and tell them by e-mail.

    `name` and `language` are for a new account (someone who has one keeps theirs).
    """
    permissions.require(by, forum, Permission.MANAGE)
    chosen = _clean(perms)
    name = nfc(name) or ""
    if not is_one_line(name):  # it becomes the name in the To header of their mails
        raise InvalidInput(_("Write this on one line: line breaks are not allowed here."), code="line_break",
                           field="name")
    _lock(forum, by)
    user = accounts.find_by_email(email)
    invited = user is None
    if user is None:
        user, invited = accounts.get_or_create_delegate_user(email, name, language)
        if invited:
            audit.record(subject_type="user", subject_id=user.id, action="account_created", actor=by,
                         forum_id=forum.id, why="team_invitation")
    elif not user.active:
        raise InvalidState(_("This account is disabled. A site administrator can reactivate it."),
                           code="account_disabled", field="email")
    elif permissions.membership(user, forum.id) is not None:
        raise InvalidInput(_("%(email)s is already on the team: change their permissions in the list.",
                             email=user.email), code="already_member", field="email")
    member = grant(forum, user, chosen, by=by)
    if invited:
        mails.invitation(member, by=by)
    else:
        mails.added(member, by=by)
    return Added(member, invited)


def change_member(member: TeamMember, perms: Iterable[Permission | str], *, by: User) -> TeamMember:
    """Give a member exactly `perms` on their forum."""
    chosen = _clean(perms)
    forum = member.forum
    if member.user_id == by.id and not by.is_admin and not effective(chosen) <= effective(member.permissions):
        raise NotAllowed(_("You cannot give yourself more permissions."), code="own_permissions",
                         field="permissions")
    permissions.require(by, forum, Permission.MANAGE)
    _lock(forum, by)
    db.session.refresh(member)  # another manager may have changed it a moment ago
    if member.manage and Permission.MANAGE not in chosen:
        _keep_a_manager(member, by=by)
    return grant(forum, member.user, chosen, by=by)


def revoke(member: TeamMember, *, by: User) -> None:
    """Take the member off the forum's team (their account stays); audited."""
    forum = member.forum
    permissions.require(by, forum, Permission.MANAGE)
    _lock(forum, by)
    db.session.refresh(member)
    if member.manage:
        _keep_a_manager(member, by=by)
    user = member.user
    audit.record(subject_type="team_member", subject_id=member.id, action="member_removed", actor=by,
                 forum_id=forum.id, user_id=user.id, email=user.email,
                 before=[p.value for p in member.permissions], after=[])
    db.session.delete(member)
    db.session.flush()
    _forget_cached(user, forum)
