"""The B2B journey through real pages: a Japanese delegate finds a Kazakh company in the directory (typing the
name without Kazakh letters), asks its delegate for a meeting; she accepts; the organizer runs the scheduler, sees
objective and bound, previews and publishes; both delegates see the meeting with its time, zone, table and
counterpart. Screenshots of every B2B page at desktop and phone width into screenshots/ (b2b-*.png)."""
from __future__ import annotations

import re
from pathlib import Path

from tests.browser.helpers import DESKTOP, PHONE, new_context, playwright_expect, seed_forum, sign_in, watch

expect = playwright_expect()

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
TITLE = "Japan – Central Asia B2B Days"

JA_COMPANY, JA_COMPANY_EN = "株式会社みらい水", "Mirai Water K.K."
JA_NAME, JA_LATIN, JA_EMAIL = "山田 花子", "YAMADA Hanako", "yamada@mirai-water.jp"
KZ_COMPANY, KZ_COMPANY_EN = "«Дала Су» ЖШС", "Dala Su LLP"
KZ_NAME, KZ_LATIN, KZ_EMAIL = "Әлия Нұрланқызы", "NURLANKYZY Aliya", "aliya@dala-su.kz"
INTERPRETER = "Мария Иванова"
MESSAGE = "水処理技術についてお話ししたいです。Обсудим очистку воды в Алматы?"


def _seed(live_server, slug: str) -> None:
    """Sessions, tables and an interpreter set up; two companies in the directory, each with one approved
    delegate who can sign in (English pages, for the assertions); their profiles. Slots: 10:00, 10:30 and 11:00 (30 minutes) on the first day."""
    import sqlalchemy as sa

    from forum.db import db
    from forum.forums.models import Forum
    from forum.registration import states
    from forum.registration.models import RegState
    from tests import factories

    def build():
        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
        forum.title = TITLE
        day = forum.starts_at.astimezone(forum.tz).date().isoformat()
        session = factories.session(forum, f"{day} 10:00", f"{day} 11:30", slot_minutes=30, name="Morning B2B")
        assert len(session.slots) == 3
        for n in (1, 2, 3):
            factories.table(forum, n)
        factories.interpreter(forum, ["ja", "ru"], name=INTERPRETER, email="maria@interpreters.kz")

        def company(legal, en, country, city, sector, contact, contact_email, person, latin, email, position,
                    languages, language):
            c = factories.company(
                forum, legal_name=legal, name_en=en, country=country, city=city, sector=sector,
                contact_name=contact, contact_email=contact_email, directory_consent=True,
                delegates=[factories.delegate_input(full_name=person, latin_name=latin, email=email,
                                                    position=position, languages=languages, language=language)])
            for reg in c.delegates:
                states.transition(reg, RegState.APPROVED, by=None, notify=False)
                reg.user.set_password(factories.PASSWORD)
            return c

        ja = company(JA_COMPANY, JA_COMPANY_EN, "JP", "大阪", "environment", "佐藤 健", "sato@mirai-water.jp",
                     JA_NAME, JA_LATIN, JA_EMAIL, "海外事業部長", ["ja"], "en")
        kz = company(KZ_COMPANY, KZ_COMPANY_EN, "KZ", "Алматы", "environment", "Ерлан Сейітов", "erlan@dala-su.kz",
                     KZ_NAME, KZ_LATIN, KZ_EMAIL, "Коммерциялық директор", ["kk", "ru"], "en")
        factories.profile(ja, offers="膜ろ過による浄水装置、小規模下水処理プラント。\nMembrane water treatment units.",
                          seeks="中央アジアの代理店 — distributors in Central Asia", seek_kinds=["distribution"],
                          sectors=["environment"], target_countries=["KZ", "UZ"], languages=["ja", "en"])
        factories.profile(kz, offers="Алматы облысындағы су құбырларына қызмет көрсету; distribution of water equipment",
                          seeks="Water treatment technology from Japan", seek_kinds=["technology", "partners"],
                          sectors=["environment"], target_countries=["JP"], languages=["kk", "ru"])

    live_server.seed(build)


