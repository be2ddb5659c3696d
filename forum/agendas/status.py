"""Where a meeting on an agenda stands at the venue, in one word, and that word for people."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _, pgettext

from forum.meetings.models import Meeting, MeetingState

HELD, NO_SHOW, NOW, UPCOMING, UNCONFIRMED = "held", "no_show", "now", "upcoming", "unconfirmed"


def at_venue(m: Meeting, now: datetime) -> str:
    """held (someone confirmed it), no_show (nobody did in time: forum/attendance's rule), now (its slot is on),
    upcoming, or unconfirmed (its slot is over and nobody has confirmed it yet)."""
    if m.held_at is not None:
        return HELD
    if m.state is MeetingState.NO_SHOW:
        return NO_SHOW
    if now < m.slot.starts_at:
        return UPCOMING
    if now < m.slot.ends_at:
        return NOW
    return UNCONFIRMED


def label(status: str) -> str:
    return {HELD: pgettext("meeting", "Held"), NO_SHOW: _("No-show"), NOW: _("Now"), UPCOMING: _("Upcoming"),
            UNCONFIRMED: _("Not confirmed yet")}[status]


STYLES = {HELD: "success", NO_SHOW: "secondary", NOW: "primary", UPCOMING: "light", UNCONFIRMED: "warning"}
