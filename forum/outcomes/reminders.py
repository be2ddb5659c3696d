"""The day-after reminder: "how did your meeting go?" to each side that has not recorded an outcome.

- Which meetings: held (held_at set, state SCHEDULED) whose slot ended on an earlier forum-local day; due from
  REMIND_AT (09:00) forum-local time on the day after the slot's end, and for REMINDER_WINDOW after that (a
  worker that was down catches up; a deployment does not remind people of last year's meetings).
- Who: each side with no outcome for that meeting who is still an APPROVED delegate; in a forum that is not
  cancelled.
- Once: an OutcomeReminder row (meeting, registration) is inserted first, in a savepoint; the mail is queued
  only for the rows this call inserted. Two workers at once: the second insert waits for the first
  transaction and fails on the primary key, so nobody is reminded twice of one meeting.
- Batched: one e-mail per person per call, listing all their meetings that became due (in practice one per
  person per forum day, as a day's meetings are due together at 09:00). If two workers split one person's
  meetings between them, that person gets two short mails, never a meeting twice.
- In the recipient's language (Registration.language), with a link to each meeting's outcome form.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from forum import clock
from forum.db import db
from forum.forums.models import Forum, ForumStatus
from forum.meetings.reasons import both_scripts
from forum.meetings.models import Meeting, MeetingSlot, MeetingState
from forum.notifications import services as mail
from forum.outcomes.models import MeetingOutcome, OutcomeReminder
from forum.registration.models import RegState, Registration
from forum.urls import external_url

REMIND_AT = time(9, 0)
REMINDER_WINDOW = timedelta(days=7)
# A slot ending at 23:59 local is due 9 h 01 later; one ending at 00:00 local 33 h later (and a DST day adds one).
_EARLIEST_DUE, _LATEST_DUE = timedelta(hours=8), timedelta(hours=35)


def due_at(forum: Forum, slot_end: datetime) -> datetime:
    """When the reminder of a meeting that ended at `slot_end` is due: REMIND_AT forum-local, the next day (UTC)."""
    next_day = forum.local(slot_end).date() + timedelta(days=1)
    return datetime.combine(next_day, REMIND_AT, tzinfo=forum.tz).astimezone(timezone.utc)


def _candidates(now: datetime) -> list[Meeting]:
    return list(db.session.scalars(
        sa.select(Meeting).join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
        .join(Forum, Forum.id == Meeting.forum_id)
        .options(joinedload(Meeting.slot), joinedload(Meeting.table), joinedload(Meeting.interpreter),
                 joinedload(Meeting.a).joinedload(Registration.forum),
                 joinedload(Meeting.a).joinedload(Registration.company),
                 joinedload(Meeting.b).joinedload(Registration.company))
        .where(Meeting.state == MeetingState.SCHEDULED, Meeting.held_at.is_not(None),
               Forum.status != ForumStatus.CANCELLED,
               MeetingSlot.ends_at <= now - _EARLIEST_DUE,
               MeetingSlot.ends_at >= now - REMINDER_WINDOW - _LATEST_DUE)
        .order_by(Meeting.id)).unique())


def pending(now: datetime | None = None) -> list[tuple[Meeting, Registration]]:
    """(meeting, side) pairs due a reminder now and not reminded yet, in a stable order (meeting, registration)."""
    now = now or clock.now()
    meetings = [m for m in _candidates(now)
                if due_at(m.a.forum, m.slot.ends_at) <= now < due_at(m.a.forum, m.slot.ends_at) + REMINDER_WINDOW]
    if not meetings:
        return []
    ids = [m.id for m in meetings]
    done = set(db.session.execute(sa.select(MeetingOutcome.meeting_id, MeetingOutcome.registration_id)
                                  .where(MeetingOutcome.meeting_id.in_(ids))))
    done |= set(db.session.execute(sa.select(OutcomeReminder.meeting_id, OutcomeReminder.registration_id)
                                   .where(OutcomeReminder.meeting_id.in_(ids))))
    out = []
    for m in meetings:
        for side in sorted((m.a, m.b), key=lambda r: r.id):
            if side.state is RegState.APPROVED and (m.id, side.id) not in done:
                out.append((m, side))
    return out


def send_due(now: datetime | None = None) -> int:
    """Queue the reminders due at `now`; returns how many e-mails were queued. The caller commits."""
    now = now or clock.now()
    mine: dict[int, list[Meeting]] = defaultdict(list)
    people: dict[int, Registration] = {}
    for m, reg in pending(now):
        try:
            with db.session.begin_nested():
                db.session.add(OutcomeReminder(meeting_id=m.id, registration_id=reg.id, sent_at=now))
                db.session.flush()
        except IntegrityError:
            continue  # another worker reminds this side of this meeting
        mine[reg.id].append(m)
        people[reg.id] = reg
    for reg_id, meetings in mine.items():
        reg = people[reg_id]
        forum = reg.forum
        items = [(m, m.b if m.a_id == reg.id else m.a,
                  external_url("outcomes.record", slug=forum.slug, meeting_pid=m.public_id))
                 for m in sorted(meetings, key=lambda m: (m.slot.starts_at, m.id))]
        mail.queue("b2b_outcome_reminder", to=reg.email, to_name=reg.full_name, language=reg.language,
                   forum_id=forum.id, reg=reg, forum=forum, items=items, both_scripts=both_scripts,
                   link=external_url("outcomes.index", slug=forum.slug))
    db.session.flush()
    return len(mine)