def _published(live_server, slug: str) -> list[dict]:
    """The forum's scheduled meetings as the database holds them."""
    import sqlalchemy as sa

    from forum.db import db
    from forum.forums.models import Forum
    from forum.meetings.models import Meeting, MeetingState

    def read():
        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
        return [{"table": m.table.number, "interpreter": m.interpreter.name if m.interpreter else None,
                 "names": {m.a.full_name, m.b.full_name}}
                for m in db.session.scalars(sa.select(Meeting).where(Meeting.forum_id == forum.id,
                                                                     Meeting.state == MeetingState.SCHEDULED))]

    return live_server.seed(read)


def _shoot(page, name: str, *, phone: bool = True) -> None:
    """The page at desktop width, then at phone width; on a phone it must not scroll sideways."""
    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=SHOTS / f"b2b-{name}-desktop.png", full_page=True)
    if phone:
        page.set_viewport_size(PHONE)
        page.screenshot(path=SHOTS / f"b2b-{name}-phone.png", full_page=True)
        scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll_width <= inner_width + 1, f"{name} scrolls sideways on a phone ({scroll_width}px)"
        page.set_viewport_size(DESKTOP)


def _b2b_nav(page):
    return page.get_by_role("navigation", name="B2B meetings")


def _expect_meeting(page, *, counterpart: str, counterpart_company: str, table: int) -> None:
    """My meetings shows exactly one meeting: 11:00–11:30 in the forum's named zone, its table, the other side."""
    expect(page.get_by_role("heading", level=1)).to_have_text("My B2B meetings")
    expect(page.locator(".no-meetings")).to_have_count(0)
    meetings = page.locator(".my-meeting")
    expect(meetings).to_have_count(1)
    meeting = meetings.first
    expect(meeting.locator(".when")).to_contain_text("11:00–11:30")
    expect(meeting.locator(".where")).to_have_text(f"Table {table}")
    expect(meeting.locator(".who")).to_contain_text(counterpart)
    expect(meeting.locator(".who")).to_contain_text(counterpart_company)
    expect(meeting.locator(".interpreter")).to_have_text(f"Interpreter: {INTERPRETER}")
    expect(page.locator(".zone")).to_contain_text(re.compile(r"Times are Astana time \(Asia/Almaty, UTC[+-]\d\d:\d\d\)"))


