"""Configuration: these defaults, then instance/config.py, then FORUM_* environment variables."""
from __future__ import annotations

import json
import os
from typing import Any

from forum import languages


class Defaults:
    SECRET_KEY = "dev-only-insecure-key"
    # The embedded default; the factory fills in the instance folder's path.
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # Seconds a SQLite writer waits for the lock before giving up.
    SQLITE_BUSY_TIMEOUT = 30

    BASE_URL = "http://127.0.0.1:5000"
    LANGUAGES = list(languages.CODES)
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"

    # Mail. Without MAIL_SERVER the worker writes .eml files to instance/mail/.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_SENDER = "Forum <noreply@forum.local>"
    MAIL_MAX_ATTEMPTS = 8
    # How long a worker's claim on a message holds. A worker that dies mid-send leaves its claims
    # to expire; then they are sent again. Must be well above the SMTP timeout (30 s per step).
    MAIL_LEASE_SECONDS = 300
    MAIL_FOLDER: str | None = None

    # Flask-Limiter. memory:// is per process; use redis://... with several workers.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    # Without Redis (down, or not yet up) limits are counted per process instead, with a warning in
    # the log; they go back to Redis when it answers again. Sign-in never fails because of it.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # Per account (failed sign-ins only), and per network address, which a venue's delegates share.
    RATELIMIT_LOGIN = "10 per minute"
    RATELIMIT_LOGIN_PER_ADDRESS = "200 per minute"
    RATELIMIT_PASSWORD_RESET = "5 per 15 minutes"
    RATELIMIT_PASSWORD_RESET_PER_ADDRESS = "60 per 15 minutes"
    # The public registration form: saved submissions (each queues a mail per delegate) per network
    # address, and per forum from everywhere. A company registers once; a chamber a few companies in a row.
    RATELIMIT_REGISTRATION_PER_ADDRESS = "20 per hour"
    RATELIMIT_REGISTRATION_PER_FORUM = "300 per hour"
    # ... and, counted in the database over the last hour, the delegates one contact e-mail address or
    # one network address may register with it (ten per company: a chamber's few companies fit).
    REGISTRATION_HOURLY_DELEGATES_PER_CONTACT = 50
    REGISTRATION_HOURLY_DELEGATES_PER_ADDRESS = 100
    # Behind a reverse proxy: how many proxies set X-Forwarded-For/-Proto/-Host (0 = trust none).
    PROXY_COUNT = 0

    # Token lifetimes, in seconds.
    PASSWORD_RESET_MAX_AGE = 2 * 3600
    PASSWORD_SET_MAX_AGE = 30 * 24 * 3600
    # The "this wasn't me" link in registration mails: registration opens months before a forum.
    DISPUTE_LINK_MAX_AGE = 365 * 24 * 3600

    WTF_CSRF_TIME_LIMIT = None  # a form left open over a coffee break still submits
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 30 * 24 * 3600
    PER_PAGE = 50
    # No form here needs more than a few kilobytes (ten delegates); larger bodies get the 413 page.
    MAX_CONTENT_LENGTH = 1024 * 1024
    # Static files (Bootstrap, our CSS) are cached an hour: fewer round trips on a venue network.
    SEND_FILE_MAX_AGE_DEFAULT = 3600

    ENV_NAME = "development"  # "production" refuses the default secret key


def _coerce(raw: str, current: Any) -> Any:
    """Environment values are strings; give them the type of the default they replace."""
    if isinstance(current, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, (list, dict)):
        return json.loads(raw)
    return raw


def from_environment(config: dict[str, Any], environ: os._Environ[str] | dict[str, str] = os.environ) -> None:
    """FORUM_DATABASE_URL -> SQLALCHEMY_DATABASE_URI; every other FORUM_X -> X."""
    for key, raw in environ.items():
        if not key.startswith("FORUM_") or key in {"FORUM_TEST_DATABASE_URL", "FORUM_PASSWORD"}:
            continue
        name = key[len("FORUM_"):]
        if name == "DATABASE_URL":
            name = "SQLALCHEMY_DATABASE_URI"
        config[name] = _coerce(raw, config.get(name))


class InsecureConfig(RuntimeError):
    pass


def check_production(config: dict[str, Any]) -> None:
    if config.get("ENV_NAME") == "production" and config.get("SECRET_KEY") in {None, "", Defaults.SECRET_KEY}:
        raise InsecureConfig(
            "Refusing to start in production without a real secret key: set FORUM_SECRET_KEY "
            "(for example: python3 -c 'import secrets; print(secrets.token_hex(32))')."
        )
