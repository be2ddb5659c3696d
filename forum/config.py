"""Configuration: these defaults, then instance/config.py, then FORUM_* environment variables."""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from forum import languages


class Defaults:
    # No built-in key: FORUM_SECRET_KEY (or instance/config.py), else a random key the factory
    # generates once into instance/secret_key (outside production only). See ensure_secret_key().
    SECRET_KEY: str | None = None
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
    # Seconds each SMTP socket operation may take: a server that accepts the connection and never
    # answers costs the worker this long, then the message is retried later.
    MAIL_TIMEOUT = 30
    # How long a worker's claim on a message holds. A worker that dies mid-send leaves its claims
    # to expire; then they are sent again. Must be well above MAIL_TIMEOUT.
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
    # The page a badge's QR code opens (/b/<token>), per network address: a venue's delegates share one, and
    # scanning each other's badges is what they do there; signed-in team members are not counted.
    RATELIMIT_BADGE_PAGE = "120 per minute"
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
    SESSION_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_HTTPONLY = True
    PER_PAGE = 50
    # How long the B2B scheduler may run from the organizer's page by default (they may give 1 to 120 s).
    B2B_SOLVE_SECONDS = 20
    # No form here needs more than a few kilobytes (ten delegates); larger bodies get the 413 page.
    MAX_CONTENT_LENGTH = 1024 * 1024
    # Scanned signed copies of documents (issue 10): the largest file taken (FORUM_DOCUMENT_SCAN_MAX_BYTES), and
    # where they are kept: outside the web root, never under forum/static (FORUM_DOCUMENTS_DIR; empty: the
    # instance folder's documents/). Their upload routes take this much plus the form around it; every other
    # route keeps MAX_CONTENT_LENGTH.
    DOCUMENT_SCAN_MAX_BYTES = 20 * 1024 * 1024
    DOCUMENTS_DIR = ""
    # Static files (Bootstrap, our CSS) are cached an hour: fewer round trips on a venue network.
    SEND_FILE_MAX_AGE_DEFAULT = 3600

    ENV_NAME = "development"  # "production": needs a real FORUM_SECRET_KEY, Secure cookies, HSTS
    # Sent in production only (browsers ignore it over plain HTTP anyway).
    STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


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


# Keys that were ever public: the built-in key of earlier versions, and what people type when told
# to "set a secret". A session or password link signed with one of these can be forged by anyone.
OLD_BUILT_IN_KEY = "dev-only-insecure-key"
WELL_KNOWN_KEYS = frozenset({
    OLD_BUILT_IN_KEY, "changeme", "change-me", "change_me", "changeit", "secret", "secret-key", "secret_key",
    "secretkey", "mysecret", "my-secret", "dev", "development", "test", "testing", "default", "password",
    "insecure", "forum", "flask", "key", "your-secret-key", "replace-me", "xxx",
})
MIN_PRODUCTION_KEY_LENGTH = 32
SECRET_KEY_FILE = "secret_key"


def is_well_known_key(key: str) -> bool:
    return key.strip().lower() in WELL_KNOWN_KEYS


def ensure_secret_key(config: dict[str, Any], instance_path: str | os.PathLike[str]) -> None:
    """Outside production, without a configured key: the instance folder's generated key (made once)."""
    if config.get("SECRET_KEY") or config.get("ENV_NAME") == "production":
        return
    config["SECRET_KEY"] = instance_secret_key(Path(instance_path))


def instance_secret_key(instance_path: Path) -> str:
    """The key in instance/secret_key, created on first use (mode 0600).

    Several processes may start at once (gunicorn workers, `make run`'s server and worker): each
    writes a candidate to its own temporary file and links it into place; a link never replaces an
    existing file, so the first one wins and everyone reads that one back.
    """
    path = instance_path / SECRET_KEY_FILE
    if not path.exists():
        tmp = instance_path / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(8)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48) + "\n")
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another process was first: use its key
        finally:
            tmp.unlink(missing_ok=True)
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < MIN_PRODUCTION_KEY_LENGTH or is_well_known_key(key):
        raise InsecureConfig(f"{path} does not hold a usable secret key: delete it and a new one is generated.")
    return key


def check_secret_key(config: dict[str, Any]) -> None:
    """A key anyone knows is refused everywhere; production also refuses an empty or short one."""
    key = config.get("SECRET_KEY") or ""
    if not isinstance(key, str):
        key = key.decode() if isinstance(key, bytes) else str(key)
    hint = "(for example: python3 -c 'import secrets; print(secrets.token_hex(32))')"
    if key and is_well_known_key(key):
        raise InsecureConfig(f"Refusing a well-known secret key ({key!r}): anyone could forge sessions and "
                             f"password links. Set FORUM_SECRET_KEY to a random value {hint}, or remove it "
                             f"outside production to have one generated into the instance folder.")
    if config.get("ENV_NAME") == "production" and len(key) < MIN_PRODUCTION_KEY_LENGTH:
        raise InsecureConfig(
            f"Refusing to start in production without a real secret key of at least {MIN_PRODUCTION_KEY_LENGTH} "
            f"characters: set FORUM_SECRET_KEY {hint}."
        )


def check_production(config: dict[str, Any]) -> None:
    """Refuse an unsafe key; in production, cookies only over HTTPS."""
    check_secret_key(config)
    if config.get("ENV_NAME") == "production":
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
        config["PREFERRED_URL_SCHEME"] = "https"
