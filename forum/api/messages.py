"""A check-in result in plain words, for the API's `message`.

A stand-in: the scanner page's helper is writing forum/checkin/messages.py (one wording for the page and
the API). When it lands, `message` here should become a call to it.
"""
from __future__ import annotations

from flask_babel import gettext as _

from forum.checkin.models import Direction, Result
from forum.checkin.services import Outcome
from forum.forums.models import Forum
from forum.templating import local_datetime_zoned


def message(forum: Forum, outcome: Outcome) -> str:
    status = outcome.status
    if status is Result.OK:
        return _("Exit recorded.") if outcome.scan.direction is Direction.OUT else _("Welcome: checked in.")
    if status is Result.ALREADY_CHECKED_IN:
        when = local_datetime_zoned(outcome.first_checked_in_at, forum)
        if outcome.first_checked_in_device:
            return _("Already checked in: first entry %(when)s at %(device)s.", when=when,
                     device=outcome.first_checked_in_device)
        return _("Already checked in: first entry %(when)s.", when=when)
    return {
        Result.NOT_CHECKED_IN: _("Not checked in: there is no entry to record an exit for."),
        Result.INVALID: _("Not a valid badge: the code is unreadable, forged, or was never issued here."),
        Result.REVOKED: _("This badge was revoked (replaced by a newer one, or the registration was withdrawn)."),
        Result.NOT_APPROVED: _("The registration of this badge is not approved."),
        Result.WRONG_FORUM: _("This badge is for another forum."),
        Result.FORUM_CANCELLED: _("This forum is cancelled."),
    }[status]
