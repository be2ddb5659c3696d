"""Who may do what. Every check happens on the server, in one place: forum.teams.permissions.

Site administrators (users.is_admin) manage users and create forums, and hold every permission on every
forum. Anyone else holds, per forum, what that forum's team grants them (teams.models.Permission).
Delegates and contact persons reach their own registrations through those registrations.
"""
from forum.teams.models import Permission  # noqa: F401
from forum.teams.permissions import (  # noqa: F401
    admin_required, current_forum, forum_permission, has_permission, permissions_of, require, require_admin,
    team_member_required,
)
