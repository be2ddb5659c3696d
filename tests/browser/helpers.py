"""What the journeys do the way a person does it: sign in, fill the registration form, seed a forum."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
# (what is missing, how to get it)
NO_CHROMIUM = ("Chromium not found at /usr/bin/chromium", "apt-get install chromium")
NO_PLAYWRIGHT = ("Python package playwright not installed", "pip install -e '.[test]'")


def missing_browser() -> tuple[str, str] | None:
    if not Path(CHROMIUM).exists():
        return NO_CHROMIUM
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return NO_PLAYWRIGHT
    return None


def skip_or_fail(missing: tuple[str, str]) -> None:
    what, fix = missing
    if os.environ.get("FORUM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"FORUM_REQUIRE_BROWSER=1 but the browser journeys cannot run: {what}. Fix: {fix}.",
                    pytrace=False)
    pytest.skip(f"{what}: browser journeys skipped ({fix})", allow_module_level=True)


def playwright_expect():
    """Playwright's expect(), or skip (fail with FORUM_REQUIRE_BROWSER=1) the module that needs it."""
    try:
        from playwright.sync_api import expect
    except ImportError:
        skip_or_fail(NO_PLAYWRIGHT)
    return expect


DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Everything a journey waits for is local; a missing element should fail in seconds, not in 30.
TIMEOUT_MS = 10_000


@dataclass
class Delegate:
    full_name: str
    latin_name: str
    email: str
    position: str = ""
    languages: list[str] = field(default_factory=list)  # labels as shown, e.g. "Japanese"


@dataclass
class Company:
    legal_name: str
    name_en: str
    country: str  # label as shown in the list
    city: str
    sector: str  # label as shown in the list
    contact_name: str
    contact_email: str
    delegates: list[Delegate]


YAMADA = Delegate("山田 太郎", "YAMADA Taro", "yamada@sakura-trading.jp", "Director", ["Japanese", "English"])
ALIYA = Delegate("Әлия Нұрланқызы", "Aliya Nurlankyzy", "aliya@sakura-trading.jp", "Country manager, Kazakhstan",
                 ["Kazakh", "Russian", "Japanese"])


def sakura(email_tag: str = "") -> Company:
    """A Japanese company sending a Japanese and a Kazakh delegate. email_tag keeps e-mails unique per forum."""
    def tagged(email: str) -> str:
        local, domain = email.split("@")
        return f"{local}{email_tag}@{domain}"

    return Company(
        legal_name="株式会社さくら商事", name_en="Sakura Trading Co., Ltd.", country="Japan", city="東京",
        sector="Trade and distribution", contact_name="佐藤 花子", contact_email=tagged("sato@sakura-trading.jp"),
        delegates=[Delegate(d.full_name, d.latin_name, tagged(d.email), d.position, d.languages) for d in (YAMADA, ALIYA)],
    )


def watch(page, live_server, problems: list[str]) -> None:
    """Collect what a user would notice as broken: server errors, missing files, script errors, and
    anything the Content-Security-Policy refused (Chromium reports that as a console error).

    "Failed to load resource" console errors are left out: Chromium logs one for every 4xx page (a
    form refused with 422 is expected), and the ones that matter (5xx, a missing static file) are
    caught from the responses above.
    """

    def on_console(message):
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console error: {message.text}")

    def on_response(response):
        if not response.url.startswith(live_server.url):
            return
        if response.status >= 500 or (response.status == 404 and "/static/" in response.url):
            problems.append(f"{response.status} {response.request.method} {response.url}")

    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"JavaScript error: {exc}"))
    page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url} {req.failure}")
            if req.url.startswith(live_server.url) else None)


def new_context(browser, live_server, viewport: dict[str, int] = DESKTOP, storage_state=None, lang: str = "en"):
    """A fresh browser profile (its own cookies) on the live server, asking for `lang`; returns (context, page)."""
    context = browser.new_context(base_url=live_server.url, viewport=viewport, locale=lang,
                                  extra_http_headers={"Accept-Language": lang}, storage_state=storage_state)
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def sign_in(page, email: str, password: str) -> None:
    """Through the real form; waits until the site shows the person as signed in."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    # The sign-out button lives in the navbar, which is collapsed on a phone: attached is enough.
    page.locator("form[action$='/logout']").wait_for(state="attached")


def fill_company(page, c: Company, *, skip: tuple[str, ...] = ()) -> None:
    """The Company and Contact person cards. `skip` leaves fields empty by label ("City")."""
    fields = [("Company legal name, as written natively", c.legal_name), ("Company name in English", c.name_en),
              ("City", c.city), ("Contact person", c.contact_name), ("Contact e-mail", c.contact_email)]
    for label, value in fields:
        if label not in skip:
            page.get_by_label(label, exact=True).fill(value)
    if "Country" not in skip:
        page.get_by_label("Country", exact=True).select_option(label=c.country)
    if "Sector" not in skip:
        page.get_by_label("Sector", exact=True).select_option(label=c.sector)


def delegate_card(page, n: int):
    """The card of delegate n (1-based).

    By id: the legend "Delegate n" sits inside .card-body, not as the fieldset's first child, so it does
    not name the group and get_by_role("group", name="Delegate 1") finds nothing (reported).
    """
    return page.locator(f"#delegate-{n - 1}")


def fill_delegate(page, n: int, d: Delegate) -> None:
    card = delegate_card(page, n)
    card.get_by_label("Full name, as written natively").fill(d.full_name)
    card.get_by_label("Name in Latin letters").fill(d.latin_name)
    card.get_by_label("Position").fill(d.position)
    card.get_by_label("E-mail").fill(d.email)
    for language in d.languages:
        card.get_by_label(language, exact=True).check()


def seed_forum(live_server, *, phase: str, title: str) -> str:
    """A published forum in the given phase (see tests/factories.forum); returns its slug."""
    from tests import factories

    slug = live_server.new_slug(phase)

    def build():
        f = factories.forum(phase=phase, slug=slug)
        f.title = title
        return f.slug

    return live_server.seed(build)


def seed_company(live_server, slug: str, c: Company, *, late_reason: str = "") -> None:
    """A company with its delegates, submitted through the service as the online form would."""
    import sqlalchemy as sa

    from forum.db import db
    from forum.forums.models import Forum
    from tests import factories

    codes = {"Japan": "JP", "Kazakhstan": "KZ"}
    sectors = {"Trade and distribution": "trade", "IT and telecommunications": "it"}

    def build():
        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
        factories.company(
            forum, legal_name=c.legal_name, name_en=c.name_en, country=codes[c.country], city=c.city,
            sector=sectors[c.sector], contact_name=c.contact_name, contact_email=c.contact_email,
            late_reason=late_reason,
            delegates=[factories.delegate_input(full_name=d.full_name, latin_name=d.latin_name, email=d.email,
                                                position=d.position, languages=[]) for d in c.delegates],
        )

    live_server.seed(build)
