"""Links: absolute ones for e-mails, and the one check for redirect targets that come from a request."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import current_app, request, url_for

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