def test_a_meeting_found_in_the_directory_is_requested_accepted_scheduled_and_published(browser, live_server,
                                                                                        organizer):
    slug = seed_forum(live_server, phase="open", title=TITLE)
    _seed(live_server, slug)
    problems: list[str] = []
    opened = []

    def person(email: str, viewport=DESKTOP, password: str = "correct horse battery"):
        context, pg = new_context(browser, live_server, viewport)
        opened.append(context)
        watch(pg, live_server, problems)
        sign_in(pg, email, password)
        return pg

    try:
        # 1. Yamada (Japan) finds the Kazakh company in the directory, typing its delegate's name on a
        #    Russian keyboard (у for ұ), and asks for a meeting.
        a = person(JA_EMAIL)
        a.goto("/my")
        a.get_by_role("link", name="B2B meetings").click()
        expect(a.get_by_role("heading", level=1)).to_have_text("B2B meetings")
        _b2b_nav(a).get_by_role("link", name="Directory").click()
        expect(a.get_by_role("heading", level=1)).to_have_text("B2B directory")
        _shoot(a, "directory")
        a.get_by_label("Search", exact=True).fill("нурланкызы")
        a.get_by_role("button", name="Search").click()
        cards = a.locator("article.card")
        expect(cards).to_have_count(1)
        expect(cards.first.get_by_role("heading", level=2)).to_have_text(KZ_COMPANY)
        expect(cards.first).to_contain_text(KZ_NAME)
        # the Latin spelling finds it too, and the Japanese company is not among the results
        a.get_by_label("Search", exact=True).fill("aliya")
        a.get_by_role("button", name="Search").click()
        expect(cards).to_have_count(1)
        expect(cards.first).to_contain_text(KZ_COMPANY)
        expect(a.get_by_text(JA_COMPANY)).to_have_count(0)
        _shoot(a, "directory-search")

        cards.first.get_by_role("link", name=re.compile("^View profile")).click()
        expect(a.get_by_role("heading", level=1)).to_have_text(KZ_COMPANY)
        expect(a.get_by_text("Water treatment technology from Japan")).to_be_visible()
        # a company's page belongs to the directory: the B2B navigation says where one is
        expect(_b2b_nav(a).get_by_role("link", name="Directory")).to_have_attribute("aria-current", "page")
        _shoot(a, "company")
        a.get_by_role("link", name=f"Request a meeting with {KZ_LATIN}").click()
        expect(a.get_by_role("heading", level=1)).to_have_text("Ask for a B2B meeting")
        expect(a.get_by_role("main")).to_contain_text(KZ_NAME)
        a.get_by_label("Message").fill(MESSAGE)
        a.get_by_label("Must meet").check()
        _shoot(a, "new-request")
        a.get_by_role("button", name="Send the request").click()
        expect(a.get_by_role("heading", level=1)).to_have_text("B2B meeting requests")
        expect(a.get_by_text(f"Your request to {KZ_NAME} has been sent.", exact=False)).to_be_visible()
        sent = a.locator("section").filter(has=a.get_by_role("heading", name=re.compile("^Sent")))
        expect(sent.locator("li.list-group-item")).to_have_count(1)
        expect(sent.get_by_role("heading", level=3)).to_have_text("Waiting for an answer")
        expect(sent.locator("li.list-group-item")).to_contain_text(KZ_NAME)
        expect(sent.locator("li.list-group-item")).to_contain_text("Must meet")
        _shoot(a, "requests-sent")

        _b2b_nav(a).get_by_role("link", name="Suggestions").click()
        expect(a.get_by_role("heading", level=1)).to_have_text("Suggested counterparts")
        expect(a.locator("article.card").filter(has_text=KZ_COMPANY)).to_have_count(1)
        _shoot(a, "suggestions")

        # Yamada speaks at the plenary at 10:00 and has a ministry visit at 10:30.
        _b2b_nav(a).get_by_role("link", name="Availability").click()
        expect(a.get_by_role("heading", level=1)).to_have_text("My availability for B2B meetings")
        for time, why in (("10:00", "基調講演 / plenary speech"), ("10:30", "Ministry visit")):
            a.get_by_role("checkbox", name=re.compile(f"^{time}–")).check()
            a.get_by_label(f"Note for {time}").fill(why)
        _shoot(a, "availability")
        a.get_by_role("button", name="Save").click()
        expect(a.get_by_role("checkbox", name=re.compile("^10:00–"))).to_be_checked()
        expect(a.get_by_role("checkbox", name=re.compile("^10:30–"))).to_be_checked()
        expect(a.get_by_role("checkbox", name=re.compile("^11:00–"))).not_to_be_checked()

        # Nothing published yet: My meetings says so (the check below can tell a meeting from none).
        _b2b_nav(a).get_by_role("link", name="My meetings").click()
        expect(a.locator(".no-meetings")).to_be_visible()
        expect(a.locator(".my-meeting")).to_have_count(0)

        # 2. Aliya (Kazakhstan), on her phone, sees the request and accepts it: she must meet too.
        b = person(KZ_EMAIL, PHONE)
        b.goto(f"/forums/{slug}/b2b/")
        expect(b.locator('[data-count="received_waiting"]')).to_have_text("1")
        _b2b_nav(b).get_by_role("link", name="Requests").click()
        received = b.locator("section").filter(has=b.get_by_role("heading", name=re.compile("^Received")))
        row = received.locator("li.list-group-item")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(JA_NAME)
        expect(row).to_contain_text(JA_COMPANY)
        expect(row).to_contain_text(MESSAGE)
        _shoot(b, "requests-received")
        row.get_by_role("link", name="Details").click()
        expect(b.get_by_role("heading", level=1)).to_have_text("B2B meeting request")
        expect(_b2b_nav(b).get_by_role("link", name="Requests")).to_have_attribute("aria-current", "page")
        expect(b.locator("dd.text-pre-line")).to_have_text(MESSAGE)
        _shoot(b, "request-detail")
        b.get_by_role("link", name="Back to your requests").click()
        row.get_by_label("Must meet").check()
        row.get_by_role("button", name="Accept").click()
        expect(received.get_by_role("heading", level=3)).to_have_text("Accepted")
        expect(received.locator("li.list-group-item")).to_contain_text("your answer: must meet")
        _shoot(b, "requests-accepted")

        # 3. The organizer: Manage → the forum → B2B meetings → Schedule; runs the scheduler.
        org = person(organizer["email"], password=organizer["password"])
        org.get_by_role("button", name="Manage").click()
        org.get_by_role("link", name="All my forums").click()
        org.locator(f"#forum-{slug}").get_by_role("link", name="B2B meetings").click()
        subnav = _b2b_nav(org)
        subnav.get_by_role("link", name="Sessions, tables, interpreters").click()
        expect(org.get_by_role("heading", level=2, name="B2B: sessions, tables, interpreters")).to_be_visible()
        expect(org.locator(".session")).to_contain_text("10:00–11:30")
        expect(org.locator(".interpreter")).to_contain_text(INTERPRETER)
        _shoot(org, "setup")
        subnav.get_by_role("link", name="Schedule").click()
        expect(org.get_by_role("heading", level=2, name="B2B schedule")).to_be_visible()
        expect(org.locator(".count-accepted")).to_have_text("Accepted requests: 1")
        expect(org.get_by_text("No schedule is published yet.")).to_be_visible()
        _shoot(org, "schedule")
        org.get_by_label("Time limit (seconds)").fill("10")
        org.get_by_role("button", name="Run the scheduler").click()

        expect(org.get_by_role("heading", level=2, name=re.compile(r"^Scheduler run #\d+$"))).to_be_visible()
        expect(org.get_by_text("The scheduler placed 1 of 1 accepted requests.", exact=False)).to_be_visible()
        # a mutual must-meet weighs 3; nothing can do better, and the page says it is proven
        expect(org.locator(".objective")).to_have_text("3")
        expect(org.locator(".bound")).to_have_text("3")
        expect(org.locator(".gap")).to_contain_text("proven optimal")
        preview = org.locator("section").filter(has=org.get_by_role("heading", name="What publishing changes"))
        expect(preview.locator(".count-added")).to_have_text("New: 1")
        expect(preview.locator(".person-change")).to_have_count(2)
        expect(preview.locator(".change-added").first).to_contain_text("11:00")
        expect(org.get_by_text("Every accepted request has a meeting.")).to_be_visible()
        expect(_b2b_nav(org).get_by_role("link", name="Schedule")).to_have_attribute("aria-current", "page")
        expect(preview.locator(".zone")).to_contain_text("Asia/Almaty")
        _shoot(org, "run")

        org.get_by_role("link", name="Publish…").click()
        expect(org.get_by_role("heading", level=2, name=re.compile(r"^Publish run #\d+$"))).to_be_visible()
        _shoot(org, "publish")
        org.get_by_role("button", name="Publish the schedule").click()
        # not confirmed: nothing is published, and the box says why
        expect(org.get_by_role("heading", level=2, name=re.compile(r"^Publish run #\d+$"))).to_be_visible()
        confirm = org.get_by_label("Yes, publish this schedule and e-mail the delegates whose meetings change")
        expect(confirm).to_have_attribute("aria-invalid", "true")
        assert _published(live_server, slug) == []
        _shoot(org, "publish-unconfirmed")
        confirm.check()
        org.get_by_role("button", name="Publish the schedule").click()
        expect(org.get_by_role("heading", level=2, name="B2B schedule")).to_be_visible()
        expect(org.get_by_text("Published: 1 new, 0 moved, 0 cancelled, 0 unchanged.", exact=False)).to_be_visible()
        expect(org.locator(".meeting-row")).to_have_count(1)
        expect(org.locator(".run-row").first.get_by_text("Published")).to_be_visible()
        _shoot(org, "schedule-published")

        meetings = _published(live_server, slug)
        assert len(meetings) == 1 and meetings[0]["names"] == {JA_NAME, KZ_NAME}
        assert meetings[0]["interpreter"] == INTERPRETER  # ja ↔ kk/ru: no shared language
        table = meetings[0]["table"]

        # 4. Both see the meeting: time with the zone named, table, counterpart.
        a.reload()
        _expect_meeting(a, counterpart=KZ_NAME, counterpart_company=KZ_COMPANY, table=table)
        _shoot(a, "my-meetings")
        b.goto(f"/forums/{slug}/b2b/")
        _b2b_nav(b).get_by_role("link", name="My meetings").click()
        _expect_meeting(b, counterpart=JA_NAME, counterpart_company=JA_COMPANY, table=table)
        b.set_viewport_size(PHONE)
        SHOTS.mkdir(exist_ok=True)
        b.screenshot(path=SHOTS / "b2b-my-meetings-kz-phone.png", full_page=True)
    finally:
        for context in opened:
            context.close()
    assert not problems, "The browser saw errors:\n" + "\n".join(problems)
