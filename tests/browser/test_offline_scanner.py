"""The scanner with no network (issue 11, sections 1 and 4), in a real Chromium at phone size.

The phone opens the scanner online (its service worker installs and takes control, its device token is made,
the badge data downloaded), then the browser context goes offline: badges scanned by the fake camera and typed
by hand are decided on the phone (marked offline, the delegate's name from the data) and queued; a reload
while offline opens the page from the service worker with the queue still there; back online, the queue
uploads and the server has each scan once. A badge revoked on the server is refused offline once the phone has
synced after the revocation; a revoked device token is said so, and the queue stays.
"""
from __future__ import annotations

import re


from tests.browser.helpers import PHONE, new_context, playwright_expect, sign_in, watch
from tests.browser.test_scanner import PASSWORD, _launch, _name_device, qr_y4m

expect = playwright_expect()

SHOTS_DIR = "/work/shots/issue11"


def _seed(live_server) -> dict:
    """A forum in Almaty: an approved Japanese, Kazakh and Uzbek delegate, a reissued badge (its old code is
    revoked), a door keeper with the check-in permission and an organizer."""
    from forum.badges import issuing
    from forum.teams.models import Permission
    from tests import factories

    slug = live_server.new_slug("offline")

    def build():
        forum = factories.forum(slug=slug, tz="Asia/Almaty")
        forum.title = "Kazakhstan–Japan Business Forum"
        yamada = factories.approved(forum, full_name="山田 太郎", latin_name="YAMADA Taro", country="JP",
                                    legal_name="株式会社さくら商事", name_en="Sakura Trading Co., Ltd.",
                                    email=f"yamada+{slug}@sakura-trading.jp")
        aliya = factories.approved(forum, full_name="Әлия Нұрланқызы", latin_name="Aliya Nurlankyzy", country="KZ",
                                   legal_name="«Қазақстан-Жапония» ЖШС", name_en="Kazakhstan–Japan LLP",
                                   email=f"aliya+{slug}@example.kz")
        oktam = factories.approved(forum, full_name="Oʻktam Gʻulomov", latin_name="Oktam Gulomov", country="UZ",
                                   legal_name="Oʻzbekiston temir yoʻllari", name_en="Uzbek Railways",
                                   email=f"oktam+{slug}@example.uz")
        boss = factories.organizer(email=f"boss+{slug}@example.org")
        old = issuing.badge_for(oktam)
        issuing.reissue(old, by=boss, reason="Lost at the hotel")
        factories.member(forum, Permission.CHECKIN, email=f"door+{slug}@example.kz", password=PASSWORD,
                         name="Door Keeper")
        factories.member(forum, Permission.CHECKIN, email=f"door2+{slug}@example.kz", password=PASSWORD,
                         name="Second Door")
        return {"slug": slug, "email": f"door+{slug}@example.kz", "email2": f"door2+{slug}@example.kz",
                "yamada": f"{live_server.url}/b/{issuing.badge_for(yamada).token}",
                "aliya": issuing.badge_for(aliya).token, "oktam": issuing.badge_for(oktam).token,
                "revoked": old.token, "boss_id": boss.id}

    return live_server.seed(build)


def _scans(live_server, slug: str) -> list[dict]:
    import sqlalchemy as sa

    from forum.checkin.models import Scan
    from forum.db import db
    from forum.forums.models import Forum

    def read():
        forum_id = db.session.scalar(sa.select(Forum.id).where(Forum.slug == slug))
        return [{"result": s.result.value, "device": s.device, "nonce": s.nonce,
                 "name": s.badge.registration.full_name if s.badge and s.badge.registration else None}
                for s in db.session.scalars(sa.select(Scan).where(Scan.forum_id == forum_id).order_by(Scan.id))]

    return live_server.seed(read)


def _ready_offline(page, slug: str) -> None:
    """The phone is set up: its worker controls the page, its token is made and the badge data is down."""
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    expect(page.locator("#offline-status")).to_have_text("Ready to work offline if the network fails.")
    expect(page.locator("#offline-data")).to_have_text(re.compile(r"^Badge data from \d\d:\d\d$"))


