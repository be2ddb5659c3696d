"""The e-mails of team changes, in the recipient's language, queued in the caller's transaction."""
from __future__ import annotations

from flask import current_app

from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.notifications import services as mail
from forum.teams.models import TeamMember
from forum.urls import external_url


def _queue(template: str, member: TeamMember, *, by: User, link: str) -> None:
    user = member.user
    mail.queue(template, to=user.email, to_name=user.display_name, language=user.language, forum_id=member.forum_id,
               forum=member.forum, user=user, by=by, permissions=member.permissions, link=link,
               link_days=current_app.config["PASSWORD_SET_MAX_AGE"] // 86400)


def invitation(member: TeamMember, *, by: User) -> None:
    """A new account: the person chooses a password with the link, then finds the forum under Manage."""
    _queue("team_invitation", member, by=by, link=accounts.password_link(member.user, "set"))


def added(member: TeamMember, *, by: User) -> None:
    """An existing account; one that never chose a password (a delegate's) gets the link to choose one."""
    user = member.user
    link = accounts.password_link(user, "set") if not user.has_password else external_url("forums_manage.index")
    _queue("team_added", member, by=by, link=link)
