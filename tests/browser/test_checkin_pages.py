"""The check-in dashboard with a morning's data, and the badge page (/b/<token>) for each kind of visitor, in
Chromium at desktop and phone width: screenshots into screenshots/ (to look at), no sideways scrolling on a
phone, nothing refused by the Content-Security-Policy (the chart is SVG with presentation attributes only),
and the check-in button doing its job."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.helpers import DESKTOP, PHONE, new_context, playwright_expect, sign_in, watch

expect = playwright_expect()

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
STAFF_EMAIL = "door.staff@example.org"
TITLE = "Central Asia + Japan Business Forum 2026"


@pytest.fixture(scope="module")
def door(live_server, organizer) -> dict:
    """A forum of about 300 approved delegates from six countries; about 230 of them arrived over yesterday
    morning (Astana time), some went out again; a dozen refused scans. Returns slugs and tokens."""
    slug = live_server.new_slug("door")

    def build():
        import random
        from datetime import datetime, timedelta

        import sqlalchemy as sa

        from forum import clock
        from forum.accounts.models import User
        from forum.badges import issuing
        from forum.checkin import queries, services
        from forum.db import db
        from forum.demo import names
        from forum.registration import states
        from forum.registration.models import Category, RegState
        from forum.teams.models import Permission
        from tests import factories

        rng = random.Random(8)
        forum = factories.forum(phase="open", slug=slug, capacity=400)
        forum.title = TITLE
        other = factories.forum(phase="open")
        org = db.session.scalar(sa.select(User).where(User.email == organizer["email"]))
        staff = factories.member(forum, Permission.CHECKIN, email=STAFF_EMAIL, name="Dana Seitkali")
        second = factories.member(forum, Permission.CHECKIN, name="森 健一")
        weights = {"KZ": 9, "UZ": 7, "JP": 6, "KG": 4, "TJ": 2, "TM": 2}
        regs = []
        n = 0
        while len(regs) < 300:
            country = rng.choices(list(weights), weights=list(weights.values()))[0]
            sector = rng.choice(["trade", "energy", "it", "finance", "construction", "transport", "education"])
            name = names.company_name(country, sector, rng)
            people = []
            for _ in range(rng.randint(3, 9)):
                p = names.person(country, rng)
                n += 1
                people.append(factories.delegate_input(full_name=p.full_name, latin_name=p.latin_name,
                                                       email=f"d{n}@{slug}.example.org", languages=[]))
            company = factories.company(forum, legal_name=name.legal_name, name_en=name.name_en, country=country, sector=sector,
                                        city=names.city(country, rng), contact_email=f"c{n}@{slug}.example.org",
                                        delegates=people, directory_consent=rng.random() < 0.6)
            regs.extend(company.delegates)
        for reg in regs[:-12]:  # a dozen still pending
            states.transition(reg, RegState.APPROVED, by=org, notify=False)
            r = rng.random()
            if r < 0.06:
                reg.category = Category.SPEAKER
            elif r < 0.09:
                reg.category = Category.PRESS
            elif r < 0.12:
                reg.category = Category.VIP
        approved = regs[:-12]
        badges = {reg.id: issuing.badge_for(reg) for reg in approved}

        tz = forum.tz
        day = (clock.now().astimezone(tz) - timedelta(days=1)).date()
        opening = datetime(day.year, day.month, day.day, 8, 0, tzinfo=tz)
        seq = iter(range(10**6))

        def scan(code, who=staff, device="Gate 1", **kw):
            return services.check_in(forum, code, by=who, device=device, nonce=f"seed-{next(seq)}", **kw)

        arrivals = rng.sample(approved, 232)
        for reg in arrivals:  # most between 08:45 and 10:00, a tail to 12:00
            minutes = max(0.0, min(239.0, rng.gauss(70, 35)))
            at = opening + timedelta(minutes=minutes)
            gate = rng.choice(["Gate 1", "Gate 1", "Gate 2", "VIP entrance"])
            scan(badges[reg.id].token, who=rng.choice([staff, second]), device=gate, now=at)
        for reg in arrivals[:40]:  # out for lunch, and not back yet
            scan(badges[reg.id].token, direction="out", device="Gate 2", now=opening + timedelta(hours=4))
        late = opening + timedelta(hours=3, minutes=10)
        for i, reg in enumerate(arrivals[40:46]):  # a second scan at the door: amber
            scan(badges[reg.id].token, device="Gate 2", now=late + timedelta(minutes=i))
        lost = approved[-1] if approved[-1] not in arrivals else approved[-2]
        old = badges[lost.id]
        badges[lost.id] = issuing.reissue(old, by=org, reason="Lost at the hotel")
        scan(old.token, device="Gate 2", now=late + timedelta(minutes=12))
        waiting = next(r for r in approved if r not in arrivals and r.id != lost.id)
        states.transition(waiting, RegState.WAITLISTED, by=org, notify=False)
        scan(badges[waiting.id].token, device="Gate 1", now=late + timedelta(minutes=14))
        scan(factories.badge(other).token, device="VIP entrance", now=late + timedelta(minutes=20))
        for i, junk in enumerate(["WIFI:T:WPA;S:Palace-Guest;P:welcome;;", "https://example.com/menu",
                                  old.token[:60]]):
            scan(junk, who=second, device="Gate 1", now=late + timedelta(minutes=25 + i))
        team = issuing.team_badge(forum, staff, by=org)
        scan(team.token, device="Gate 1", now=opening - timedelta(minutes=30))

        consented = next(r for r in approved if r.company.directory_consent and r not in arrivals
                         and r.id not in (lost.id, waiting.id))
        unlisted = next(r for r in approved if not r.company.directory_consent and r not in arrivals
                        and r.id not in (lost.id, waiting.id))
        fresh = next(r for r in approved if r not in arrivals and r.id not in (lost.id, waiting.id, consented.id,
                                                                               unlisted.id))
        boss = issuing.team_badge(forum, factories.member(forum, Permission.MANAGE, name="Aigerim Organizer"), by=org)
        figures = queries.arrivals(forum)
        return {"slug": slug, "expected": figures.expected, "arrived": figures.arrived, "present": figures.present, "consented": badges[consented.id].token, "unlisted": badges[unlisted.id].token,
                "fresh": badges[fresh.id].token, "revoked": old.token, "team": boss.token,
                "forged": badges[consented.id].token[:-2] + ("AA" if not badges[consented.id].token.endswith("AA")
                                                              else "BB")}

    return live_server.seed(build)


@pytest.fixture(scope="module")
def staff_state(browser, live_server, door):
    from tests.factories import PASSWORD

    context, pg = new_context(browser, live_server, PHONE)
    sign_in(pg, STAFF_EMAIL, PASSWORD)
    state = context.storage_state()
    context.close()
    return state


def _fits_a_phone(page, name: str) -> None:
    scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width + 1, f"{name}: the page scrolls sideways on a phone ({scroll_width}px)"


def _shoot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def test_the_dashboard_with_a_mornings_arrivals(browser, live_server, door, staff_state):
    context, page = new_context(browser, live_server, DESKTOP, staff_state)
    problems: list[str] = []
    watch(page, live_server, problems)
    try:
        page.goto(f"/manage/{door['slug']}/checkin")
        expect(page.get_by_role("heading", level=2, name="Check-in", exact=True)).to_be_visible()
        expect(page.get_by_role("link", name="Check-in")).to_have_attribute("aria-current", "page")
        assert (door["arrived"], door["present"]) == (232, 192) and door["expected"] >= 288
        expect(page.locator("#arrived-text")).to_have_text(
            re.compile(rf"^232 of {door['expected']} approved delegates have arrived"))
        expect(page.locator("#present")).to_have_text("192")
        chart = page.get_by_role("img", name="Arrivals per 15 minutes")
        expect(chart).to_be_visible()
        assert page.locator("#arrivals-chart rect").count() >= 10
        expect(page.locator("#by-country").get_by_role("rowheader", name=re.compile("Kazakhstan"))).to_be_visible()
        expect(page.locator("#failed-scans tbody tr")).to_have_count(6)
        expect(page.locator("#failed-scans")).to_contain_text(
            "This badge was replaced by a newer one. Only the newest badge admits its holder.")
        # the table behind the chart opens, and adds up to the arrivals
        page.get_by_text("The same figures as a table").click()
        expect(page.locator("#arrivals-table tfoot")).to_contain_text("232")
        _shoot(page, "checkin-dashboard-desktop")
        page.set_viewport_size(PHONE)
        page.reload()
        expect(chart).to_be_visible()
        _shoot(page, "checkin-dashboard-phone")
        _fits_a_phone(page, "dashboard")
        # "Every minute" appears with JavaScript, and is remembered
        page.get_by_label("Every minute").check()
        page.reload()
        expect(page.get_by_label("Every minute")).to_be_checked()
        page.get_by_label("Every minute").uncheck()
    finally:
        context.close()
    assert not problems, "The browser saw errors:\n" + "\n".join(problems)


PUBLIC = [("consented", "Valid badge"), ("unlisted", "Valid badge"), ("team", "Valid badge"),
          ("forged", "Not a valid badge"), ("revoked", "Not a valid badge")]


@pytest.mark.parametrize("which,heading", PUBLIC, ids=[p[0] for p in PUBLIC])
def test_the_badge_page_for_anyone(browser, live_server, door, which, heading):
    context, page = new_context(browser, live_server, PHONE)
    problems: list[str] = []
    watch(page, live_server, problems)
    try:
        page.goto(f"/b/{door[which]}")
        expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
        expect(page.get_by_role("button", name="Check in")).to_have_count(0)
        _shoot(page, f"badge-page-{which}-phone")
        _fits_a_phone(page, which)
        if which == "consented":
            page.set_viewport_size(DESKTOP)
            _shoot(page, f"badge-page-{which}-desktop")
    finally:
        context.close()
    assert not problems, "The browser saw errors:\n" + "\n".join(problems)


def test_door_staff_check_in_from_the_badge_page(browser, live_server, door, staff_state):
    context, page = new_context(browser, live_server, PHONE, staff_state)
    problems: list[str] = []
    watch(page, live_server, problems)
    try:
        page.goto(f"/b/{door['fresh'].lower()}")
        expect(page.get_by_text("Not checked in yet.")).to_be_visible()
        _shoot(page, "badge-page-staff-before-phone")
        _fits_a_phone(page, "staff before")
        page.get_by_role("button", name="Check in").click()
        expect(page.locator("#verdict")).to_have_attribute("data-result", "ok")
        expect(page.locator("#verdict")).to_contain_text("Checked in")
        _shoot(page, "badge-page-staff-ok-phone")
        page.reload()  # nothing more recorded; the same verdict
        expect(page.locator("#verdict")).to_have_attribute("data-result", "ok")
        page.get_by_role("link", name="Back to this badge").click()
        expect(page.get_by_text(re.compile("^Inside now."))).to_be_visible()
        page.get_by_role("button", name="Check in").click()
        expect(page.locator("#verdict")).to_have_attribute("data-result", "already_checked_in")
        _shoot(page, "badge-page-staff-already-phone")
        page.goto(f"/b/{door['revoked']}")
        expect(page.get_by_text(re.compile("^Revoked on"))).to_be_visible()
        page.get_by_role("button", name="Check in").click()
        expect(page.locator("#verdict")).to_have_attribute("data-result", "revoked")
        _shoot(page, "badge-page-staff-revoked-phone")
        _fits_a_phone(page, "staff revoked")
    finally:
        context.close()
    assert not problems, "The browser saw errors:\n" + "\n".join(problems)