def _type(page, code: str) -> None:
    page.get_by_label("Badge code", exact=True).fill(code)
    page.get_by_role("button", name="Check", exact=True).click()


def _verdict(page, status: str, name: str | None, *, offline: bool = True):
    verdict = page.locator("#verdict")
    expect(verdict).to_have_attribute("data-status", status)
    if offline:
        expect(verdict).to_have_attribute("data-offline", "true")
        expect(verdict.locator("#verdict-offline")).to_have_text("Offline · checked on this phone")
    if name:
        expect(verdict.locator("#verdict-name")).to_have_text(name)
    return verdict


def _waiting(page, n: int) -> None:
    expect(page.locator("#offline-status")).to_have_text(f"Offline — scans waiting to upload: {n}")


def _shot(page, name: str) -> None:
    from pathlib import Path

    Path(SHOTS_DIR).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=f"{SHOTS_DIR}/{name}", full_page=True)


def test_offline_the_phone_decides_queues_survives_a_reload_and_uploads_each_scan_once(browser, live_server,
                                                                                        tmp_path):
    seeded = _seed(live_server)
    video = tmp_path / "badge.y4m"
    qr_y4m(seeded["yamada"], video)
    camera = _launch(browser, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                     f"--use-file-for-fake-video-capture={video}", "--autoplay-policy=no-user-gesture-required")
    problems: list[str] = []
    try:
        context, page = new_context(camera, live_server, PHONE)
        watch(page, live_server, problems)
        sign_in(page, seeded["email"], PASSWORD)
        page.goto(f"/manage/{seeded['slug']}/scan")
        _name_device(page, "Gate 1")
        _ready_offline(page, seeded["slug"])

        context.set_offline(True)
        expect(page.locator("#offline-status")).to_have_text("Offline. Scans are checked on this phone.")
        # The camera sees Yamada's badge: admitted on the phone, his name from the downloaded data.
        page.get_by_role("button", name="Start camera").click()
        verdict = _verdict(page, "ok", "山田 太郎")
        expect(verdict).to_have_class(re.compile(r"\bverdict-ok\b"))
        expect(verdict.locator("#verdict-title")).to_have_text("Checked in")
        expect(verdict.locator("#verdict-latin")).to_have_text("YAMADA Taro")
        expect(verdict.locator("#verdict-details")).to_have_text(
            "株式会社さくら商事 (Sakura Trading Co., Ltd.) · Japan · Delegate")
        expect(verdict.locator("#verdict-reason")).to_have_text(
            "Welcome! The badge is valid and the arrival is recorded.")
        page.get_by_role("button", name="Stop camera").click()
        _waiting(page, 1)

        # Typed again by hand: this phone knows he is inside (its own scans), with the time and the device.
        _type(page, seeded["yamada"])
        verdict = _verdict(page, "already_checked_in", "山田 太郎")
        expect(verdict).to_have_class(re.compile(r"\bverdict-warn\b"))
        expect(verdict.locator("#verdict-reason")).to_have_text(
            re.compile(r"^Already checked in at \d\d:\d\d by Gate 1\.$"))
        _waiting(page, 2)
        _type(page, seeded["aliya"])
        _verdict(page, "ok", "Әлия Нұрланқызы")
        # The reissued badge's old code: in the data's revoked list (whose it was is not in the data: no name).
        _type(page, seeded["revoked"])
        verdict = _verdict(page, "revoked", None)
        expect(verdict).to_have_class(re.compile(r"\bverdict-refused\b"))
        expect(verdict.locator("#verdict-title")).to_have_text("Badge no longer valid")
        _type(page, "NOT-A-BADGE")
        _verdict(page, "invalid", None)
        _waiting(page, 5)
        # The name search works on the downloaded data (typed on a Russian keyboard: у for ұ), and a tap on the
        # name checks her in on the phone like her badge would (she is inside already: this phone admitted her).
        page.get_by_label("Name, company or e-mail", exact=True).fill("Нурлан")
        found = page.locator("#search-results li", has_text="Әлия Нұрланқызы")
        expect(found).to_be_visible()
        expect(page.locator("#search-message")).to_contain_text("Offline: found in the badge data on this phone.")
        found.get_by_role("button", name=re.compile("Check in")).click()
        _verdict(page, "already_checked_in", "Әлия Нұрланқызы")
        _waiting(page, 6)
        _shot(page, "offline-scanner-queue-phone.png")
        assert _scans(live_server, seeded["slug"]) == []  # nothing reached the server

        # A reload with no network: the service worker serves the page; the queue is still on the phone.
        response = page.reload()
        assert response is not None and response.from_service_worker
        _waiting(page, 6)
        expect(page.locator("#device-label")).to_contain_text("Device: Gate 1")
        expect(page.locator("#offline-data")).to_have_text(re.compile(r"^Badge data from \d\d:\d\d$"))
        _shot(page, "offline-scanner-after-reload-phone.png")

        # Back online: the queue goes up by itself, each scan once, under the phone's device name.
        context.set_offline(False)
        expect(page.locator("#offline-status")).to_have_text("Ready to work offline if the network fails.",
                                                             timeout=20_000)
        scans = _scans(live_server, seeded["slug"])
        assert [(s["result"], s["name"]) for s in scans] == [
            ("ok", "山田 太郎"), ("already_checked_in", "山田 太郎"), ("ok", "Әлия Нұрланқызы"),
            ("revoked", "Oʻktam Gʻulomov"), ("invalid", None), ("already_checked_in", "Әлия Нұрланқызы")]
        assert {s["device"] for s in scans} == {"Gate 1"}
        assert len({s["nonce"] for s in scans}) == 6
        # Uploading again changes nothing (the button is gone: nothing is waiting).
        expect(page.get_by_role("button", name="Upload now")).to_be_hidden()
        page.reload()
        _ready_offline(page, seeded["slug"])
        assert len(_scans(live_server, seeded["slug"])) == 6
        context.close()
    finally:
        camera.close()
    assert all(p.startswith("request failed:") for p in problems), problems  # only what offline cut


