"""Fixtures: one migrated database per run (SQLite file, or FORUM_TEST_DATABASE_URL), emptied after each test.

The demo (`forum demo`, forum/demo/) takes half a minute to load, so it is loaded once per run into a
database of its own (a template), and a test module that needs it gets a private copy of it:

- `demo_app` (module scope): a Flask app like `app`, on a fresh copy of the demo database. Whatever the
  module's tests write stays in that copy, which is thrown away after the module: modules never see each
  other's changes, exactly as if each had loaded the demo itself. Tests inside one module share the copy
  (roll back, or order them, as before). Use it as `with demo_app.app_context(): ...`, or, as tests/demo/
  does, override `app` in a conftest.py (`app = demo_app` at module scope), and `db`, `client`, `login`
  and `post` then work on the copy too (note that `db` empties the tables after each test).
- SQLite: the template is a file; a copy is made with SQLite's backup API (milliseconds).
  PostgreSQL: the template is the database `<test database>_demo`; a copy is `CREATE DATABASE ... TEMPLATE`
  (about a second), dropped after the module. Both are dropped at the end of the run.
- The template is loaded at the first use in the run, so the demo's dates are relative to that moment
  (as they were relative to the module's start before); every copy has the same clock.now() origin.

Factory users (tests/factories.py) share one real hash of factories.PASSWORD (see `_factory_password_hash`).

After each test `db` empties every table (`_empty_all_tables`): only the tables that have rows are emptied, and
on PostgreSQL they are DELETEd and the used sequences reset, so ids start at 1 again in every test (the end
state of the TRUNCATE ... RESTART IDENTITY CASCADE used before, at a tenth of its cost).
"""
from __future__ import annotations

import itertools
import os
import re
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa

from flask.globals import _cv_app
from flask.testing import FlaskClient

from forum import create_app
from forum.db import db as _db
from forum.extensions import limiter

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def _database_url(tmp_dir: Path) -> str:
    return os.environ.get("FORUM_TEST_DATABASE_URL") or f"sqlite:///{tmp_dir / 'test.sqlite'}"


@pytest.fixture(scope="session")
def app_config(tmp_path_factory) -> dict:
    """The test app's configuration (the demo's apps use it too, with their own database)."""
    tmp = tmp_path_factory.mktemp("forum")
    return {
        "TESTING": True,
        "SECRET_KEY": "test-" + uuid.uuid4().hex,
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp),
        "MAIL_FOLDER": str(tmp / "mail"),
        "BASE_URL": "http://forum.test",
        "SQLITE_BUSY_TIMEOUT": 30,
        "DOCUMENTS_DIR": str(tmp / "documents"),  # signed copies: never the repository's instance folder
    }


@pytest.fixture(scope="session")
def app(app_config):
    app = create_app(dict(app_config))
    with app.app_context():
        from flask_migrate import upgrade

        if _db.engine.dialect.name == "postgresql":
            # A fresh schema each run, so migrations are exercised from zero.
            with _db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
    yield app


# The sequences of these tables' columns (serial or identity) that have handed out a value since their last reset.
_USED_SEQUENCES = sa.text("""
    SELECT format('%I.%I', s.schemaname, s.sequencename), s.start_value
    FROM pg_sequences s
    JOIN pg_class seq ON seq.relname = s.sequencename AND seq.relnamespace = s.schemaname::regnamespace
    JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = seq.oid AND d.deptype IN ('a', 'i')
    JOIN pg_class tbl ON tbl.oid = d.refobjid AND tbl.relnamespace = seq.relnamespace
    WHERE s.schemaname = current_schema() AND s.last_value IS NOT NULL AND tbl.relname = ANY(:tables)
""")


