"""The Devices page in a browser: a manager makes a device token for a door keeper, sees it once and copies it
with the button (under the Content-Security-Policy), the token checks a badge in through the API, and
revoking it after the question stops it. Screenshots of the pages (desktop and phone) into screenshots/."""
from __future__ import annotations

from pathlib import Path

from tests.browser.helpers import DESKTOP, PHONE, new_context, playwright_expect, seed_forum, sign_in, watch

expect = playwright_expect()
SHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def _seed_team(live_server, slug: str) -> dict:
    def build():
        import sqlalchemy as sa

        from forum.db import db
        from forum.forums.models import Forum
        from forum.teams.models import Permission
        from tests import factories

        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
        factories.member(forum, Permission.CHECKIN, name="Айгерім Сәрсенова", email=f"door-{slug}@example.org")
        badge = factories.badge(forum, full_name="Oʻktam Gʻulomov", latin_name="GULOMOV Uktam", country="UZ")
        return {"token": badge.token}

    return live_server.seed(build)


def test_a_device_token_is_made_copied_used_and_revoked(browser, live_server, organizer):
    slug = seed_forum(live_server, phase="open", title="Devices Forum")
    seeded = _seed_team(live_server, slug)
    context, page = new_context(browser, live_server, DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    problems: list[str] = []
    watch(page, live_server, problems)
    try:
        sign_in(page, organizer["email"], organizer["password"])
        page.goto(f"/manage/{slug}/team")
        page.get_by_role("link", name="Devices").click()
        expect(page.get_by_role("heading", name="Device tokens")).to_be_visible()
        page.get_by_label("Team member").select_option(label=f"Айгерім Сәрсенова <door-{slug}@example.org>")
        page.get_by_label("Device name").fill("Gate 1 / Кіру")
        page.get_by_role("button", name="Create the token").click()
        expect(page.get_by_text("Copy it now: it is shown only this once.")).to_be_visible()
        field = page.get_by_label("Device token")
        secret = field.input_value()
        assert secret.startswith("fdt_") and len(secret) == 47
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "devices-created-desktop.png"), full_page=True)
        page.get_by_role("button", name="Copy").click()
        expect(page.get_by_role("button", name="Copied")).to_be_visible()
        assert page.evaluate("() => navigator.clipboard.readText()") == secret

        answer = page.request.post(f"/api/v1/forums/{slug}/checkins",
                                   data={"code": seeded["token"], "nonce": "browser-1"},
                                   headers={"Authorization": f"Bearer {secret}"})
        assert answer.status == 200 and answer.json()["status"] == "ok"
        assert answer.json()["delegate"]["full_name"] == "Oʻktam Gʻulomov"

        page.get_by_role("link", name="Done: back to the devices").click()
        row = page.locator("tr", has_text="Gate 1 / Кіру")
        expect(row).to_contain_text("Айгерім Сәрсенова")
        expect(row).not_to_contain_text("never")  # it was used a moment ago
        assert secret not in page.content()
        page.screenshot(path=str(SHOTS / "devices-list-desktop.png"), full_page=True)
        row.get_by_role("link", name="Revoke…").click()
        expect(page.get_by_role("heading", name="Revoke the token of “Gate 1 / Кіру”?")).to_be_visible()
        page.screenshot(path=str(SHOTS / "devices-revoke-desktop.png"), full_page=True)
        page.get_by_role("button", name="Revoke the token").click()
        expect(page.get_by_text("is revoked: the device can no longer scan")).to_be_visible()
        refused = page.request.post(f"/api/v1/forums/{slug}/checkins",
                                    data={"code": seeded["token"], "nonce": "browser-2"},
                                    headers={"Authorization": f"Bearer {secret}"})
        assert refused.status == 401
    finally:
        context.close()
    assert not problems, "The browser saw errors:\n" + "\n".join(problems)


def test_the_devices_pages_fit_a_phone(browser, live_server, organizer):
    slug = seed_forum(live_server, phase="open", title="Central Asia + Japan Business Forum 2026")
    _seed_team(live_server, slug)
    context, page = new_context(browser, live_server, PHONE)
    problems: list[str] = []
    watch(page, live_server, problems)
    try:
        sign_in(page, organizer["email"], organizer["password"])
        page.goto(f"/manage/{slug}/devices")
        page.get_by_label("Device name").fill("Registration desk tablet (hall B, second floor)")
        page.get_by_role("button", name="Create the token").click()
        expect(page.get_by_label("Device token")).to_be_visible()
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "devices-created-phone.png"), full_page=True)
        wide = page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1")
        page.goto(f"/manage/{slug}/devices")
        page.screenshot(path=str(SHOTS / "devices-list-phone.png"), full_page=True)
        wide_list = page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1")
        assert not wide and not wide_list
    finally:
        context.close()
    assert not problems, "The browser saw errors:\n" + "\n".join(problems)
