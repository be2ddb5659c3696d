"""The B2B grid moves with the forum at the same local wall-clock time (across a daylight-saving change), each
live meeting is re-issued (old row cancelled, a new one on the same slot, table and interpreter), and the
postponement e-mail of a delegate with meetings carries the calendar with the new times and a higher SEQUENCE."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import icalendar
import pytest
import sqlalchemy as sa

from forum.agendas import ics
from forum.meetings.models import Meeting, MeetingSession, MeetingSlot, MeetingState, Unavailability
from forum.postponements import replan
from tests import factories as f
from tests.postponements.helpers import do_postpone, outbox

BERLIN = "Europe/Berlin"  # summer time begins on 28 March 2027: 09:00 is 08:00 UTC before, 07:00 UTC after


@pytest.fixture()
def world(db):
    forum, org = f.forum(tz=BERLIN), f.organizer()
    forum.starts_at = datetime(2027, 3, 25, 7, 0, tzinfo=timezone.utc)  # 08:00 local (UTC+1)
    forum.ends_at = datetime(2027, 3, 26, 16, 0, tzinfo=timezone.utc)
    a, b = f.participant(forum, language="ja", email="a@jp.example"), f.participant(forum, language="ru",
                                                                                   email="b@kz.example")
    c = f.participant(forum, language="en", email="c@en.example")  # no meetings
    s = f.session(forum, "2027-03-25 09:00", "2027-03-25 10:00", slot_minutes=20)
    t = f.table(forum, 1)
    i = f.interpreter(forum, ["ja", "ru"])
    slot = s.slots[1]  # 09:20 local
    m = f.meeting(a, b, slot, t, interpreter=i)
    db.session.add(Unavailability(registration_id=c.id, slot_id=s.slots[2].id, note="ministry"))
    db.session.commit()
    return dict(forum=forum, org=org, a=a, b=b, c=c, session=s, slot=slot, table=t, interpreter=i, meeting=m)


def local(dt, tz=BERLIN):
    from zoneinfo import ZoneInfo
    return dt.astimezone(ZoneInfo(tz))


def by_uid(data: bytes) -> dict:
    cal = icalendar.Calendar.from_ical(data)
    return {str(ev["UID"]): ev for ev in cal.walk("VEVENT")}


def test_the_day_shift_is_counted_on_the_forums_local_dates(db, world):
    forum = world["forum"]
    # 23:30 UTC on 7 April is already 8 April in Berlin
    assert replan.day_shift(forum, datetime(2027, 4, 7, 23, 30, tzinfo=timezone.utc)) == 14
    assert replan.day_shift(forum, datetime(2027, 4, 7, 21, 30, tzinfo=timezone.utc)) == 13


def test_the_grid_moves_by_the_start_date_shift_keeping_local_wall_clock_times(db, world):
    forum, org = world["forum"], world["org"]
    do_postpone(forum, org, new_starts_at=datetime(2027, 4, 8, 6, 0, tzinfo=timezone.utc),  # 08:00 local (UTC+2)
                new_ends_at=datetime(2027, 4, 9, 15, 0, tzinfo=timezone.utc))
    db.session.commit()
    db.session.expire_all()
    s = db.session.get(MeetingSession, world["session"].id)
    assert (local(s.starts_at).date(), f"{local(s.starts_at):%H:%M}", f"{local(s.ends_at):%H:%M}") == (
        date(2027, 4, 8), "09:00", "10:00")
    slots = db.session.scalars(sa.select(MeetingSlot).order_by(MeetingSlot.starts_at)).all()
    assert [f"{local(x.starts_at):%Y-%m-%d %H:%M}" for x in slots] == [
        "2027-04-08 09:00", "2027-04-08 09:20", "2027-04-08 09:40"]
    assert [f"{local(x.ends_at):%H:%M}" for x in slots] == ["09:20", "09:40", "10:00"]
    assert slots[0].starts_at == datetime(2027, 4, 8, 7, 0, tzinfo=timezone.utc)  # the offset changed, not the hour
    # unavailability names a slot: it moved with it
    u = db.session.scalars(sa.select(Unavailability)).one()
    assert u.slot_id == slots[2].id


def test_moving_earlier_keeps_the_times_too(db, world):
    forum, org = world["forum"], world["org"]
    forum.registration_closes_at = forum.registration_opens_at + timedelta(days=1)
    do_postpone(forum, org, new_starts_at=datetime(2027, 3, 18, 7, 0, tzinfo=timezone.utc),
                new_ends_at=datetime(2027, 3, 19, 16, 0, tzinfo=timezone.utc))
    slots = db.session.scalars(sa.select(MeetingSlot).order_by(MeetingSlot.starts_at)).all()
    assert [f"{local(x.starts_at):%Y-%m-%d %H:%M}" for x in slots] == [
        "2027-03-18 09:00", "2027-03-18 09:20", "2027-03-18 09:40"]


def test_a_session_over_two_days_moves_one_day_without_colliding_with_itself(db):
    forum, org = f.forum(tz=BERLIN), f.organizer()
    forum.starts_at = datetime(2027, 3, 25, 7, 0, tzinfo=timezone.utc)
    forum.ends_at = datetime(2027, 3, 27, 16, 0, tzinfo=timezone.utc)
    s = f.session(forum, "2027-03-25 09:00", "2027-03-25 10:00", slot_minutes=30)
    # a second slot list on the next day in the same session: (session, start) must stay unique while moving
    db.session.add(MeetingSlot(forum_id=forum.id, session_id=s.id, starts_at=s.slots[0].starts_at + timedelta(days=1),
                               ends_at=s.slots[0].ends_at + timedelta(days=1)))
    db.session.commit()
    do_postpone(forum, org, new_starts_at=forum.starts_at + timedelta(days=1),
                new_ends_at=forum.ends_at + timedelta(days=1))
    starts = sorted(f"{local(x.starts_at):%m-%d %H:%M}" for x in db.session.scalars(sa.select(MeetingSlot)))
    assert starts == ["03-26 09:00", "03-26 09:30", "03-27 09:00"]


def test_live_meetings_are_re_issued_on_the_same_slot_table_and_interpreter(db, world):
    forum, org, old = world["forum"], world["org"], world["meeting"]
    f.meeting(world["a"], world["c"], world["session"].slots[0], world["table"], state="cancelled")
    db.session.commit()
    p = do_postpone(forum, org)
    rows = db.session.scalars(sa.select(Meeting).where(Meeting.request_id == old.request_id)
                              .order_by(Meeting.id)).all()
    assert [r.state for r in rows] == [MeetingState.CANCELLED, MeetingState.SCHEDULED]
    first, new = rows
    assert first.cancelled_at == p.created_at and new.created_at == p.created_at
    assert (new.slot_id, new.table_id, new.interpreter_id, new.a_id, new.b_id) == (
        old.slot_id, old.table_id, old.interpreter_id, old.a_id, old.b_id)
    # an already cancelled meeting is not brought back
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)
                             .where(Meeting.state == MeetingState.SCHEDULED)) == 1


def test_the_mail_of_a_delegate_with_meetings_carries_the_calendar_with_the_new_times(db, world):
    forum, org, a = world["forum"], world["org"], world["a"]
    before = by_uid(ics.calendar_for(a))
    [uid] = before
    assert f"{before[uid]['DTSTART'].dt:%Y-%m-%d %H:%M}" == "2027-03-25 09:20"
    do_postpone(forum, org, new_starts_at=datetime(2027, 4, 8, 6, 0, tzinfo=timezone.utc),
                new_ends_at=datetime(2027, 4, 9, 15, 0, tzinfo=timezone.utc))
    mails = {m.to_addr: m for m in outbox(db, "postponed")}
    assert mails["c@en.example"].attachments is None  # no meetings, no calendar
    for addr in ("a@jp.example", "b@kz.example"):
        [att] = mails[addr].attachments
        assert att["content_type"].startswith("text/calendar")
        ev = by_uid(att["text"].encode())[uid]
        assert ev["DTSTART"].params["TZID"] == BERLIN
        assert f"{ev['DTSTART'].dt:%Y-%m-%d %H:%M}" == "2027-04-08 09:20"
        assert ev["DTSTART"].dt == datetime(2027, 4, 8, 7, 20, tzinfo=timezone.utc)
        assert str(ev["STATUS"]) == "CONFIRMED"
        assert int(ev["SEQUENCE"]) > int(before[uid]["SEQUENCE"])


def test_the_preview_counts_the_meetings_to_re_issue(db, world):
    from forum.postponements import services

    assert services.preview(world["forum"]).meetings == 1
