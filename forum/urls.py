"""Links: absolute ones for e-mails, and the one check for redirect targets that come from a request."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import current_app, request, url_for
from werkzeug.routing import BaseConverter, IntegerConverter

# Browsers drop tabs and newlines inside URLs and read a backslash as a slash, so "/\tevil.example"
# and "/\evil.example" both become "//evil.example": another site. None of these is ever needed.
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


def external_url(endpoint: str, **values) -> str:
    """An absolute link for e-mails, built from BASE_URL; works in requests, CLI and the worker alike."""
    with current_app.test_request_context("/"):
        path = url_for(endpoint, **values)
    return current_app.config["BASE_URL"].rstrip("/") + path


def is_safe_path(target: str | None) -> bool:
    """A path on this site: '/manage/x?y=1' yes; '//evil.example', '/\\evil', 'https://…', 'javascript:' no."""
    if not target or not target.startswith("/") or target.startswith("//") or _UNSAFE.search(target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(default: str, *names: str) -> str:
    """The first of the request's `names` (default: 'next') that is a safe local path, else `default`."""
    for name in names or ("next",):
        target = request.args.get(name) or request.form.get(name)
        if target and is_safe_path(target):
            return target
    return default


# The id columns are INTEGER: 32 bits signed on PostgreSQL, which refuses a larger value in a query
# (a 500), even one merely compared with an id. Nothing beyond it can exist, so it is a 404.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: ASCII digits only, up to the largest id; anything else is a 404.

    Werkzeug's own accepts 20-digit numbers (the database then fails: a 500) and any Unicode
    decimal digit. The factory registers this one under the name `int`, so no route can forget it.
    """

    regex = r"[0-9]{1,19}"  # the length keeps int() cheap; `max` decides

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def ascii_int(value: str | None, *, maximum: int = MAX_ID) -> int | None:
    """'12' -> 12; None for anything else: '', '-1', '²' or '٣' (str.isdigit() says yes to those), too large."""
    if not value or len(value) > 19 or not (value.isascii() and value.isdigit()):
        return None
    n = int(value)
    return n if n <= maximum else None


class PublicIdConverter(BaseConverter):
    """`<pid:...>`: a public id (a UUID, as organisations.models.new_public_id makes them) in every URL a delegate,
    a contact person or the public sees. Anything else is a 404 before any query; upper case is read as lower.

    Integer ids stay on organizer pages: a URL outside /manage and /admin with an integer in it fails
    tests/test_public_ids.py.
    """

    regex = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

    def to_python(self, value: str) -> str:
        return value.lower()

    def to_url(self, value) -> str:
        return str(value)
