"""What a scanning device downloads to check badges on its own: the forum's public key, the revoked tokens, and
every live badge with whom it names and whether they were inside when the data was made. Never the private key:
only `keys.public_key` is read here.

The offline verdict (forum/static/js/offline-verdict.js, `decide`) takes check_in's steps on this data: a badge
in `delegates` or `team` passes the door, one in `not_approved` is refused, a token in `revoked_tokens` is
refused; `inside` and the first entry answer already_checked_in / not_checked_in. Lean on purpose (a forum has
~450 delegates and a phone downloads this every minute): no position, no e-mail, nothing but what the door shows.
The badges that pass the door carry their token, as pretix's offline data carries its tickets' secrets: a
delegate who left their badge at the hotel is found by name and checked in on the phone, offline too. The
device is the team's (a check-in member's token), and the token is what the badge shows anyway.
"""
from __future__ import annotations

import base64
from datetime import datetime

from forum import clock
from forum.accounts.models import User
from forum.badges import issuing, keys, tokens
from forum.badges.models import Badge
from forum.forums.models import Forum
from forum.registration.models import RegState
from forum.teams import permissions
from forum.teams.models import Permission


def _entry(badge: Badge) -> dict:
    reg = badge.registration
    if reg is not None:
        company = reg.company
        holder = {"full_name": reg.full_name, "latin_name": reg.latin_name, "company": company.legal_name,
                  "company_latin": company.name_en, "country": company.country}
    else:
        holder = {"full_name": badge.user.display_name if badge.user else "", "latin_name": "", "company": "",
                  "company_latin": "", "country": ""}
    return {"badge_id": badge.code, **holder, "category": badge.category, "inside": badge.inside,
            "first_checked_in_at": badge.first_checked_in_at,
            "first_checked_in_device": badge.first_checked_in_device if badge.first_checked_in_at else ""}


def scanner_data(forum: Forum, *, by: User, now: datetime | None = None) -> dict:
    """Needs the check-in permission. Issues the badges approved delegates still lack first (it writes)."""
    permissions.require(by, forum, Permission.CHECKIN)
    issuing.ensure_badges(forum)
    delegates, team, not_approved = [], [], []
    for badge in issuing.live_badges(forum, team=True):  # one query: badges, holders and companies
        reg = badge.registration
        if reg is None:
            team.append({**_entry(badge), "token": badge.token})  # check_in lets a live team badge through
        elif reg.state is RegState.APPROVED:
            delegates.append({**_entry(badge), "token": badge.token})
        else:  # approved once, then put back (e.g. on the waiting list): the badge is live but refused
            not_approved.append({**_entry(badge), "state": reg.state.value})
    return {
        "forum": {"slug": forum.slug, "title": forum.title, "timezone": forum.timezone, "status": forum.status.value},
        "token_version": tokens.VERSION,
        "public_key": base64.b64encode(keys.public_key(forum)).decode("ascii"),
        "public_key_encoding": "base64",
        "revoked_tokens": issuing.revoked_tokens(forum),
        "delegates": delegates,
        "team": team,
        "not_approved": not_approved,
        "generated_at": now or clock.now(),
    }
