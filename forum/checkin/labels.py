"""The result codes of a scan in plain words, and their colour: green, amber or red.

The dashboard and the badge page (/b/<token>) use these. The scanner page has its own messages
(checkin/messages.py, on another branch): when both are merged, one of them should go.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from forum.badges.models import RevokeReason
from forum.checkin.models import Direction, Result

# Bootstrap's colour names: success = green (admitted), warning = amber (look again), danger = red (refused).
TONES = {
    Result.OK: "success",
    Result.ALREADY_CHECKED_IN: "warning",
    Result.NOT_CHECKED_IN: "warning",
    Result.INVALID: "danger",
    Result.REVOKED: "danger",
    Result.NOT_APPROVED: "danger",
    Result.WRONG_FORUM: "danger",
    Result.FORUM_CANCELLED: "danger",
}

_LABELS = {
    Result.OK: _l("Checked in"),
    Result.ALREADY_CHECKED_IN: _l("Already checked in"),
    Result.NOT_CHECKED_IN: _l("Not checked in"),
    Result.INVALID: _l("Invalid code"),
    Result.REVOKED: _l("Revoked"),
    Result.NOT_APPROVED: _l("Not approved"),
    Result.WRONG_FORUM: _l("Another forum's badge"),
    Result.FORUM_CANCELLED: _l("Forum cancelled"),
}

_EXPLANATIONS = {
    Result.OK: _l("Welcome: the entry is recorded."),
    Result.ALREADY_CHECKED_IN: _l("This badge is already inside: it was checked in before and not checked out."),
    Result.NOT_CHECKED_IN: _l("An exit was scanned, but this badge is not inside."),
    Result.INVALID: _l("Not a badge of this forum: unreadable, forged, or never issued."),
    Result.REVOKED: _l("This badge is no longer valid."),
    Result.NOT_APPROVED: _l("This delegate's registration is not approved."),
    Result.WRONG_FORUM: _l("A genuine badge, but for another forum."),
    Result.FORUM_CANCELLED: _l("The forum has been cancelled: nobody is checked in."),
}

_REVOKED_BECAUSE = {
    RevokeReason.REISSUED: _l("Replaced by a newer badge."),
    RevokeReason.REJECTED: _l("The registration was rejected."),
    RevokeReason.WITHDRAWN: _l("The registration was withdrawn."),
    RevokeReason.CANCELLED: _l("The registration was cancelled."),
    RevokeReason.LEFT_TEAM: _l("The holder has left the forum's team."),
    RevokeReason.MANUAL: _l("Revoked by an organizer."),
}


_TEAM = {"organizer": _l("Organizer"), "staff": _l("Staff")}


def badge_category(value: str) -> str:
    """The band of a badge in words: a delegate category (Delegate, Speaker, Press, VIP), Organizer or Staff."""
    from forum.registration import choices

    return str(_TEAM[value]) if value in _TEAM else choices.category_label(value)


def _result(result: Result | str) -> Result:
    return result if isinstance(result, Result) else Result(result)


def label(result: Result | str, direction: Direction | str | None = None) -> str:
    """A short label: "Checked in", "Revoked", "Invalid code" ... ("Checked out" for an admitted exit)."""
    result = _result(result)
    if result is Result.OK and direction in (Direction.OUT, Direction.OUT.value):
        return str(_l("Checked out"))
    return str(_LABELS[result])


def explain(result: Result | str) -> str:
    """One sentence saying what the result means for the person at the door."""
    return str(_EXPLANATIONS[_result(result)])


def tone(result: Result | str) -> str:
    """success (green), warning (amber) or danger (red): the verdict's colour, as on the scanner."""
    return TONES[_result(result)]


def revoked_because(reason: RevokeReason | None) -> str:
    return str(_REVOKED_BECAUSE[reason]) if reason is not None else ""
