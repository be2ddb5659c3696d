"""How the API knows who is calling: a device token in `Authorization: Bearer <token>`, and nothing else.

No cookie is read or written under /api/ (`CookieFreeApi`, installed by the factory): a browser's session
can never act through the API (so the API needs no CSRF token), and an API answer never sets a cookie.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable

import sqlalchemy as sa

from flask import Flask, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _

from forum.api import tokens
from forum.api.models import ApiToken
from forum.badges import keys
from forum.db import db, writes
from forum.errors import DomainError
from forum.forums.models import Forum
from forum.teams import permissions

API_PREFIX = "/api/"
REALM = "forum"


class Unauthorized(DomainError):
    status = 401


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


class CookieFreeApi(SecureCookieSessionInterface):
    """The site's cookie session everywhere but under /api/, where the session is always new and empty and
    is never saved: no Set-Cookie, no `Vary: Cookie`, whatever the request carried or the code touched."""

    def open_session(self, app: Flask, request):  # noqa: ANN001 - Flask's signature
        if request.path.startswith(API_PREFIX):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:  # noqa: ANN001
        if is_api_request():
            return
        super().save_session(app, session, response)


def bearer_secret() -> str | None:
    """The token of `Authorization: Bearer <token>` (the scheme in any case), or None."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def authenticated(view: Callable) -> Callable:
    """The view runs for a live device token only (`g.api_token`, its user loaded); else 401. For a route with
    a forum slug, `g.api_forum` is that forum (None when there is none: the view answers 404).

    The request may write (the token's last use), so on SQLite its transaction takes the write lock up front,
    as `forum.db.writes` does for any GET that writes."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        _authenticate(kwargs.get("slug"))
        return view(*args, **kwargs)

    wrapped.api_authenticated = True  # type: ignore[attr-defined]  # read by the OpenAPI document
    return writes(wrapped)


def _authenticate(slug: str | None) -> None:
    secret = bearer_secret()
    if secret is None:
        raise Unauthorized(_("Send a device token: Authorization: Bearer <token>."), code="token_required")
    auth = tokens.authenticate(secret, forum_slug=slug)
    if auth is None:
        raise Unauthorized(_("This device token is not valid: unknown, revoked, or its account is disabled."),
                           code="invalid_token")
    g.api_token = auth.token
    if slug is not None:
        # A route about one forum: the forum came with the token, and so did what the permission check and
        # the badge check ask next (forum.teams.permissions and forum.badges.keys answer from these).
        g.api_forum = auth.forum
        if auth.forum is not None:
            permissions.remember_membership(auth.token.user, auth.forum.id, auth.member)
            keys.remember_public_key(auth.forum.id, auth.public_key)


def token_optional(view: Callable) -> Callable:
    """For what the public may read too (the documents register): without an Authorization header the view
    runs anonymously (`g.api_token` None; `g.api_forum` the route's forum, or None); with one, exactly as
    `authenticated`: a header that is not a live device token is a 401, never a silent fall back to the
    public answer (a client whose token was revoked must learn it, not receive less without noticing).

    Only a request with a token writes (its last use), so only that one takes SQLite's write lock up front."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        slug = kwargs.get("slug")
        if "Authorization" in request.headers:
            g.forum_writes = True
            try:
                _authenticate(slug)
                return view(*args, **kwargs)
            finally:
                g.forum_writes = False
        g.api_token = None
        if slug is not None:
            g.api_forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
        return view(*args, **kwargs)

    wrapped.api_authenticated = "optional"  # type: ignore[attr-defined]  # read by the OpenAPI document
    return wrapped


def current_token() -> ApiToken:
    return g.api_token


def optional_token() -> ApiToken | None:
    """The request's device token under `token_optional` (None: an anonymous request)."""
    return g.get("api_token")


def current_forum() -> Forum | None:
    return g.get("api_forum")


def www_authenticate(error: Unauthorized) -> str:
    """The challenge of a 401 (RFC 6750): which scheme, and whether the token sent was refused."""
    if error.code == "invalid_token":
        return f'Bearer realm="{REALM}", error="invalid_token"'
    return f'Bearer realm="{REALM}"'
