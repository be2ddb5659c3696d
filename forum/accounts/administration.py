"""Site administration: administrators find accounts, make or unmake administrators, disable and enable them.

The rules (tests/accounts/test_administration.py):
- Only site administrators do any of this (`permissions.require_admin`).
- Nobody unmakes or disables themselves here (another administrator can): a slip would lock them out.
- The site always keeps an active administrator. It follows from the two rules above when each change
  first locks the administrators' rows and checks that the one making it still is one: of two
  administrators unmaking each other at the same moment, the second finds they are not one any more.
  (`accounts.deactivate` refuses the last one on the command line too.)
- Every change is audited (who, whom, from, to).
"""
from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask_babel import gettext as _

from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db
from forum.errors import InvalidState, NotAllowed
from forum.forums.models import Forum
from forum.search import matches_all_words
from forum.teams import permissions
from forum.teams.models import TeamMember

FILTERS = ("admins", "disabled")


def users_query(q: str | None = None, *, only: str = "") -> sa.Select:
    """Accounts matching every word of `q` (name or e-mail, in any script: forum.search), administrators first.

    only: "admins", "disabled", or anything else for everyone.
    """
    stmt = sa.select(User).where(matches_all_words(User.search_key, q))
    if only == "admins":
        stmt = stmt.where(User.is_admin.is_(True))
    elif only == "disabled":
        stmt = stmt.where(User.active.is_(False))
    return stmt.order_by(User.is_admin.desc(), sa.func.lower(User.display_name), User.id)


def teams_of(user_ids: list[int]) -> dict[int, list[tuple[Forum, TeamMember]]]:
    """The forums each of these users is on the team of, in one query (for a page of the user list)."""
    out: dict[int, list[tuple[Forum, TeamMember]]] = defaultdict(list)
    if not user_ids:
        return out
    rows = db.session.execute(
        sa.select(TeamMember, Forum).join(Forum, Forum.id == TeamMember.forum_id)
        .where(TeamMember.user_id.in_(user_ids)).order_by(Forum.starts_at.desc(), Forum.id)
    ).all()
    for member, forum in rows:
        out[member.user_id].append((forum, member))
    return out


def _checked(user: User, by: User) -> None:
    permissions.require_admin(by)
    if user.id == by.id:
        raise NotAllowed(_("You cannot do this to your own account; another administrator can."), code="yourself")
    if by.id not in accounts.active_admin_ids():  # unmade or disabled by another administrator a moment ago
        raise NotAllowed(_("Only site administrators can do this."), code="not_admin")
    db.session.refresh(user)


def set_admin(user: User, value: bool, *, by: User) -> None:
    """Make `user` a site administrator (every permission on every forum, users, new forums), or not any more."""
    _checked(user, by)
    if user.is_admin == value:
        raise InvalidState(_("%(name)s is already an administrator.", name=user.display_name) if value else
                           _("%(name)s is not an administrator.", name=user.display_name),
                           code="already_admin" if value else "not_an_admin")
    user.is_admin = value
    audit.record(subject_type="user", subject_id=user.id, action="admin_granted" if value else "admin_revoked",
                 actor=by, from_state="user" if value else "admin", to_state="admin" if value else "user",
                 email=user.email)


def set_active(user: User, value: bool, *, by: User, reason: str = "") -> None:
    """Disable an account (it cannot sign in; its sessions end now) or enable it again; audited."""
    _checked(user, by)
    if not value:
        accounts.deactivate(user, by=by, reason=reason)
        return
    if user.active:
        raise InvalidState(_("This account is already enabled."), code="already_enabled")
    user.active = True
    audit.record(subject_type="user", subject_id=user.id, action="reactivated", actor=by,
                 from_state="disabled", to_state="active", reason=reason, email=user.email)


def has_admin() -> bool:
    """Whether the site has an active administrator (`forum user create` makes the first one)."""
    return db.session.scalar(
        sa.select(sa.exists().where(User.is_admin.is_(True), User.active.is_(True)))) or False
