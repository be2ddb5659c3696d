"""The database layer: declarative base, UTC datetimes, and SQLite set up for concurrent use."""
from __future__ import annotations

import enum
import unicodedata
from datetime import datetime, timezone
from functools import wraps
from typing import Any, Callable

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    SQLite has no time zones: values are stored as naive UTC and come back marked UTC.
    A naive datetime is a bug (whose local time?), so binding one raises.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def enum_column(enum_cls: type[enum.Enum], length: int = 20, name: str | None = None) -> sa.Enum:
    """A portable enum: VARCHAR plus a CHECK constraint, values (not names) stored.

    `name` names the CHECK constraint when a table has two columns of one enum.
    """
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        name=name or enum_cls.__name__.lower(),
    )


def nfc(value: str | None) -> str | None:
    """What the person typed, in Unicode NFC and without stray outer spaces."""
    if value is None:
        return None
    return unicodedata.normalize("NFC", value).strip()


# --- SQLite for several threads and processes -------------------------------------------------
#
# WAL lets readers run beside one writer; busy_timeout makes a second writer wait instead of
# failing; and a transaction that will write starts with BEGIN IMMEDIATE, taking the write lock
# up front. Without that, two deferred transactions that both read and then write deadlock and
# SQLite answers "database is locked" at once, whatever the timeout.


def writes(view: Callable) -> Callable:
    """Mark a GET view that writes (an export's audit entry): its transaction takes the write lock up front.

    Without it, SQLite starts a GET with a plain BEGIN; if another request commits between the view's
    first read and its write, the write fails at once with "database is locked". Once the view has
    returned, a streamed body reads on without the lock.
    """

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        from flask import g

        g.forum_writes = True
        try:
            return view(*args, **kwargs)
        finally:
            g.forum_writes = False

    return wrapped


def _wants_write_lock() -> bool:
    from flask import g, has_request_context, request

    if has_request_context():
        return request.method not in ("GET", "HEAD", "OPTIONS") or g.get("forum_writes", False)
    return True  # CLI commands, the mail worker, tests: take the lock up front


def configure_sqlite(engine: Engine, busy_timeout_s: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let us emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")


# --- text that fits its column ---------------------------------------------------------------


def column_length(attr: Any) -> int | None:
    """The declared length of a mapped String column (`CompanyRegistration.legal_name` -> 300); None when unbounded."""
    return getattr(attr.property.columns[0].type, "length", None)


def too_long(attr: Any, value: str | None) -> int | None:
    """The column's limit when `value` (already normalised) is longer than it, else None.

    Lengths are checked after NFC: a form's Length() sees what was typed, and normalising can make
    it longer (U+0958 becomes two code points), which PostgreSQL then refuses with a 500.
    """
    limit = column_length(attr)
    return limit if limit is not None and value is not None and len(value) > limit else None


# --- a transaction PostgreSQL gave up on -------------------------------------------------------
#
# Locks are taken in one order (the forum row first), so deadlocks should not happen; should one
# happen anyway, or a serialisation failure, PostgreSQL aborts one transaction and says the
# caller may simply run it again. The boundary (a view, a CLI command) does that, once.

RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure


def is_retryable(error: BaseException) -> bool:
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    orig = error.orig
    return (getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)) in RETRYABLE_SQLSTATES


def retry_once_on_conflict(fn: Callable) -> Callable:
    """Run `fn` again, once, when the database aborted its transaction for a deadlock or serialisation failure.

    Safe because a boundary commits once, at its end: an aborted transaction saved nothing. Messages
    flashed by the failed attempt are taken back, so the person sees each once.
    """

    @wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        from flask import has_request_context, session

        flashes = list(session.get("_flashes", [])) if has_request_context() else None
        try:
            return fn(*args, **kwargs)
        except sa.exc.DBAPIError as e:
            if not is_retryable(e):
                raise
            db.session.rollback()
            if flashes is not None:
                session["_flashes"] = flashes
            return fn(*args, **kwargs)

    wrapped.retries_on_conflict = True  # type: ignore[attr-defined]
    return wrapped