def _empty_all_tables() -> None:
    tables = [t for t in _db.metadata.sorted_tables]
    # Which tables have rows, in one query: a test touches a few of the tables, not all of them.
    nonempty = sa.text(" UNION ALL ".join(
        f"SELECT {i} WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for i, t in enumerate(tables)))
    if _db.engine.dialect.name == "postgresql":
        # The end state of `TRUNCATE <every table> RESTART IDENTITY CASCADE`, which costs 1-2 s after every test:
        # TRUNCATE makes new files for each table and its indexes, empty or not, and CASCADE pulls in every table
        # (they all reference forums or users). DELETE the tables that have rows (children first), then reset the
        # sequences that handed out a value (an insert, even rolled back) to where RESTART IDENTITY puts them.
        with _db.engine.begin() as conn:
            full = sorted(conn.execute(nonempty).scalars(), reverse=True)
            if full:
                conn.execute(sa.text("; ".join(f'DELETE FROM "{tables[i].name}"' for i in full)))
            for sequence, start in conn.execute(_USED_SEQUENCES, {"tables": [t.name for t in tables]}).all():
                conn.execute(sa.text("SELECT setval(CAST(:s AS regclass), :v, false)"), {"s": sequence, "v": start})
    else:
        with _db.engine.begin() as conn:
            for i in sorted(conn.execute(nonempty).scalars(), reverse=True):  # children first
                conn.execute(tables[i].delete())


@pytest.fixture()
def db(app):
    with app.app_context():
        limiter.reset()
        yield _db
        _db.session.remove()
        _empty_all_tables()


class _DemoDatabases:
    """The demo loaded once into a template database, and private copies of it (see the module docstring)."""

    def __init__(self, config: dict, tmp: Path):
        self.config = config
        self.tmp = tmp
        self.url = sa.engine.make_url(config["SQLALCHEMY_DATABASE_URI"])
        self.postgres = self.url.get_backend_name() == "postgresql"
        self.template: str | None = None  # a file (SQLite) or a database name (PostgreSQL)
        self.copies = itertools.count(1)

    def _admin(self):
        # CREATE/DROP DATABASE cannot run in a transaction; no pool, so nothing stays connected.
        return sa.create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)

    def _execute(self, *statements: str) -> None:
        engine = self._admin()
        try:
            with engine.connect() as conn:
                for statement in statements:
                    conn.execute(sa.text(statement))
        finally:
            engine.dispose()

    def _url_for(self, name: str) -> str:
        if self.postgres:
            return self.url.set(database=name).render_as_string(hide_password=False)
        return f"sqlite:///{name}"

    def _app(self, name: str):
        return create_app({**self.config, "SQLALCHEMY_DATABASE_URI": self._url_for(name)})

    def _build_template(self) -> None:
        from flask_migrate import upgrade

        from forum.demo import load

        if self.postgres:
            name = f"{self.url.database}_demo"
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
        else:
            name = str(self.tmp / "demo-template.sqlite")
        demo_app = self._app(name)
        with demo_app.app_context():
            upgrade()
            load(echo=lambda *a: None)
            _db.session.remove()
            _db.engine.dispose()  # PostgreSQL copies a template only while nobody is connected to it
        self.template = name

    def copy(self):
        """A Flask app on a fresh copy of the demo (the template is built on the first call)."""
        if self.template is None:
            self._build_template()
        n = next(self.copies)
        if self.postgres:
            name = f"{self.url.database}_demo_{n}"
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                          f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        else:
            name = str(self.tmp / f"demo-{n}.sqlite")
            with closing(sqlite3.connect(self.template)) as src, closing(sqlite3.connect(name)) as dst:
                src.backup(dst)
        return self._app(name), name

    def drop(self, copy_app, name: str) -> None:
        with copy_app.app_context():
            _db.session.remove()
            _db.engine.dispose()
        if self.postgres:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(name + suffix).unlink(missing_ok=True)

    def close(self) -> None:
        if self.postgres and self.template is not None:
            self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _demo_databases(app_config, tmp_path_factory):
    # Not `app`: tests/demo/ overrides `app` with `demo_app`. The demo's databases are named after the test database.
    demos = _DemoDatabases(app_config, tmp_path_factory.mktemp("demo"))
    yield demos
    demos.close()


@pytest.fixture(scope="module")
def demo_app(_demo_databases):
    """A Flask app on this module's own copy of the demo (loaded once per run); thrown away after the module."""
    copy_app, name = _demo_databases.copy()
    yield copy_app
    _demo_databases.drop(copy_app, name)


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production: its own session, its own `g`.

    The test's session is committed first, so what the test built is visible to the request
    and the test sees fresh rows afterwards (commit expires them).

    Responses are read to the end inside that isolation (buffered): a streamed body
    (`stream_with_context`) pushes the request's contexts while it runs, and must finish before
    the test's own context comes back. The chunks stay as the app yielded them, in `response`.
    """

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        _db.session.commit()
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


@pytest.fixture()
def client(app, db):
    app.test_client_class = IsolatedClient
    return app.test_client()


def csrf_token(client, url: str = "/") -> str:
    """The token from any page (every page has the language switcher's form)."""
    html = client.get(url).get_data(as_text=True)
    m = CSRF_RE.search(html)
    assert m, f"no CSRF token on {url}"
    return m.group(1) or m.group(2)


@pytest.fixture()
def login(client):
    def _login(user):
        with client.session_transaction() as s:
            s["_user_id"] = user.get_id()  # "<id>:<session generation>", as Flask-Login stores it
            s["_fresh"] = True
        _db.session.commit()
        return user

    return _login


@pytest.fixture()
def post(client):
    """POST a form the way a browser does: with the CSRF token from a page of the site."""

    def _post(url: str, data: dict | None = None, token_from: str = "/", **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", csrf_token(client, token_from))
        return client.post(url, data=data, **kw)

    return _post
