"""A delegate opens the badge of someone they meet (badges/public_views.py, /b/<token>): the meeting of the two
in its window is confirmed as held, via SCAN (either side's scan counts). What the card then says."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from forum import clock
from forum.accounts.models import User
from forum.attendance import rules
from forum.db import db
from forum.errors import DomainError
from forum.meetings.models import HeldVia, Meeting
from forum.registration.models import Registration


@dataclass
class ScanResult:
    meeting: Meeting | None  # their meeting whose window holds now
    upcoming: Meeting | None  # otherwise: their next meeting (or the latest), for "your meeting is at ..."
    now: datetime
    changed: bool = False  # confirmed by this scan
    held: bool = False  # held (by this scan or before)
    needs_button: bool = False  # in the window, but opened from another site: confirm only by the POST button
    error: str | None = None  # the refusal (a no-show whose table was taken ...)
    code: str | None = None


def on_badge_opened(viewer: Registration, holder: Registration, *, by: User, confirm: bool,
                    now: datetime | None = None) -> ScanResult | None:
    """None when the two have no meeting at all. Otherwise the meeting in its window is confirmed when
    `confirm` (else the result asks for the button); the caller commits (or rolls back on `error`)."""
    now = now or clock.now()
    if viewer.forum_id != holder.forum_id or viewer.id == holder.id:
        return None
    rules.mark_no_shows(now, forum_id=viewer.forum_id)
    current, upcoming = rules.meeting_to_confirm(viewer, holder, now)
    if current is None and upcoming is None:
        return None
    result = ScanResult(meeting=current, upcoming=upcoming if current is None else None, now=now)
    if current is None:
        return result
    if current.held_at is not None:
        result.held = True
        return result
    if not confirm:
        result.needs_button = True
        return result
    try:
        with db.session.begin_nested():
            result.changed = rules.confirm(current, via=HeldVia.SCAN, by=by, now=now)
    except DomainError as e:
        result.error, result.code = e.message, e.code
        return result
    result.held = True
    return result