def test_a_server_that_does_not_answer_is_tried_twice_then_the_phone_decides_with_the_same_nonce(browser,
                                                                                                live_server):
    """The Wi-Fi says connected but the server cannot be reached: one quick retry, then the verdict on the
    phone; the queue goes up by the API with the nonce of the attempts, so the server records the scan once."""
    import json

    seeded = _seed(live_server)
    context, page = new_context(browser, live_server, PHONE)
    problems: list[str] = []
    watch(page, live_server, problems)
    try:
        sign_in(page, seeded["email"], PASSWORD)
        page.goto(f"/manage/{seeded['slug']}/scan")
        _name_device(page, "Gate 5")
        _ready_offline(page, seeded["slug"])
        bodies: list[dict] = []

        def down(route):
            bodies.append(json.loads(route.request.post_data))
            route.abort("connectionreset")

        page.route("**/scan/check", down)
        page.route("**/checkins/batch", lambda route: route.abort("connectionreset"))
        _type(page, seeded["yamada"])
        _verdict(page, "ok", "山田 太郎")
        assert len(bodies) == 2 and bodies[0] == bodies[1]
        expect(page.locator("#offline-status")).to_have_text("Scans waiting to upload: 1")
        page.unroute("**/checkins/batch")
        page.get_by_role("button", name="Upload now").click()
        expect(page.locator("#offline-status")).to_have_text("Ready to work offline if the network fails.")
        scans = _scans(live_server, seeded["slug"])
        assert [(s["result"], s["nonce"], s["device"]) for s in scans] == [("ok", bodies[0]["nonce"], "Gate 5")]
    finally:
        context.close()
    assert all(p.startswith("request failed:") for p in problems), problems


