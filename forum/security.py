"""Roles and the decorators that check them. Every check happens here, on the server."""
from __future__ import annotations

import enum
from functools import wraps
from typing import Callable, TypeVar

from flask import abort
from flask_login import current_user

F = TypeVar("F", bound=Callable)


class Role(str, enum.Enum):
    ORGANIZER = "organizer"  # everything
    STAFF = "staff"  # venue check-in only
    DELEGATE = "delegate"  # own registrations, later B2B and agenda


def role_required(*roles: Role) -> Callable[[F], F]:
    """Anonymous users go to the login page; signed-in users without the role get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from forum.extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


organizer_required = role_required(Role.ORGANIZER)
