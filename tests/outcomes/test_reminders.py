"""The day-after reminder: from 09:00 forum-local on the next day, once, to each side without an outcome who is
still an approved delegate, in their language, one mail per person listing their meetings; two workers at
once send it once (PostgreSQL)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from forum.meetings.models import HeldVia, MeetingState
from forum.notifications.models import OutboxMessage
from forum.outcomes import reminders
from forum.outcomes.models import MeetingOutcome, OutcomeKind, OutcomeReminder
from forum.registration.models import RegState
from tests import factories as f
from tests.concurrency import postgres_only, race
from tests.outcomes.conftest import START

# 21 May 2027, 09:00 in Astana (UTC+5): the morning after the meetings of 20 May.
NINE_NEXT_DAY = datetime(2027, 5, 21, 4, 0, tzinfo=timezone.utc)


def held(m):
    m.held_at, m.held_via = m.slot.starts_at + timedelta(minutes=2), HeldVia.SCAN
    return m


def _mails(db):
    db.session.expire_all()
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == "b2b_outcome_reminder")
                              .order_by(OutboxMessage.to_addr)).all()


def test_due_from_nine_the_next_morning_forum_local(db, trio, meeting):
    tanaka, aliya, _ = trio
    held(meeting)
    db.session.flush()
    assert reminders.due_at(meeting.a.forum, meeting.slot.ends_at) == NINE_NEXT_DAY
    assert reminders.send_due(NINE_NEXT_DAY - timedelta(seconds=1)) == 0
    assert reminders.send_due(START + timedelta(hours=12)) == 0  # 21:00 on the day itself: not yet
    assert _mails(db) == []
    assert reminders.send_due(NINE_NEXT_DAY) == 2
    assert {m.to_addr for m in _mails(db)} == {tanaka.email, aliya.email}


def test_once(db, trio, meeting):
    held(meeting)
    db.session.flush()
    assert reminders.send_due(NINE_NEXT_DAY) == 2
    assert reminders.send_due(NINE_NEXT_DAY + timedelta(hours=1)) == 0
    assert reminders.send_due(NINE_NEXT_DAY + timedelta(days=2)) == 0
    assert len(_mails(db)) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutcomeReminder)) == 2


def test_not_to_a_side_that_recorded_nor_to_one_no_longer_approved(db, forum, trio, grid):
    tanaka, aliya, otkir = trio
    slots, tables = grid
    m1 = held(f.meeting(tanaka, aliya, slots[0], tables[0]))
    m2 = held(f.meeting(aliya, otkir, slots[1], tables[0]))
    db.session.add(MeetingOutcome(forum_id=forum.id, meeting_id=m1.id, registration_id=tanaka.id,
                                  kind=OutcomeKind.INFORMATIVE))
    otkir.state = RegState.WITHDRAWN
    db.session.flush()
    assert reminders.send_due(NINE_NEXT_DAY) == 1
    (mail,) = _mails(db)
    assert mail.to_addr == aliya.email
    # One mail for Aliya's two meetings, each with its link.
    assert mail.body_text.count("/b2b/outcomes/") == 3  # two meetings and the list
    assert m1.public_id in mail.body_text and m2.public_id in mail.body_text


def test_only_held_meetings(db, trio, grid):
    tanaka, aliya, otkir = trio
    slots, tables = grid
    f.meeting(tanaka, aliya, slots[0], tables[0])  # never confirmed (not yet a no-show either)
    no_show = f.meeting(tanaka, otkir, slots[1], tables[0])
    no_show.state, no_show.no_show_at = MeetingState.NO_SHOW, no_show.slot.starts_at + timedelta(minutes=10)
    cancelled = held(f.meeting(aliya, otkir, slots[2], tables[1]))
    cancelled.state = MeetingState.CANCELLED
    db.session.flush()
    assert reminders.send_due(NINE_NEXT_DAY) == 0
    assert _mails(db) == []


def test_not_for_old_meetings(db, trio, meeting):
    held(meeting)
    db.session.flush()
    assert reminders.send_due(NINE_NEXT_DAY + reminders.REMINDER_WINDOW) == 0
    assert reminders.send_due(NINE_NEXT_DAY + reminders.REMINDER_WINDOW - timedelta(minutes=1)) == 2


def test_in_the_recipients_language_with_the_link(db, trio, meeting):
    tanaka, aliya, _ = trio
    held(meeting)
    db.session.flush()
    reminders.send_due(NINE_NEXT_DAY)
    by_addr = {m.to_addr: m for m in _mails(db)}
    ja, ru = by_addr[tanaka.email], by_addr[aliya.email]
    assert (ja.language, ru.language) == ("ja", "ru")
    assert "田中 健一 様" in ja.body_text and "Здравствуйте, Әлия Нұрланқызы!" in ru.body_text
    assert ja.to_name == "田中 健一"
    link = f"http://forum.test/forums/astana/b2b/outcomes/{meeting.public_id}"
    assert link in ja.body_text and link in ru.body_text
    assert "Әлия Нұрланқызы (Aliya Nurlankyzy)" in ja.body_text  # the counterpart in both scripts
    assert "09:00–09:20" in ja.body_text and "Asia/Almaty" in ja.body_text and "Стол 1" in ru.body_text
    assert not ja.subject.startswith("Subject") and "Central Asia + Japan Business Forum" in ja.subject


def test_two_workers_at_once_send_it_once(app, db, trio, grid):
    postgres_only(db)
    tanaka, aliya, otkir = trio
    slots, tables = grid
    held(f.meeting(tanaka, aliya, slots[0], tables[0]))
    held(f.meeting(tanaka, otkir, slots[1], tables[0]))
    db.session.commit()

    errors, codes = race(app, 4, lambda i: reminders.send_due(NINE_NEXT_DAY))
    assert errors == [] and codes == []
    mails = _mails(db)
    # Each side of each meeting reminded once: 4 (meeting, side) reminders in at most one mail per worker.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutcomeReminder)) == 4
    listed = sum(m.body_text.count("/b2b/outcomes/") - 1 for m in mails)
    assert listed == 4
    assert {m.to_addr for m in mails} == {tanaka.email, aliya.email, otkir.email}
