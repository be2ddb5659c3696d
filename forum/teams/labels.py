"""What each permission is called and allows, in the reader's language (pages and e-mails)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from forum.teams.models import Permission

LABELS = {
    Permission.MANAGE: _l("Manage"),
    Permission.REVIEW: _l("Review"),
    Permission.CHECKIN: _l("Check-in"),
    Permission.DOCUMENTS: _l("Documents"),
    Permission.B2B: _l("B2B meetings"),
}
HELP = {
    Permission.MANAGE: _l("everything for this forum: settings, team, mail, cancellation, and all below"),
    Permission.REVIEW: _l("registrations, late entries, invitations, exports"),
    Permission.CHECKIN: _l("the door: checking delegates in"),
    Permission.DOCUMENTS: _l("the register of documents"),
    Permission.B2B: _l("B2B meetings between companies"),
}


def permission_label(p: Permission | str) -> str:
    return str(LABELS[Permission(p)])


def permission_help(p: Permission | str) -> str:
    return str(HELP[Permission(p)])
