"""Fixtures: one migrated database per run (SQLite file, or FORUM_TEST_DATABASE_URL), emptied after each test."""
from __future__ import annotations

import os
import re
import uuid
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
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("forum")
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-" + uuid.uuid4().hex,
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp),
        "MAIL_FOLDER": str(tmp / "mail"),
        "BASE_URL": "http://forum.test",
        "SQLITE_BUSY_TIMEOUT": 30,
        "DOCUMENTS_DIR": str(tmp / "documents"),  # signed copies: never the repository's instance folder
    })
    with app.app_context():
        from flask_migrate import upgrade

        if _db.engine.dialect.name == "postgresql":
            # A fresh schema each run, so migrations are exercised from zero.
            with _db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
    yield app


def _empty_all_tables() -> None:
    tables = [t for t in _db.metadata.sorted_tables]
    if _db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        with _db.engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        with _db.engine.begin() as conn:
            for t in reversed(tables):
                conn.execute(t.delete())


@pytest.fixture()
def db(app):
    with app.app_context():
        limiter.reset()
        yield _db
        _db.session.remove()
        _empty_all_tables()


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
