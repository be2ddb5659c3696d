"""Full-page screenshots of the main pages at desktop (1280) and phone (390) width, into screenshots/.

Each page is also checked for what a person would notice at once: its heading is there, and on a
phone the page does not scroll sideways. The PNGs are for people to look at; they are not compared.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from tests.browser.helpers import (
    DESKTOP, PHONE, Company, Delegate, fill_company, fill_delegate, new_context, playwright_expect, sakura,
    seed_company, seed_forum, sign_in, watch,
)

expect = playwright_expect()

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"

# The elements that stick out past the right edge of the window, to say *what* overflows.
OVERFLOW_JS = """() => {
  const w = window.innerWidth, out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > w + 1 && !el.closest('.table-responsive')) {
      out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${[...el.classList].join('.')} right=${Math.round(r.right)}`);
    }
  }
  return out.slice(0, 8);
}"""

KAZ_JAPAN = Company(
    legal_name="Товарищество с ограниченной ответственностью «Қазақстан-Жапония Инвестициялық Серіктестігі»",
    name_en="Kazakhstan–Japan Investment Partnership LLP", country="Kazakhstan", city="Астана",
    sector="IT and telecommunications", contact_name="Oʻktam Gʻulomov",
    contact_email="uktam.gulomov.international-relations@kazakhstan-japan-investment.kz",
    delegates=[Delegate("Oʻktam Gʻulomov", "Uktam Gulomov",
                        "uktam.gulomov.international-relations@kazakhstan-japan-investment.kz", "Head of partnerships")],
)


# What a person would notice at once besides overflow: a tab they cannot reach, a placeholder cut off.
CUT_OFF_JS = """() => {
  const w = window.innerWidth, out = [];
  for (const a of document.querySelectorAll('.nav-tabs .nav-link')) {
    const r = a.getBoundingClientRect();
    if (r.left < 0 || r.right > w + 1) out.push(`tab "${a.textContent.trim()}" not in view (right=${Math.round(r.right)})`);
  }
  const ctx = document.createElement('canvas').getContext('2d');
  for (const el of document.querySelectorAll('input[placeholder]')) {
    const cs = getComputedStyle(el);
    ctx.font = cs.font;
    const room = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    if (el.offsetParent && ctx.measureText(el.placeholder).width > room + 1) out.push(`placeholder of #${el.id} cut off`);
  }
  return out;
}"""


@dataclass
class Site:
    open_slug: str
    late_slug: str
    yamada_id: int


@pytest.fixture(scope="module")
def site(live_server, organizer) -> Site:
    """An open forum with three delegates (one approved, so it has history), a late forum with a request and an invitation."""
    import sqlalchemy as sa

    from forum.accounts.models import User
    from forum.db import db
    from forum.forums.models import Forum
    from forum.registration import services as registration
    from forum.registration.models import RegState, Registration
    from forum.registration.states import transition

    open_slug = seed_forum(live_server, phase="open", title="Japan – Central Asia Business Forum 2026")
    late_slug = seed_forum(live_server, phase="late", title="Astana Agro Forum")
    seed_company(live_server, open_slug, sakura("+shots"))
    seed_company(live_server, open_slug, KAZ_JAPAN)
    late = sakura("+late")
    late.delegates = late.delegates[1:]
    seed_company(live_server, late_slug, late,
                 late_reason="Our Almaty office only got the travel budget approved this week; Ms Nurlankyzy "
                             "leads our Kazakhstan expansion and should meet the agro delegations.")

    def decide_and_invite():
        org = db.session.scalar(sa.select(User).where(User.email == organizer["email"]))
        reg = db.session.scalar(sa.select(Registration).where(Registration.latin_name == "YAMADA Taro",
                                                              Registration.email.contains("+shots")))
        transition(reg, RegState.APPROVED, by=org, reason="Speaker at the opening panel.")
        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == late_slug))
        registration.create_invitation(forum, company_name="東京エネルギー株式会社 (Tokyo Energy K.K.)",
                                       email="suzuki@tokyo-energy.jp", by=org, days_valid=7, auto_approve=True)
        return reg.id

    return Site(open_slug, late_slug, live_server.seed(decide_and_invite))


@pytest.fixture(scope="module")
def organizer_state(browser, live_server, organizer):
    """Cookies of a signed-in organizer, so each organizer page starts signed in."""
    context, pg = new_context(browser, live_server, DESKTOP)
    sign_in(pg, organizer["email"], organizer["password"])
    state = context.storage_state()
    context.close()
    return state


# --- how to reach each page; each returns the heading a person sees first --------------------------

def home(page, site):
    page.goto("/")
    return page.get_by_role("heading", level=1, name="Business forums")


def forum_page(page, site):
    page.goto(f"/forums/{site.open_slug}")
    return page.get_by_role("heading", level=1, name="Japan – Central Asia Business Forum 2026")


def form_with_errors(page, site):
    page.goto(f"/forums/{site.open_slug}/register")
    page.get_by_label("Company legal name, as written natively").fill("株式会社さくら商事")
    page.get_by_label("Country", exact=True).select_option(label="Japan")
    page.locator("#delegate-0").get_by_label("Full name, as written natively").fill("山田 太郎")
    page.locator("#delegate-0").get_by_label("E-mail").fill("not-an-address")
    page.get_by_role("button", name="Submit the registration").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the marked fields.")
    expect(page.locator(".invalid-feedback:visible").first).to_be_visible()
    return page.get_by_role("heading", level=1, name="Register your company")


def confirmation(page, site):
    c = sakura("+confirm")
    page.goto(f"/forums/{site.open_slug}/register")
    fill_company(page, c)
    fill_delegate(page, 1, c.delegates[0])
    page.get_by_role("button", name="Add another delegate").click()
    fill_delegate(page, 2, c.delegates[1])
    page.get_by_label("I have read the privacy notice and agree to it").check()
    page.get_by_role("button", name="Submit the registration").click()
    return page.get_by_role("heading", level=1, name="Thank you — your registration has been received")


def sign_in_page(page, site):
    page.goto("/login")
    return page.get_by_role("heading", level=1, name="Sign in")


def registrations(page, site):
    page.goto(f"/manage/{site.open_slug}/registrations")
    rows = page.locator("table tbody tr")
    expect(rows.filter(has_text="YAMADA Taro").first).to_be_visible()
    expect(rows.filter(has_text="Uktam Gulomov")).to_be_visible()
    return page.get_by_role("heading", level=1, name="Japan – Central Asia Business Forum 2026")


def detail(page, site):
    page.goto(f"/manage/{site.open_slug}/registrations/{site.yamada_id}")
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    expect(page.get_by_text("Speaker at the opening panel.")).to_be_visible()
    return page.get_by_role("heading", level=2, name=re.compile("山田 太郎"))


def late_queue(page, site):
    page.goto(f"/manage/{site.late_slug}/late")
    expect(page.get_by_text(re.compile(r"Waiting for (less than a minute|\d+)"))).to_be_visible()
    expect(page.get_by_role("link", name="Late entries")).to_have_attribute("aria-current", "page")
    return page.get_by_role("heading", level=2, name=re.compile("Әлия Нұрланқызы"))


def invitations(page, site):
    page.goto(f"/manage/{site.late_slug}/invitations")
    expect(page.get_by_role("cell", name=re.compile("東京エネルギー株式会社"))).to_be_visible()
    return page.get_by_role("heading", level=2, name="Invite a company to register late")


def forum_edit(page, site):
    page.goto(f"/manage/{site.open_slug}/edit")
    expect(page.get_by_role("button", name="Save")).to_be_visible()
    return page.get_by_role("heading", level=1, name=re.compile("^Edit "))


def cancel_forum(page, site):
    page.goto(f"/manage/{site.open_slug}/cancel")
    expect(page.get_by_text(re.compile(r"registrations? will be cancelled"))).to_be_visible()
    return page.get_by_role("heading", level=1, name=re.compile("^Cancel "))


def overview(page, site):
    page.goto(f"/manage/{site.open_slug}/")
    expect(page.get_by_role("link", name="Overview")).to_have_attribute("aria-current", "page")
    expect(page.locator("#by-country-table").get_by_role("rowheader", name="Japan")).to_be_visible()
    expect(page.get_by_text("1 of 100 places approved (1%)")).to_be_visible()
    return page.get_by_role("heading", level=1, name="Japan – Central Asia Business Forum 2026")


def print_view(page, site):
    page.goto(f"/manage/{site.open_slug}/registrations?print=1&country=JP")
    expect(page.get_by_text("Filter: Country: Japan")).to_be_visible()
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    return page.get_by_role("heading", level=1, name=re.compile("^Registrations"))


PAGES: list[tuple[str, Callable, bool]] = [  # name, how to reach it, as organizer?
    ("home", home, False),
    ("forum", forum_page, False),
    ("registration-form-errors", form_with_errors, False),
    ("confirmation", confirmation, False),
    ("sign-in", sign_in_page, False),
    ("organizer-registrations", registrations, True),
    ("registration-detail", detail, True),
    ("late-queue", late_queue, True),
    ("invitations", invitations, True),
    ("forum-edit", forum_edit, True),
    ("cancel-forum", cancel_forum, True),
    ("organizer-overview", overview, True),
    ("print-view", print_view, True),
]


@pytest.mark.parametrize("number,name,reach,as_organizer",
                         [(i, *p) for i, p in enumerate(PAGES, start=1)], ids=[p[0] for p in PAGES])
def test_page_at_desktop_and_phone_width(browser, live_server, site, organizer_state, number, name, reach, as_organizer):
    SHOTS.mkdir(exist_ok=True)
    context, page = new_context(browser, live_server, DESKTOP, organizer_state if as_organizer else None)
    problems: list[str] = []
    watch(page, live_server, problems)
    try:
        heading = reach(page, site)
        expect(heading).to_be_visible()
        page.screenshot(path=SHOTS / f"{number:02d}-{name}-desktop.png", full_page=True)
        assert page.evaluate(CUT_OFF_JS) == [], f"{name} at desktop width"

        # Same page, same state (a re-render after POST is not reloaded), laid out for a phone.
        page.set_viewport_size(PHONE)
        expect(heading).to_be_visible()
        page.screenshot(path=SHOTS / f"{number:02d}-{name}-phone.png", full_page=True)
        assert page.evaluate(CUT_OFF_JS) == [], f"{name} at phone width"
        scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll_width <= inner_width + 1, (
            f"{name}: the page scrolls sideways on a {PHONE['width']}px phone "
            f"(scrollWidth {scroll_width}); sticking out: {page.evaluate(OVERFLOW_JS)}")
    finally:
        context.close()
    assert not problems, "The browser saw errors:\n" + "\n".join(problems)


# --- the public pages in Japanese and Russian, on a phone --------------------------------------------
# Longer words (Russian) and no spaces to break at (Japanese) are where phone layouts give way.

LOCALIZED = [
    pytest.param("ja", "home", home, id="ja-home"),
    pytest.param("ja", "forum", forum_page, id="ja-forum"),
    pytest.param("ja", "registration-form-errors", None, id="ja-registration-form-errors"),
    pytest.param("ru", "home", home, id="ru-home"),
    pytest.param("ru", "forum", forum_page, id="ru-forum"),
    pytest.param("ru", "registration-form-errors", None, id="ru-registration-form-errors"),
]


@pytest.mark.parametrize("lang,name,reach", LOCALIZED)
def test_public_page_in_another_language_fits_a_phone(browser, live_server, site, lang, name, reach):
    SHOTS.mkdir(exist_ok=True)
    context, page = new_context(browser, live_server, PHONE, lang=lang)
    problems: list[str] = []
    watch(page, live_server, problems)
    try:
        if reach is None:  # the form, sent empty: every error message at once, in that language
            page.goto(f"/forums/{site.open_slug}/register")
            page.locator("form button[type=submit].btn-lg").click()
            expect(page.get_by_role("alert")).to_be_visible()
        else:
            reach(page, site)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.screenshot(path=SHOTS / f"11-{name}-{lang}-phone.png", full_page=True)
        scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll_width <= inner_width + 1, (
            f"{name} in {lang}: the page scrolls sideways on a {PHONE['width']}px phone "
            f"(scrollWidth {scroll_width}); sticking out: {page.evaluate(OVERFLOW_JS)}")
        if reach is None:
            # Every message in the reader's language (checked last: the layout check above must run too).
            expect(page.get_by_text("This field is required.")).to_have_count(0, timeout=1000)
    finally:
        context.close()
    assert not problems, "The browser saw errors:\n" + "\n".join(problems)