def test_a_badge_revoked_on_the_server_is_refused_offline_once_the_phone_has_synced(browser, live_server):
    from forum.badges import issuing

    seeded = _seed(live_server)
    context, page = new_context(browser, live_server, PHONE)
    problems: list[str] = []
    watch(page, live_server, problems)
    try:
        sign_in(page, seeded["email"], PASSWORD)
        page.goto(f"/manage/{seeded['slug']}/scan")
        _name_device(page, "Gate 3")
        _ready_offline(page, seeded["slug"])

        def revoke():
            import sqlalchemy as sa

            from forum.accounts.models import User
            from forum.badges.models import Badge
            from forum.db import db

            badge = db.session.scalar(sa.select(Badge).where(Badge.token == seeded["aliya"]))
            issuing.reissue(badge, by=db.session.get(User, seeded["boss_id"]), reason="Name misspelt")

        live_server.seed(revoke)
        # The phone syncs when the network comes back (and every minute).
        context.set_offline(True)
        with page.expect_response(re.compile(r"/scanner-data$")):
            context.set_offline(False)
        context.set_offline(True)
        _type(page, seeded["aliya"])
        verdict = _verdict(page, "revoked", None)
        expect(verdict.locator("#verdict-title")).to_have_text("Badge no longer valid")
        _waiting(page, 1)
        context.set_offline(False)
        expect(page.locator("#offline-status")).to_have_text("Ready to work offline if the network fails.",
                                                             timeout=20_000)
        assert [s["result"] for s in _scans(live_server, seeded["slug"])] == ["revoked"]
    finally:
        context.close()
    assert all(p.startswith("request failed:") for p in problems), problems


def test_a_revoked_device_token_is_said_and_the_queue_stays_until_the_phone_is_set_up_again(browser, live_server):
    import sqlalchemy as sa

    seeded = _seed(live_server)
    context, page = new_context(browser, live_server, PHONE)
    problems: list[str] = []
    watch(page, live_server, problems)
    try:
        sign_in(page, seeded["email"], PASSWORD)
        page.goto(f"/manage/{seeded['slug']}/scan")
        _name_device(page, "Gate 4")
        _ready_offline(page, seeded["slug"])
        context.set_offline(True)
        _type(page, seeded["oktam"])
        _verdict(page, "ok", "Oʻktam Gʻulomov")
        _waiting(page, 1)

        def revoke_token():
            from forum.accounts.models import User
            from forum.api import tokens
            from forum.api.models import ApiToken
            from forum.db import db

            token = db.session.scalar(sa.select(ApiToken).where(ApiToken.label == "Gate 4"))
            tokens.revoke(token, by=None)

        live_server.seed(revoke_token)
        context.set_offline(False)
        problem = page.locator("#offline-problem")
        expect(problem).to_contain_text("Offline mode was switched off for this phone")
        expect(page.locator("#offline-status")).to_have_text("Scans waiting to upload: 1")
        assert _scans(live_server, seeded["slug"]) == []
        page.get_by_role("button", name="Set up offline mode again").click()
        expect(problem).to_be_hidden()
        expect(page.locator("#offline-status")).to_have_text("Ready to work offline if the network fails.",
                                                             timeout=20_000)
        assert [s["result"] for s in _scans(live_server, seeded["slug"])] == ["ok"]

        # Renamed, the phone gets a token under its new name, and the one it held is revoked: no live token
        # is left behind on the Devices page.
        page.locator("#device-change").click()
        _name_device(page, "Gate 4 (north)")
        _ready_offline(page, seeded["slug"])

        def live_labels():
            from forum.api.models import ApiToken
            from forum.db import db
            from forum.forums.models import Forum

            return sorted(t.label for t in db.session.scalars(sa.select(ApiToken).join(Forum).where(
                Forum.slug == seeded["slug"], ApiToken.revoked_at.is_(None))))

        assert live_server.seed(live_labels) == ["Gate 4 (north)"]
    finally:
        context.close()
    assert all(p.startswith("request failed:") for p in problems), problems


