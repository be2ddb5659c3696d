"""Browser journeys: a real server on its own SQLite file, driven by Debian's Chromium through Playwright.

The server is a second app made by create_app() with its own database in a temporary folder, so it
never touches the database of the other tests (the `app`/`db` fixtures in tests/conftest.py, which
may be PostgreSQL). Tests here must not use the `db` fixture; they seed through `live_server.seed()`.

No Chromium at /usr/bin/chromium (or no playwright package): the journeys are skipped, unless
FORUM_REQUIRE_BROWSER=1, when they fail instead (for CI, where a skip would hide a broken setup).
"""
from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from tests.browser import helpers
from tests.browser.helpers import CHROMIUM_ARGS, DESKTOP, missing_browser, new_context, skip_or_fail, watch

ORGANIZER_EMAIL = "organizer@example.org"  # not .test: email-validator refuses special-use domains


@dataclass
class LiveServer:
    url: str
    app: Any
    tmp: Path

    def seed(self, build: Callable[[], Any]) -> Any:
        """Run `build` in the server app's context and commit. Return plain values, not ORM objects."""
        from forum.db import db

        with self.app.app_context():
            try:
                result = build()
                db.session.commit()
                return result
            finally:
                db.session.remove()

    def new_slug(self, prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    missing = missing_browser()
    if missing:
        skip_or_fail(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=helpers.CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def live_server(browser, tmp_path_factory) -> Iterator[LiveServer]:
    """The app on 127.0.0.1:<free port> in a daemon thread, with its own migrated SQLite file."""
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from forum import create_app
    from forum.extensions import limiter

    tmp = tmp_path_factory.mktemp("browser")
    limiter_enabled = limiter.enabled
    with pytest.MonkeyPatch.context() as mp:
        # Its own instance folder, so a developer's instance/config.py is not read either.
        mp.setenv("FORUM_INSTANCE_PATH", str(tmp / "instance"))
        app = create_app({
            "TESTING": True,
            "SECRET_KEY": "browser-tests-fixed-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'browser.sqlite'}",
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "MAIL_FOLDER": str(tmp / "mail"),
            "MAIL_SERVER": None,
            "RATELIMIT_ENABLED": False,
            "ENV_NAME": "test",
            "BASE_URL": "http://127.0.0.1",  # the real port is known once the socket is bound, below
        })
    # init_app just set the one process-wide Limiter's `enabled` to False: give the other tests theirs
    # back at once. While browser tests run, `_rate_limits_off` below switches it off again.
    limiter.enabled = limiter_enabled
    with app.app_context():
        upgrade()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="browser-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, app=app, tmp=tmp)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module", autouse=True)
def _rate_limits_off():
    """No rate limits for the browser modules, and only for them.

    Flask-Limiter keeps `enabled` (and its storage) on the one Limiter of forum/extensions.py, shared by
    every app in the process; the `@limiter.limit` on /login reads that, not the app's RATELIMIT_ENABLED.
    Left on, the journeys' sign-ins would count against the other tests' limiter storage.
    """
    from forum.extensions import limiter

    before = limiter.enabled
    limiter.enabled = False
    yield
    limiter.enabled = before


@pytest.fixture(scope="session")
def organizer(live_server) -> dict[str, str]:
    """One organizer account for the whole run: {'email', 'password'}."""
    from tests import factories

    live_server.seed(lambda: factories.organizer(email=ORGANIZER_EMAIL, password=factories.PASSWORD))
    return {"email": ORGANIZER_EMAIL, "password": factories.PASSWORD}


@pytest.fixture()
def page(browser, live_server) -> Iterator[Any]:
    """A fresh desktop browser (no cookies) for each test; fails the test on 5xx, missing static files or JS errors."""
    context, pg = new_context(browser, live_server, DESKTOP)
    problems: list[str] = []
    watch(pg, live_server, problems)
    yield pg
    context.close()
    assert not problems, "The browser saw errors:\n" + "\n".join(problems)


@pytest.fixture()
def new_page(browser, live_server) -> Iterator[Callable[..., Any]]:
    """Open further browsers (another person, or a phone): new_page(viewport=PHONE)."""
    opened: list[tuple[Any, list[str]]] = []

    def _open(viewport: dict[str, int] = DESKTOP):
        context, pg = new_context(browser, live_server, viewport)
        problems: list[str] = []
        watch(pg, live_server, problems)
        opened.append((context, problems))
        return pg

    yield _open
    problems = [p for context, ps in opened for p in ps]
    for context, _ in opened:
        context.close()
    assert not problems, "The browser saw errors:\n" + "\n".join(problems)

