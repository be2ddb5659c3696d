"""Browser journeys: a real server on its own SQLite file, driven by Debian's Chromium through Playwright.

The server is a second app made by create_app() with its own database in a temporary folder, so it
never touches the database of the other tests (the `app`/`db` fixtures in tests/conftest.py, which
may be PostgreSQL). Tests here must not use the `db` fixture; they seed through `live_server.seed()`.

No Chromium at /usr/bin/chromium (or no playwright package): the journeys are skipped, unless
FORUM_REQUIRE_BROWSER=1, when they fail instead (for CI, where a skip would hide a broken setup).
"""
from __future__ import annotations

import os
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
NO_CHROMIUM = "Chromium not found at /usr/bin/chromium: browser journeys skipped (apt-get install chromium)"
NO_PLAYWRIGHT = "Python package playwright not installed: browser journeys skipped (pip install -e '.[test]')"

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Everything a journey waits for is local; a missing element should fail in seconds, not in 30.
TIMEOUT_MS = 10_000

ORGANIZER_EMAIL = "organizer@forum.test"


def _missing_browser() -> str | None:
    if not Path(CHROMIUM).exists():
        return NO_CHROMIUM
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return NO_PLAYWRIGHT
    return None


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("FORUM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"FORUM_REQUIRE_BROWSER=1 but the browser tests cannot run. {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass
class LiveServer:
    url: str
    app: Any
    tmp: Path
    errors: list[str] = field(default_factory=list)

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
    reason = _missing_browser()
    if reason:
        _skip_or_fail(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
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
    # Flask-Limiter keeps `enabled` on the one process-wide Limiter, and the last init_app wins: put back
    # what the other tests' app set, so switching it off here does not switch it off for them.
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
        limiter.enabled = limiter_enabled


@pytest.fixture(scope="session")
def organizer(live_server) -> dict[str, str]:
    """One organizer account for the whole run: {'email', 'password'}."""
    from tests import factories

    live_server.seed(lambda: factories.organizer(email=ORGANIZER_EMAIL, password=factories.PASSWORD))
    return {"email": ORGANIZER_EMAIL, "password": factories.PASSWORD}


def _watch(page, live_server: LiveServer, problems: list[str]) -> None:
    """Collect what a user would notice as broken: server errors, missing files, script errors."""

    def on_response(response):
        if not response.url.startswith(live_server.url):
            return
        if response.status >= 500 or (response.status == 404 and "/static/" in response.url):
            problems.append(f"{response.status} {response.request.method} {response.url}")

    page.on("response", on_response)
    page.on("pageerror", lambda exc: problems.append(f"JavaScript error: {exc}"))
    page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url} {req.failure}")
            if req.url.startswith(live_server.url) else None)


def _new_page(browser, live_server: LiveServer, viewport: dict[str, int]):
    context = browser.new_context(base_url=live_server.url, viewport=viewport, locale="en-GB",
                                  extra_http_headers={"Accept-Language": "en"})
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


@pytest.fixture()
def page(browser, live_server) -> Iterator[Any]:
    """A fresh desktop browser (no cookies) for each test; fails the test on 5xx, missing static files or JS errors."""
    context, pg = _new_page(browser, live_server, DESKTOP)
    problems: list[str] = []
    _watch(pg, live_server, problems)
    yield pg
    context.close()
    assert not problems, "The browser saw errors:\n" + "\n".join(problems)


@pytest.fixture()
def new_page(browser, live_server) -> Iterator[Callable[..., Any]]:
    """Open further browsers (another person, or a phone): new_page(viewport=PHONE)."""
    opened: list[tuple[Any, list[str]]] = []

    def _open(viewport: dict[str, int] = DESKTOP):
        context, pg = _new_page(browser, live_server, viewport)
        problems: list[str] = []
        _watch(pg, live_server, problems)
        opened.append((context, problems))
        return pg

    yield _open
    problems = [p for context, ps in opened for p in ps]
    for context, _ in opened:
        context.close()
    assert not problems, "The browser saw errors:\n" + "\n".join(problems)


def sign_in(page, email: str, password: str) -> None:
    """Sign in through the real form, as a person does."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()
