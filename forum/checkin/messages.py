"""What a scan's result says to the person at the door: the plain words of every result code, in one place.

The scanner page (its JSON and its no-JavaScript form), the API, the badge page (/b/<token>) and the
check-in dashboard all say the same thing for the same result, so they all come here:

- `verdict(outcome, forum)` -> `Verdict`: everything a screen shows about one check_in() outcome (the
  colour, a few words as the title, the reason in a sentence, the first entry in forum-local time);
- `scan_reason(scan, forum)`: the same reason for a scan recorded earlier (the badge page's result, the
  dashboard's list of refused scans);
- `tone(status)`, `title(status, direction)`, `reason(status, forum=..., ...)`: the same, piece by piece,
  for a caller that has no Outcome (an offline scan replayed, a test); `bootstrap_tone(status)`: the
  colour as Bootstrap names it (success, warning, danger), for a pill on a page that is not the scanner;
- `revoked_reason(badge)`: why a badge was revoked, in a sentence;
- `local_when(dt, forum)`: a first-entry time as the door reads it ("09:12" today, else with the date);
- `category_label(value)`: a badge's category band in words (organizer and staff included).

Every string is translated when called (gettext), in the language of the request.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from flask_babel import gettext as _

from forum import clock
from forum.badges.models import Badge, RevokeReason
from forum.checkin.models import Direction, Result
from forum.forums.models import Forum
from forum.registration import choices
from forum.registration.models import RegState

OK, WARN, REFUSED = "ok", "warn", "refused"

# Green: let them in (or out). Amber: nobody is refused, but something is off (inside already, an exit
# without an entry): look at the person. Red: refused.
TONES: dict[Result, str] = {
    Result.OK: OK,
    Result.ALREADY_CHECKED_IN: WARN,
    Result.NOT_CHECKED_IN: WARN,
    Result.INVALID: REFUSED,
    Result.REVOKED: REFUSED,
    Result.NOT_APPROVED: REFUSED,
    Result.WRONG_FORUM: REFUSED,
    Result.FORUM_CANCELLED: REFUSED,
}


def _result(status: Result | str) -> Result:
    return status if isinstance(status, Result) else Result(status)


def _direction(direction: Direction | str) -> Direction:
    return direction if isinstance(direction, Direction) else Direction(direction)


def tone(status: Result | str) -> str:
    """"ok" (green), "warn" (amber) or "refused" (red)."""
    return TONES[_result(status)]


BOOTSTRAP_TONES = {OK: "success", WARN: "warning", REFUSED: "danger"}


def bootstrap_tone(status: Result | str) -> str:
    """The same colour in Bootstrap's names ("success", "warning", "danger"), for `text-bg-*` pills."""
    return BOOTSTRAP_TONES[tone(status)]


def title(status: Result | str, direction: Direction | str = Direction.IN) -> str:
    """A few words, shown large."""
    status = _result(status)
    if status is Result.OK:
        return _("Checked in") if _direction(direction) is Direction.IN else _("Exit recorded")
    return {
        Result.ALREADY_CHECKED_IN: _("Already checked in"),
        Result.NOT_CHECKED_IN: _("Not checked in"),
        Result.INVALID: _("Not a valid badge"),
        Result.REVOKED: _("Badge no longer valid"),
        Result.NOT_APPROVED: _("Registration not approved"),
        Result.WRONG_FORUM: _("Badge of another forum"),
        Result.FORUM_CANCELLED: _("Forum cancelled"),
    }[status]


def local_when(dt: datetime | None, forum: Forum, now: datetime | None = None) -> str:
    """A time at the door in the forum's zone: "09:12" on the same local day as `now`, else
    "7 Dec 2026, 09:12" (a first entry on an earlier day of the forum)."""
    from forum.templating import local_datetime, local_time

    if dt is None:
        return ""
    now = now or clock.now()
    if forum.local(dt).date() == forum.local(now).date():
        return local_time(dt, forum)
    return local_datetime(dt, forum, "medium")


def revoked_reason(badge: Badge | None) -> str:
    """Why a badge was revoked, in a sentence (a generic one for a badge not revoked or without a reason)."""
    why = badge.revoked_reason if badge is not None else None
    if why is RevokeReason.REISSUED:
        return _("This badge was replaced by a newer one. Only the newest badge admits its holder.")
    if why is RevokeReason.REJECTED:
        return _("This badge was revoked: the registration was rejected.")
    if why is RevokeReason.WITHDRAWN:
        return _("This badge was revoked: the registration was withdrawn.")
    if why is RevokeReason.CANCELLED:
        return _("This badge was revoked: the registration was cancelled.")
    if why is RevokeReason.LEFT_TEAM:
        return _("This badge was revoked: its holder is no longer on the forum's team.")
    if why is RevokeReason.MANUAL:
        return _("An organizer revoked this badge.")
    return _("This badge was revoked.")


def _not_approved_reason(badge: Badge | None) -> str:
    reg = badge.registration if badge is not None else None
    state = reg.state if reg is not None else None
    desk = _("Send them to the registration desk.")
    if state is RegState.PENDING:
        return _("The registration is still waiting for review.") + " " + desk
    if state is RegState.WAITLISTED:
        return _("The registration is on the waiting list, not approved.") + " " + desk
    if state is RegState.REJECTED:
        return _("The registration was rejected.") + " " + desk
    if state is RegState.WITHDRAWN:
        return _("The registration was withdrawn.") + " " + desk
    if state is RegState.CANCELLED:
        return _("The registration was cancelled.") + " " + desk
    return _("The registration is not approved.") + " " + desk