def test_two_phones_offline_admit_the_same_badge_and_the_dashboard_shows_the_conflict(browser, live_server,
                                                                                      organizer):
    seeded = _seed(live_server)
    phones = []
    problems: list[str] = []
    try:
        for email, label in ((seeded["email"], "Gate A"), (seeded["email2"], "Gate B")):
            context, page = new_context(browser, live_server, PHONE)
            watch(page, live_server, problems)
            sign_in(page, email, PASSWORD)
            page.goto(f"/manage/{seeded['slug']}/scan")
            _name_device(page, label)
            _ready_offline(page, seeded["slug"])
            phones.append((context, page))
        for context, page in phones:
            context.set_offline(True)
            _type(page, seeded["yamada"])
            _verdict(page, "ok", "山田 太郎")  # neither phone can know of the other
        for context, page in phones:
            context.set_offline(False)
            expect(page.locator("#offline-status")).to_have_text("Ready to work offline if the network fails.",
                                                                 timeout=20_000)
        scans = _scans(live_server, seeded["slug"])
        assert len(scans) == 2 and scans[0]["result"] == "ok"  # both entries kept (the server decides the later again)
        assert {s["device"] for s in scans} == {"Gate A", "Gate B"}
        boss_context, boss = new_context(browser, live_server, PHONE)
        try:
            sign_in(boss, organizer["email"], organizer["password"])
            boss.goto(f"/manage/{seeded['slug']}/checkin")
            conflict = boss.locator("#conflicts, [data-conflict]").filter(has_text="山田 太郎")
            expect(conflict.first).to_contain_text(re.compile(r"two devices|duplicate", re.I))
        finally:
            boss_context.close()
    finally:
        for context, _ in phones:
            context.close()
    assert all(p.startswith("request failed:") for p in problems), problems


def test_forget_this_phone_uploads_first_asks_and_leaves_no_live_token_nor_data(browser, live_server):
    """A shared phone at the end of a shift: "Forget this phone" sends what is waiting, asks (saying how many scans
    would be lost when some could not be sent), then revokes the phone's token and deletes its data; the page asks
    for a device name again."""
    import sqlalchemy as sa

    seeded = _seed(live_server)
    context, page = new_context(browser, live_server, PHONE)
    problems: list[str] = []
    watch(page, live_server, problems)
    dialogs: list[str] = []

    def live_tokens():
        from forum.api.models import ApiToken
        from forum.db import db
        from forum.forums.models import Forum

        return sorted(t.label for t in db.session.scalars(sa.select(ApiToken).join(Forum).where(
            Forum.slug == seeded["slug"], ApiToken.revoked_at.is_(None))))

    try:
        sign_in(page, seeded["email"], PASSWORD)
        page.goto(f"/manage/{seeded['slug']}/scan")
        _name_device(page, "Shared phone")
        _ready_offline(page, seeded["slug"])
        context.set_offline(True)
        _type(page, seeded["oktam"])
        _verdict(page, "ok", "Oʻktam Gʻulomov")
        _waiting(page, 1)
        # Back online, but the upload fails: forgetting now would lose the scan; the phone says so, and "no"
        # keeps everything.
        page.route("**/checkins/batch", lambda route: route.abort())
        context.set_offline(False)
        with page.expect_event("dialog", timeout=20_000) as asked:
            page.get_by_role("button", name="Forget this phone").click()
        dialogs.append(asked.value.message)
        asked.value.dismiss()
        expect(page.locator("#offline-status")).to_have_text("Scans waiting to upload: 1")
        assert dialogs == ["1 scans have not reached the server yet and will be lost. Forget this phone anyway?"]
        assert live_server.seed(live_tokens) == ["Shared phone"]
        # The server answers again: the scan goes up first, then the plain question, then nothing is left.
        page.unroute("**/checkins/batch")
        with page.expect_event("dialog", timeout=20_000) as asked:
            page.get_by_role("button", name="Forget this phone").click()
        dialogs.append(asked.value.message)
        asked.value.accept()
        expect(page.get_by_role("region", name="Name this device")).to_be_visible(timeout=20_000)
        assert dialogs[1].startswith("Forget this phone? Its device token is revoked")
        assert [s["result"] for s in _scans(live_server, seeded["slug"])] == ["ok"]
        assert live_server.seed(live_tokens) == []
        stored = page.evaluate(f"""() => new Promise((resolve, reject) => {{
            const request = indexedDB.open('forum-scanner-{seeded["slug"]}');
            request.onsuccess = () => {{
                const db = request.result;
                const names = Array.from(db.objectStoreNames);
                if (!names.includes('kv')) {{ db.close(); resolve([]); return; }}
                const keys = db.transaction('kv').objectStore('kv').getAllKeys();
                keys.onsuccess = () => {{ db.close(); resolve(keys.result); }};
                keys.onerror = () => reject(keys.error);
            }};
            request.onerror = () => reject(request.error);
        }})""")
        assert stored == []  # no token, no badge data
    finally:
        context.close()
    assert all(p.startswith("request failed:") for p in problems), problems
