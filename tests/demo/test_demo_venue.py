"""The demo's B2B day under way (issue 12): almaty-b2b-day's meetings around the load — held by a badge scan, by
the staff and by a table host; no-shows; a walk-in on a freed table; outcomes — and the demo delegate's agenda,
calendar and PDF, his next meeting confirmed by opening the counterpart's badge, the live board and the results."""
from __future__ import annotations

from datetime import timedelta

import icalendar
import sqlalchemy as sa

from forum import clock
from forum.badges.models import Badge
from forum.db import db as _db
from forum.demo.venue import SLUG, TANAKA_SLOTS
from forum.meetings.models import HeldVia, Meeting, MeetingState
from forum.outcomes.models import MeetingOutcome, OutcomeKind
from forum.registration.models import Registration
from tests.badges.pdfcheck import texts
from tests.demo.test_demo import demo, forum  # noqa: F401 - the module-scoped demo fixture
from tests.demo.test_demo_offline import _signed_in

DELEGATE = "delegate@example.org"


def _meetings(day):
    return _db.session.scalars(sa.select(Meeting).where(Meeting.forum_id == day.id)).all()


def _tanaka(day) -> Registration:
    return _db.session.scalar(sa.select(Registration).where(Registration.forum_id == day.id,
                                                            Registration.email == DELEGATE))


def test_the_day_has_every_kind_of_meeting_at_the_venue(demo):  # noqa: F811
    day = forum(SLUG)
    rows = _meetings(day)
    assert {m.held_via for m in rows if m.held_at} == {HeldVia.SCAN, HeldVia.STAFF, HeldVia.TABLE}
    no_shows = [m for m in rows if m.state is MeetingState.NO_SHOW]
    [walk_in] = [m for m in rows if m.walk_in]
    assert len(no_shows) >= 2 and all(m.held_at is None and m.no_show_at is not None for m in no_shows)
    # the walk-in took the table of a no-show in its slot, and was held
    assert any(m.slot_id == walk_in.slot_id and m.table_id == walk_in.table_id for m in no_shows)
    assert walk_in.held_at is not None and walk_in.run_id is None
    # past meetings are held or no-shows; later ones are waiting
    now = clock.now()
    for m in rows:
        if m.slot.ends_at < now - timedelta(minutes=1):
            assert m.held_at is not None or m.state is MeetingState.NO_SHOW
    kinds = {o.kind for o in _db.session.scalars(sa.select(MeetingOutcome).where(MeetingOutcome.forum_id == day.id))}
    assert kinds == set(OutcomeKind)


def test_the_delegate_has_a_meeting_in_each_of_his_slots_and_the_next_one_waits(demo):  # noqa: F811
    day = forum(SLUG)
    tanaka = _tanaka(day)
    mine = sorted((m for m in _meetings(day) if tanaka.id in (m.a_id, m.b_id)), key=lambda m: m.slot.starts_at)
    assert len(mine) == len(TANAKA_SLOTS)
    past = TANAKA_SLOTS.index(0)
    assert all(m.held_at is not None for m in mine[:past])  # by his scan, and by the table host
    assert {m.held_via for m in mine[:past]} == {HeldVia.SCAN, HeldVia.TABLE}
    assert all(m.held_at is None for m in mine[past:])  # the one starting just after the load, and a later one


def test_opening_the_counterparts_badge_confirms_his_meeting(app, demo, monkeypatch):  # noqa: F811
    day = forum(SLUG)
    tanaka = _tanaka(day)
    nxt = min((m for m in _meetings(day) if tanaka.id in (m.a_id, m.b_id) and m.held_at is None
               and m.state is MeetingState.SCHEDULED), key=lambda m: m.slot.starts_at)
    other = nxt.b if nxt.a_id == tanaka.id else nxt.a
    token = _db.session.scalar(sa.select(Badge.token).where(Badge.registration_id == other.id,
                                                            Badge.revoked_at.is_(None)))
    at = nxt.slot.starts_at + timedelta(minutes=3)
    monkeypatch.setattr(clock, "now", lambda: at)
    html = _signed_in(app, DELEGATE).get(f"/b/{token}", headers={"Sec-Fetch-Site": "none"}).get_data(as_text=True)
    assert other.full_name in html
    _db.session.expire_all()
    m = _db.session.get(Meeting, nxt.id)
    assert m.held_at == at and m.held_via is HeldVia.SCAN and m.held_by_id == tanaka.user_id


def test_the_delegates_agenda_calendar_and_pdf(app, demo):  # noqa: F811
    day = forum(SLUG)
    tanaka = _tanaka(day)
    client = _signed_in(app, DELEGATE)
    page = client.get(f"/forums/{SLUG}/b2b/agenda").get_data(as_text=True)
    others = [(m.b if m.a_id == tanaka.id else m.a) for m in _meetings(day) if tanaka.id in (m.a_id, m.b_id)]
    assert all(o.full_name in page and o.latin_name in page for o in others)
    assert "Asia/Almaty" in page
    cal = icalendar.Calendar.from_ical(client.get(f"/forums/{SLUG}/b2b/agenda/agenda.ics").data)
    events = list(cal.walk("VEVENT"))
    assert len(events) == len(others) and len({str(e["UID"]) for e in events}) == len(events)
    pdf = client.get(f"/forums/{SLUG}/b2b/agenda/agenda.pdf")
    text = "".join(texts(pdf.data))
    assert all(o.full_name.split()[0] in text for o in others)


def test_the_organizer_sees_the_live_board_signs_and_results(app, demo):  # noqa: F811
    client = _signed_in(app, "organizer@example.org")
    board = client.get(f"/manage/{SLUG}/b2b/live/")
    assert board.status_code == 200
    results = client.get(f"/manage/{SLUG}/b2b/results/").get_data(as_text=True)
    assert "JP–KZ" in results and "JP–UZ" in results
    sign = client.get(f"/manage/{SLUG}/b2b/agendas/tables/1.pdf")
    assert sign.status_code == 200 and sign.data.startswith(b"%PDF")
    bundle = client.get("/manage/central-asia-japan/b2b/agendas/bundle.pdf")
    assert bundle.status_code == 200 and len(b"".join(bundle.response)) > 100_000
