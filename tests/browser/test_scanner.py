"""The door scanner in a real browser at phone size (issue 8, sections 4 and 7).

Chromium's fake camera plays a Y4M video made here from a real badge's QR code (the badge URL of a seeded
delegate, centred on a white frame): the scanner decodes it with the vendored jsQR and shows ok; the same
badge coming back into view after the debounce shows already_checked_in; a revoked code typed by hand is
red. Without camera permission the page says so and offers the typed code and the name search.

The camera needs its own Chromium (the launch flags differ from the session's browser): launched here with
the same executable and the same skip-or-fail rule (the `browser` fixture). Screenshots go to screenshots/.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.helpers import (
    CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, new_context, playwright_expect, sign_in, watch,
)
from tests.browser.test_screenshots import CUT_OFF_JS, OVERFLOW_JS, SHOTS

expect = playwright_expect()

PASSWORD = "door-keeper-2026"
WIDTH, HEIGHT = 640, 480
FPS = 4
QR_FRAMES = 4  # one second with the badge in view ...
BLANK_FRAMES = 16  # ... then four seconds without (longer than the scanner's 3 s debounce), and again (the file loops)


def qr_y4m(text: str, path: Path) -> None:
    """A Y4M (4:2:0) video of the QR code of `text`, centred on white, then white frames; plain Python."""
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(text, optimize=20)
    qr.make(fit=True)
    matrix = qr.get_matrix()  # with its quiet zone
    n = len(matrix)
    scale = (HEIGHT - 40) // n
    side = n * scale
    left, top = (WIDTH - side) // 2, (HEIGHT - side) // 2
    white, black = 235, 16  # video-range luma
    rows = []
    for y in range(HEIGHT):
        my = (y - top) // scale
        if 0 <= y - top < side:
            row = bytearray([white]) * WIDTH
            for mx, dark in enumerate(matrix[my]):
                if dark:
                    row[left + mx * scale:left + (mx + 1) * scale] = bytes([black]) * scale
            rows.append(bytes(row))
        else:
            rows.append(bytes([white]) * WIDTH)
    chroma = bytes([128]) * (WIDTH // 2 * HEIGHT // 2)
    qr_frame = b"FRAME\n" + b"".join(rows) + chroma + chroma
    blank_frame = b"FRAME\n" + bytes([white]) * (WIDTH * HEIGHT) + chroma + chroma
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(QR_FRAMES):
            out.write(qr_frame)
        for _ in range(BLANK_FRAMES):
            out.write(blank_frame)


def _seed(live_server) -> dict:
    """A forum in Tashkent with an approved Japanese delegate (the badge the camera sees), a Kazakh one (found
    by name), an Uzbek one whose badge was reissued (the old code is refused), and a door keeper."""
    import sqlalchemy as sa

    from forum.badges import issuing
    from forum.db import db
    from forum.forums.models import Forum
    from forum.teams.models import Permission
    from tests import factories

    slug = live_server.new_slug("door")

    def build():
        forum = factories.forum(slug=slug, tz="Asia/Tashkent")
        forum.title = "Uzbekistan–Japan Business Forum"
        yamada = factories.approved(forum, full_name="山田 太郎", latin_name="YAMADA Taro", country="JP",
                                    legal_name="株式会社さくら商事", name_en="Sakura Trading Co., Ltd.",
                                    email=f"yamada+{slug}@sakura-trading.jp")
        factories.approved(forum, full_name="Әлия Нұрланқызы", latin_name="Aliya Nurlankyzy", country="KZ",
                           legal_name="«Қазақстан-Жапония» ЖШС", name_en="Kazakhstan–Japan LLP",
                           email=f"aliya+{slug}@example.kz")
        oktam = factories.approved(forum, full_name="Oʻktam Gʻulomov", latin_name="Oktam Gulomov", country="UZ",
                                   legal_name="Oʻzbekiston temir yoʻllari", name_en="Uzbek Railways",
                                   email=f"oktam+{slug}@example.uz")
        old = issuing.badge_for(oktam)
        issuing.reissue(old, by=factories.organizer(email=f"boss+{slug}@example.org"), reason="Lost at the hotel")
        factories.member(forum, Permission.CHECKIN, email=f"door+{slug}@example.uz", password=PASSWORD,
                         name="Door Keeper")
        return {"slug": slug, "email": f"door+{slug}@example.uz",
                "badge_url": f"{live_server.url}/b/{issuing.badge_for(yamada).token}", "revoked": old.token}

    return live_server.seed(build)


def _scans(live_server, slug: str) -> list[tuple[str, str]]:
    import sqlalchemy as sa

    from forum.checkin.models import Scan
    from forum.db import db
    from forum.forums.models import Forum

    def read():
        forum_id = db.session.scalar(sa.select(Forum.id).where(Forum.slug == slug))
        return [(s.result.value, s.device) for s in db.session.scalars(
            sa.select(Scan).where(Scan.forum_id == forum_id).order_by(Scan.id))]

    return live_server.seed(read)


def _fits(page, name: str) -> None:
    assert page.evaluate(CUT_OFF_JS) == [], name
    scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width + 1, f"{name} scrolls sideways: {page.evaluate(OVERFLOW_JS)}"


def _launch(browser, *extra: str):
    """Another Chromium from the same executable as the session's `browser` (which already skipped or failed
    when there is none), with extra flags."""
    return browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + list(extra))


def _name_device(page, label: str) -> None:
    setup = page.get_by_role("region", name="Name this device")
    expect(setup).to_be_visible()
    expect(page.get_by_role("button", name="Start camera")).to_be_hidden()
    setup.get_by_label("Name of this device").fill(label)
    setup.get_by_role("button", name="Save").click()
    expect(setup).to_be_hidden()
    expect(page.locator("#device-label")).to_contain_text(f"Device: {label}")


def test_the_camera_scans_a_badge_then_knows_it_is_inside_and_a_revoked_code_is_red(browser, live_server, tmp_path):
    seeded = _seed(live_server)
    video = tmp_path / "badge.y4m"
    qr_y4m(seeded["badge_url"], video)
    camera = _launch(browser, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                     f"--use-file-for-fake-video-capture={video}", "--autoplay-policy=no-user-gesture-required")
    problems: list[str] = []
    try:
        context, page = new_context(camera, live_server, PHONE)
        watch(page, live_server, problems)
        sign_in(page, seeded["email"], PASSWORD)
        # Check-in staff of one forum land on its scanner.
        expect(page).to_have_url(re.compile(f"/manage/{seeded['slug']}/scan$"))
        expect(page.locator("#arrivals")).to_have_text("Arrived 0 of 3")
        _name_device(page, "Gate 1")

        page.get_by_role("button", name="Start camera").click()
        verdict = page.locator("#verdict")
        expect(verdict).to_have_attribute("data-status", "ok")
        expect(verdict).to_have_class(re.compile(r"\bverdict-ok\b"))
        expect(verdict.locator("#verdict-title")).to_have_text("Checked in")
        expect(verdict.locator("#verdict-name")).to_have_text("山田 太郎")
        expect(verdict.locator("#verdict-latin")).to_have_text("YAMADA Taro")
        expect(verdict.locator("#verdict-details")).to_have_text(
            "株式会社さくら商事 (Sakura Trading Co., Ltd.) · Japan · Delegate")
        expect(page.locator("#arrivals")).to_have_text("Arrived 1 of 3")
        expect(page.get_by_role("button", name="Stop camera")).to_be_visible()
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SHOTS / "40-scanner-ok-phone.png", full_page=True)
        _fits(page, "scanner, ok")

        # The badge leaves the frame and comes back after the debounce: inside already, with the first entry.
        expect(verdict).to_have_attribute("data-status", "already_checked_in", timeout=20_000)
        expect(verdict).to_have_class(re.compile(r"\bverdict-warn\b"))
        expect(verdict.locator("#verdict-reason")).to_have_text(
            re.compile(r"^Already checked in at \d\d:\d\d by Gate 1\.$"))
        expect(verdict.locator("#verdict-name")).to_have_text("山田 太郎")
        expect(page.locator("#arrivals")).to_have_text("Arrived 1 of 3")
        page.screenshot(path=SHOTS / "41-scanner-already-phone.png", full_page=True)
        page.get_by_role("button", name="Stop camera").click()
        expect(page.locator("#camera-video")).to_be_hidden()

        # The reissued badge's old code, typed: red, with the reason and whose badge it was.
        page.get_by_label("Badge code", exact=True).fill(seeded["revoked"])
        page.get_by_role("button", name="Check", exact=True).click()
        expect(verdict).to_have_attribute("data-status", "revoked")
        expect(verdict).to_have_class(re.compile(r"\bverdict-refused\b"))
        expect(verdict.locator("#verdict-title")).to_have_text("Badge no longer valid")
        expect(verdict.locator("#verdict-reason")).to_have_text(
            "This badge was replaced by a newer one. Only the newest badge admits its holder.")
        expect(verdict.locator("#verdict-name")).to_have_text("Oʻktam Gʻulomov")
        expect(page.get_by_label("Badge code", exact=True)).to_have_value("")
        page.screenshot(path=SHOTS / "42-scanner-revoked-phone.png", full_page=True)
        _fits(page, "scanner, revoked")

        # By name, typed on a Russian keyboard (у for ұ): a tap checks her in.
        page.get_by_label("Name, company or e-mail", exact=True).fill("Нурлан")
        person = page.locator("#search-results li", has_text="Әлия Нұрланқызы")
        expect(person).to_contain_text("Not arrived yet")
        expect(person).to_contain_text("Kazakhstan")
        page.screenshot(path=SHOTS / "43-scanner-search-phone.png", full_page=True)
        person.get_by_role("button", name="Check in: Әлия Нұрланқызы").click()
        expect(verdict).to_have_attribute("data-status", "ok")
        expect(verdict.locator("#verdict-name")).to_have_text("Әлия Нұрланқызы")
        expect(page.locator("#arrivals")).to_have_text("Arrived 2 of 3")
        expect(person).to_contain_text("Inside")

        # Exits: the toggle turns the taps into check-outs.
        page.get_by_text("Exit", exact=True).click()
        expect(verdict.locator("#verdict-title")).to_have_text("Checked in")  # the last verdict stays
        person.get_by_role("button", name="Check out: Әлия Нұрланқызы").click()
        expect(verdict.locator("#verdict-title")).to_have_text("Exit recorded")
        expect(verdict.locator("#verdict-reason")).to_have_text("Exit recorded. The same badge lets them back in.")
        expect(person).to_contain_text("Arrived, now outside")
        expect(page.locator("#arrivals")).to_have_text("Arrived 2 of 3")
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=SHOTS / "46-scanner-exit-desktop.png", full_page=True)
        _fits(page, "scanner at desktop width")
        page.set_viewport_size(PHONE)
        page.get_by_text("Entry", exact=True).click()

        # The device label is remembered on this phone.
        page.reload()
        expect(page.get_by_role("region", name="Name this device")).to_be_hidden()
        expect(page.locator("#device-label")).to_contain_text("Device: Gate 1")
        context.close()
    finally:
        camera.close()
    assert not problems, "The browser saw errors:\n" + "\n".join(problems)
    scans = _scans(live_server, seeded["slug"])
    assert scans[0] == ("ok", "Gate 1") and scans[1] == ("already_checked_in", "Gate 1")
    assert ("revoked", "Gate 1") in scans and scans[-2:] == [("ok", "Gate 1"), ("ok", "Gate 1")]


def test_without_camera_permission_the_page_says_so_and_the_typed_code_works(browser, live_server, tmp_path):
    seeded = _seed(live_server)
    video = tmp_path / "badge.y4m"
    qr_y4m(seeded["badge_url"], video)
    # A camera exists, but this browser's permission for it is refused.
    camera = _launch(browser, "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}")
    problems: list[str] = []
    try:
        context, page = new_context(camera, live_server, PHONE)
        cdp = context.new_cdp_session(page)
        cdp.send("Browser.setPermission", {"permission": {"name": "camera"}, "setting": "denied",
                                           "origin": live_server.url})
        watch(page, live_server, problems)
        sign_in(page, seeded["email"], PASSWORD)
        _name_device(page, "Side door")
        page.get_by_role("button", name="Start camera").click()
        status = page.locator("#camera-status")
        expect(status).to_have_text(re.compile(r"^The camera is not allowed for this site\. Type the code below"))
        expect(page.get_by_role("button", name="Start camera")).to_be_visible()
        expect(page.get_by_label("Badge code", exact=True)).to_be_focused()
        page.screenshot(path=SHOTS / "44-scanner-no-camera-phone.png", full_page=True)
        page.get_by_role("button", name="Check", exact=True).click()  # nothing typed yet
        expect(page.locator("#verdict-reason")).to_have_text("Scan a badge or type its code.")
        expect(page.get_by_label("Badge code", exact=True)).to_have_attribute("aria-invalid", "true")
        page.get_by_label("Badge code", exact=True).fill(seeded["badge_url"])
        page.keyboard.press("Enter")
        verdict = page.locator("#verdict")
        expect(verdict).to_have_attribute("data-status", "ok")
        expect(verdict.locator("#verdict-name")).to_have_text("山田 太郎")
        context.close()
    finally:
        camera.close()
    assert not problems, "The browser saw errors:\n" + "\n".join(problems)
    assert _scans(live_server, seeded["slug"]) == [("ok", "Side door")]


def test_without_javascript_the_form_still_checks_in(browser, live_server):
    seeded = _seed(live_server)
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, java_script_enabled=False,
                                  extra_http_headers={"Accept-Language": "en"})
    try:
        page = context.new_page()
        sign_in(page, seeded["email"], PASSWORD)
        page.goto(f"/manage/{seeded['slug']}/scan")
        expect(page.get_by_role("button", name="Start camera")).to_be_hidden()  # no camera without JS
        page.get_by_label("This device", exact=True).fill("Gate 9")
        page.get_by_label("Badge code", exact=True).fill(seeded["revoked"])
        page.get_by_role("button", name="Check", exact=True).click()
        verdict = page.locator("#verdict")
        expect(verdict).to_have_attribute("data-status", "revoked")
        expect(verdict).to_contain_text("This badge was replaced by a newer one.")
        page.get_by_label("Name, company or e-mail", exact=True).fill("yamada")
        page.get_by_role("button", name="Search").click()
        page.get_by_role("button", name="Check in: 山田 太郎").click()
        expect(verdict).to_have_attribute("data-status", "ok")
        expect(page.locator("#arrivals")).to_have_text("Arrived 1 of 3")
        page.screenshot(path=SHOTS / "45-scanner-no-js-phone.png", full_page=True)
    finally:
        context.close()
    assert _scans(live_server, seeded["slug"]) == [("revoked", "Gate 9"), ("ok", "Gate 9")]


def test_a_scan_lost_on_the_way_is_sent_again_with_its_nonce_and_recorded_once(browser, live_server):
    """Bad Wi-Fi: the answer to a scan is lost (the server did record it), the page sends it again with the same
    nonce and shows the first answer; a scan that cannot get through at all says so and offers to try again."""
    import json

    seeded = _seed(live_server)
    context, page = new_context(browser, live_server, PHONE)
    problems: list[str] = []
    watch(page, live_server, problems)
    try:
        # Without offline mode (this phone gets no device token): what the page does when nothing can decide
        # the scan but the server. With offline mode: tests/browser/test_offline_scanner.py.
        page.route("**/scan/device-token", lambda route: route.fulfill(
            status=403, json={"error": "forbidden", "field": None, "message": "No."}))
        sign_in(page, seeded["email"], PASSWORD)
        _name_device(page, "Gate 2")
        bodies: list[dict] = []
        mode = {"now": "lose the answer once"}

        def flaky(route):
            bodies.append(json.loads(route.request.post_data))
            if mode["now"] == "lose the answer once":
                route.fetch()  # the server records the scan ...
                mode["now"] = "pass"
                route.abort("connectionreset")  # ... but its answer never arrives
            elif mode["now"] == "down":
                route.abort("internetdisconnected")
            else:
                route.continue_()

        page.route("**/scan/check", flaky)
        page.get_by_label("Badge code", exact=True).fill(seeded["badge_url"])
        page.get_by_role("button", name="Check", exact=True).click()
        verdict = page.locator("#verdict")
        expect(verdict).to_have_attribute("data-status", "ok")
        expect(verdict.locator("#verdict-reason")).to_have_text(
            "Welcome! The badge is valid and the arrival is recorded.")
        assert len(bodies) == 2 and bodies[0] == bodies[1] and bodies[0]["device"] == "Gate 2"

        mode["now"] = "down"
        page.get_by_label("Badge code", exact=True).fill(seeded["revoked"])
        page.get_by_role("button", name="Check", exact=True).click()
        expect(verdict).to_have_attribute("data-status", "error")
        expect(verdict.locator("#verdict-title")).to_have_text("Not recorded")
        expect(verdict.locator("#verdict-reason")).to_have_text(
            "No connection: this scan is not recorded yet. Try again when the network is back.")
        tries = len(bodies) - 2
        assert tries == 4 and all(b == bodies[2] for b in bodies[2:])  # the first try and three retries
        mode["now"] = "pass"
        page.get_by_role("button", name="Try again").click()
        expect(verdict).to_have_attribute("data-status", "revoked")
        assert bodies[-1] == bodies[2]  # still the same scan
    finally:
        context.close()
    assert _scans(live_server, seeded["slug"]) == [("ok", "Gate 2"), ("revoked", "Gate 2")]
    # What watch() saw: only the requests this test cut on purpose.
    assert all(p.startswith("request failed:") and "/scan/check" in p for p in problems), problems
