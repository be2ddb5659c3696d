"""A delegate's B2B day on a phone (390 x 844), issue 12: he opens his agenda, downloads the calendar (parsed back:
one event, its UID, the forum's zone), scans his counterpart's badge at the table (the camera app opens the badge
URL) and the meeting turns held on his agenda, then records the outcome in a few taps. The meeting's slot is
built around the real clock, as at the venue. Screenshots go to /work/shots/issue12/ (or FORUM_SHOTS_DIR)."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from tests.browser.helpers import PHONE, new_context, playwright_expect, seed_forum, sign_in, watch

expect = playwright_expect()
SHOTS = Path(os.environ.get("FORUM_SHOTS_DIR", "/work/shots/issue12"))
OVERFLOW_JS = "() => document.documentElement.scrollWidth - window.innerWidth"

TANAKA = dict(full_name="田中 健一", latin_name="TANAKA Kenichi", legal_name="株式会社青葉トレーディング",
              name_en="Aoba Trading Co., Ltd.", country="JP", language="en")
ALIYA = dict(full_name="Әлия Нұрланқызы", latin_name="NURLANKYZY Aliya", legal_name="«Астана Энерго Сервис» ЖШС",
             name_en="Astana Energo Service LLP", country="KZ", language="ru")


@pytest.fixture(scope="module")
def day(live_server):
    slug = seed_forum(live_server, phase="open", title="Almaty–Japan B2B Day")

    def build():
        import sqlalchemy as sa

        from forum import clock
        from forum.badges import issuing
        from forum.db import db
        from forum.forums.models import Forum
        from tests import factories as f

        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
        forum.timezone = "Asia/Almaty"
        tanaka = f.participant(forum, email=f"tanaka-{slug}@example.org", **TANAKA)
        aliya = f.participant(forum, email=f"aliya-{slug}@example.org", **ALIYA)
        request = f.meeting_request(tanaka, aliya, accept=True)  # before the sessions: requests close at the first
        # The slot started two minutes ago: inside the window for confirming, not yet a no-show.
        start = forum.local(clock.now() - timedelta(minutes=2)).replace(second=0, microsecond=0)
        end = start + timedelta(minutes=60)
        session = f.session(forum, start.strftime("%Y-%m-%d %H:%M"), end.strftime("%Y-%m-%d %H:%M"),
                            slot_minutes=30)
        table = f.table(forum, 7, label="Hall A, by the window")
        meeting = f.meeting(tanaka, aliya, session.slots[0], table, request=request)
        tanaka.user.set_password(f.PASSWORD)
        return {"slug": slug, "email": tanaka.email, "badge": issuing.badge_for(aliya).token,
                "uid": f"{meeting.request.public_id}@forum-b2b", "meeting": meeting.public_id,
                "start": start.strftime("%H:%M")}

    return live_server.seed(build)


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / name).write_bytes(page.screenshot(full_page=True, type="png"))


def test_agenda_calendar_badge_scan_and_outcome_on_a_phone(browser, live_server, day, tmp_path):
    import icalendar

    context, page = new_context(browser, live_server, PHONE)
    problems: list[str] = []
    watch(page, live_server, problems)
    try:
        sign_in(page, day["email"], "correct horse battery")
        agenda = f"/forums/{day['slug']}/b2b/agenda"
        page.goto(agenda)
        card = page.locator("main")
        expect(card).to_contain_text(ALIYA["full_name"])
        expect(card).to_contain_text(ALIYA["latin_name"])
        expect(card).to_contain_text("Table 7")
        expect(card).to_contain_text("Asia/Almaty")
        expect(card).to_contain_text(day["start"])
        assert page.evaluate(OVERFLOW_JS) <= 0
        _shot(page, "journey-agenda-before-phone.png")

        with page.expect_download() as got:
            page.locator("#download-ics").click()
        path = tmp_path / "agenda.ics"
        got.value.save_as(path)
        cal = icalendar.Calendar.from_ical(path.read_bytes())
        [event] = list(cal.walk("VEVENT"))
        assert str(event["UID"]) == day["uid"]
        assert event["DTSTART"].params["TZID"] == "Asia/Almaty"
        assert event.decoded("DTSTART").strftime("%H:%M") == day["start"]
        assert ALIYA["full_name"] in str(event["SUMMARY"])

        # At the table: the phone's camera app opens the counterpart's badge URL.
        page.goto(f"/b/{day['badge']}")
        expect(page.locator("#meeting-held")).to_contain_text("table 7")
        expect(page.locator("#meeting-held")).to_contain_text(ALIYA["full_name"])
        _shot(page, "journey-badge-scan-held-phone.png")

        page.goto(agenda)
        expect(page.locator("main")).to_contain_text("Held")
        _shot(page, "journey-agenda-held-phone.png")

        page.goto(f"/forums/{day['slug']}/b2b/outcomes/")
        page.locator(f"a[href$='/outcomes/{day['meeting']}']").first.click()
        page.get_by_text("Cooperation likely").click()
        page.get_by_label("Next step (optional)", exact=True).fill("Send the draft MOU / Меморандум жобасын жіберу")
        assert page.evaluate(OVERFLOW_JS) <= 0
        _shot(page, "journey-outcome-form-phone.png")
        page.get_by_role("button", name="Save the outcome").click()
        expect(page.get_by_text("Outcome saved. Thank you.")).to_be_visible()
        _shot(page, "journey-outcome-saved-phone.png")
        # A download ends the navigation that started it: Chromium reports that as aborted.
        assert [p for p in problems if not ("/agenda/agenda.ics" in p and "ERR_ABORTED" in p)] == []
    finally:
        context.close()

    def check():
        import sqlalchemy as sa

        from forum.db import db
        from forum.meetings.models import HeldVia, Meeting
        from forum.outcomes.models import MeetingOutcome, OutcomeKind

        m = db.session.scalar(sa.select(Meeting).where(Meeting.public_id == day["meeting"]))
        outcome = db.session.scalar(sa.select(MeetingOutcome).where(MeetingOutcome.meeting_id == m.id))
        return m.held_via, outcome.kind, outcome.next_step

    via, kind, step = live_server.seed(check)
    from forum.meetings.models import HeldVia
    from forum.outcomes.models import OutcomeKind

    assert via is HeldVia.SCAN and kind is OutcomeKind.COOPERATION and step.startswith("Send the draft MOU")
