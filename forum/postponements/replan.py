"""Moving a forum's B2B grid with the forum: each session and slot keeps its forum-local wall-clock time and
moves by as many days as the forum's local start date moved (computed in the forum's zone, so a daylight-saving
change between the old and the new dates keeps 09:00 at 09:00). Each live meeting is re-issued: its row is
cancelled and a new one placed on the same slot, table and interpreter, so the delegate's calendar (agendas.ics,
SEQUENCE from the rows in agendas.history) updates the event instead of keeping the old time.

Unavailability rows name slots, not times: they move with their slots.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from forum.db import db
from forum.forums.models import Forum
from forum.meetings.models import Meeting, MeetingSession, MeetingSlot, MeetingState


def day_shift(forum: Forum, new_starts_at: datetime) -> int:
    """How many days the forum's local start date moves."""
    old: date = forum.local(forum.starts_at).date()
    new: date = new_starts_at.astimezone(forum.tz).date()
    return (new - old).days


def shifted(when: datetime, days: int, forum: Forum) -> datetime:
    """The same forum-local wall-clock time `days` later. A wall-clock time the zone skips or shows twice on the
    new day is read with the offset before the change (fold 0), as zoneinfo does."""
    local = when.astimezone(forum.tz).replace(tzinfo=None) + timedelta(days=days)
    return local.replace(tzinfo=forum.tz, fold=0).astimezone(timezone.utc)


def live_meetings(forum_id: int) -> list[Meeting]:
    return list(db.session.scalars(sa.select(Meeting).where(
        Meeting.forum_id == forum_id, Meeting.state == MeetingState.SCHEDULED).order_by(Meeting.id)))


def sessions_of(forum_id: int) -> list[MeetingSession]:
    return list(db.session.scalars(sa.select(MeetingSession).where(MeetingSession.forum_id == forum_id)
                                   .order_by(MeetingSession.starts_at)))


def move_grid(forum: Forum, days: int, *, now: datetime) -> tuple[int, list[Meeting]]:
    """Move every session and slot by `days` (forum-local), re-issue the live meetings. Returns (slots moved,
    the new meeting rows). Call under the forum lock."""
    if days == 0:
        return 0, []
    slots = list(db.session.scalars(sa.select(MeetingSlot).where(MeetingSlot.forum_id == forum.id)))
    # (session, start) is unique: move the latest first when moving later (the earliest first when earlier), one
    # row at a time, so that no slot lands on a start another slot of its session still holds.
    slots.sort(key=lambda s: s.starts_at, reverse=days > 0)
    for slot in slots:
        slot.starts_at, slot.ends_at = shifted(slot.starts_at, days, forum), shifted(slot.ends_at, days, forum)
        db.session.flush()
    for session in sessions_of(forum.id):
        session.starts_at, session.ends_at = (shifted(session.starts_at, days, forum),
                                              shifted(session.ends_at, days, forum))
    old = live_meetings(forum.id)
    for m in old:
        m.state, m.cancelled_at = MeetingState.CANCELLED, now
    db.session.flush()  # the cancelled rows leave the partial unique indexes before the new ones arrive
    new = [Meeting(forum_id=m.forum_id, request_id=m.request_id, run_id=m.run_id, a_id=m.a_id, b_id=m.b_id,
                   slot_id=m.slot_id, table_id=m.table_id, interpreter_id=m.interpreter_id, walk_in=m.walk_in,
                   booked_by_id=m.booked_by_id, state=MeetingState.SCHEDULED, created_at=now) for m in old]
    db.session.add_all(new)
    db.session.flush()
    return len(slots), new