def reason(status: Result | str, *, forum: Forum, badge: Badge | None = None, direction: Direction | str = Direction.IN,
           first_checked_in_at: datetime | None = None, first_checked_in_device: str = "", reentry: bool = False,
           now: datetime | None = None) -> str:
    """The reason in plain words, e.g. "Already checked in at 09:12 by Gate 1."

    `first_checked_in_at`/`_device`: the first entry (already_checked_in names it; a re-entry recalls it).
    `reentry`: an ok entry of someone who had entered before and left.
    """
    status = _result(status)
    when = local_when(first_checked_in_at, forum, now)
    if status is Result.OK:
        if _direction(direction) is Direction.OUT:
            return _("Exit recorded. The same badge lets them back in.")
        if reentry and when:
            return _("Welcome back. First arrived at %(time)s.", time=when)
        return _("Welcome! The badge is valid and the arrival is recorded.")
    if status is Result.ALREADY_CHECKED_IN:
        if when and first_checked_in_device:
            return _("Already checked in at %(time)s by %(device)s.", time=when, device=first_checked_in_device)
        if when:
            return _("Already checked in at %(time)s.", time=when)
        return _("Already checked in.")
    if status is Result.NOT_CHECKED_IN:
        return _("No entry is recorded for this badge, so there is no exit to record.")
    if status is Result.INVALID:
        return _("The code is not a badge of this forum: unreadable, incomplete or forged.")
    if status is Result.REVOKED:
        return revoked_reason(badge)
    if status is Result.NOT_APPROVED:
        return _not_approved_reason(badge)
    if status is Result.WRONG_FORUM:
        return _("This is a genuine badge, but of another forum.")
    return _("This forum has been cancelled: no badge admits anyone.")


TEAM_CATEGORIES = {"organizer", "staff"}


def category_label(value: str) -> str:
    """A badge's category band in words: the registration categories, plus organizer and staff."""
    if value == "organizer":
        return _("Organizer")
    if value == "staff":
        return _("Staff")
    return choices.category_label(value)


def delegate_shown(badge: Badge | None) -> dict | None:
    """`services.describe(badge)` plus what a screen prints instead of codes: the country's name and the
    category's label, in the reader's language."""
    from forum.checkin.services import describe

    shown = describe(badge)
    if shown is None:
        return None
    shown["country_name"] = choices.country_name(shown["country"]) if shown["country"] else ""
    shown["category_label"] = category_label(shown["category"])
    return shown


def arrivals_text(arrived: int, expected: int) -> str:
    """"Arrived 12 of 40": approved delegates who have entered, of all approved delegates."""
    return _("Arrived %(arrived)d of %(expected)d", arrived=arrived, expected=expected)


@dataclass(frozen=True)
class Verdict:
    status: str  # the result code (checkin.models.Result)
    tone: str  # "ok" | "warn" | "refused"
    title: str
    message: str
    direction: str  # "in" | "out"
    first_checked_in_at: str | None  # ISO 8601 (UTC), for already_checked_in and a re-entry
    first_checked_in_local: str  # the same, as the door reads it (forum-local), or ""
    first_checked_in_device: str

    def as_dict(self) -> dict:
        return asdict(self)


def _first_entry(scan, badge: Badge | None) -> tuple[datetime | None, str, bool]:
    """The first entry a scan's reason names, and whether the scan was a re-entry: (at, device, reentry)."""
    if scan.result is Result.OK and scan.direction is Direction.IN and badge is not None and badge.first_checked_in_at:
        # An ok entry whose badge had a first entry before this scan: someone coming back in.
        if badge.first_checked_in_at < scan.recorded_at:
            return badge.first_checked_in_at, badge.first_checked_in_device, True
    return scan.first_checked_in_at, scan.first_checked_in_device, False


def scan_reason(scan, forum: Forum, *, now: datetime | None = None) -> str:
    """The reason of a recorded `checkin.models.Scan`, as the door said it (its badge as it stands now)."""
    first_at, first_device, reentry = _first_entry(scan, scan.badge)
    return reason(scan.result, forum=forum, badge=scan.badge, direction=scan.direction, first_checked_in_at=first_at,
                  first_checked_in_device=first_device, reentry=reentry, now=now)


def verdict(outcome, forum: Forum, *, now: datetime | None = None) -> Verdict:
    """Everything a screen says about one `checkin.services.check_in` outcome."""
    status = outcome.status
    direction = outcome.scan.direction
    badge = outcome.badge
    first_at, first_device, reentry = _first_entry(outcome.scan, badge)
    return Verdict(
        status=status.value, tone=tone(status), title=title(status, direction),
        message=reason(status, forum=forum, badge=badge, direction=direction, first_checked_in_at=first_at,
                       first_checked_in_device=first_device, reentry=reentry, now=now),
        direction=direction.value,
        first_checked_in_at=first_at.isoformat() if first_at else None,
        first_checked_in_local=local_when(first_at, forum, now),
        first_checked_in_device=first_device or "",
    )
