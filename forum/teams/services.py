"""A forum's team: who is on it and with which permissions. Every change is audited."""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import gettext as _

from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db
from forum.errors import InvalidInput
from forum.forums.models import Forum
from forum.teams import permissions
from forum.teams.models import Permission, TeamMember


def _clean(perms: Iterable[Permission | str]) -> list[Permission]:
    try:
        chosen = {Permission(p) for p in perms}
    except ValueError:
        raise InvalidInput(_("Unknown permission."), code="bad_permission", field="permissions") from None
    if not chosen:
        raise InvalidInput(_("Choose at least one permission."), code="no_permission", field="permissions")
    return [p for p in Permission if p in chosen]


def grant(forum: Forum, user: User, perms: Iterable[Permission | str], *, by: User | None) -> TeamMember:
    """Put `user` on the forum's team with exactly `perms` (adding them, or changing what they hold).

    The caller has checked that `by` may (teams are changed by the forum's managers and administrators).
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
                     user_id=user.id, email=user.email, before=before, after=after)
    return member
