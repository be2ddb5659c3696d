"""The worker's housekeeping at the venue: every minute the no-show rule runs over every forum and is committed;
every 15 minutes the day-after outcome reminders are queued. A failure is logged and rolled back, never fatal to
the mail loop."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from forum.meetings.models import HeldVia, Meeting, MeetingState
from forum.notifications import worker
from forum.notifications.models import OutboxMessage
from tests import factories as f
from tests.attendance.conftest import minutes


def test_the_worker_makes_unconfirmed_meetings_no_shows_and_commits(db, forum, slots, tables, tanaka, aliya, start):
    m = f.meeting(tanaka, aliya, slots[0], tables[0])
    db.session.commit()
    t = start + minutes(9)
    assert worker.mark_no_shows(None, t) == t
    db.session.expire_all()
    assert db.session.get(Meeting, m.id).state is MeetingState.SCHEDULED  # 9 minutes after: still waiting
    later = start + minutes(10)
    assert worker.mark_no_shows(t, later - timedelta(seconds=1)) == t  # less than a minute since: not run
    assert worker.mark_no_shows(t, later + timedelta(seconds=1)) == later + timedelta(seconds=1)
    db.session.rollback()  # what the worker did was committed
    assert db.session.get(Meeting, m.id).state is MeetingState.NO_SHOW


def test_a_failing_no_show_run_is_logged_and_tried_again(db, monkeypatch, start):
    from forum.attendance import rules

    def broken(now):
        raise RuntimeError("database went away")

    monkeypatch.setattr(rules, "mark_no_shows", broken)
    assert worker.mark_no_shows(None, start) == start  # not raised; the next turn is a minute later


def test_the_worker_queues_the_outcome_reminders_every_quarter_hour(db, forum, slots, tables, tanaka, aliya, start):
    m = f.meeting(tanaka, aliya, slots[0], tables[0])
    m.held_at, m.held_via = slots[0].starts_at + minutes(2), HeldVia.SCAN
    db.session.commit()
    nine_next_day = start + timedelta(days=1)  # the slots start at 09:00 forum-local
    ran = worker.send_outcome_reminders(None, nine_next_day)
    db.session.rollback()
    mails = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == "b2b_outcome_reminder")).all()
    assert sorted(x.to_addr for x in mails) == sorted([tanaka.email, aliya.email])
    assert worker.send_outcome_reminders(ran, ran + timedelta(minutes=14)) == ran
    assert worker.send_outcome_reminders(ran, ran + timedelta(minutes=15)) == ran + timedelta(minutes=15)
