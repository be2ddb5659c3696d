"""What a scanning device downloads to check badges on its own: the forum's public key, the revoked tokens and
the approved delegates. Never the private key: only `keys.public_key` is read here."""
from __future__ import annotations

import base64
from datetime import datetime

from forum import clock
from forum.accounts.models import User
from forum.badges import issuing, keys, tokens
from forum.forums.models import Forum
from forum.registration.models import RegState
from forum.teams import permissions
from forum.teams.models import Permission


def scanner_data(forum: Forum, *, by: User, now: datetime | None = None) -> dict:
    """Needs the check-in permission. Issues the badges approved delegates still lack first (it writes)."""
    permissions.require(by, forum, Permission.CHECKIN)
    issuing.ensure_badges(forum)
    delegates = []
    for badge in issuing.live_badges(forum):  # one query: badges, registrations and companies
        reg = badge.registration
        if reg.state is not RegState.APPROVED:
            continue
        company = reg.company
        delegates.append({"badge_id": badge.code, "full_name": reg.full_name, "latin_name": reg.latin_name,
                          "company": company.legal_name, "company_latin": company.name_en,
                          "country": company.country, "category": reg.category.value})
    return {
        "forum": {"slug": forum.slug, "title": forum.title, "timezone": forum.timezone, "status": forum.status.value},
        "token_version": tokens.VERSION,
        "public_key": base64.b64encode(keys.public_key(forum)).decode("ascii"),
        "public_key_encoding": "base64",
        "revoked_tokens": issuing.revoked_tokens(forum),
        "delegates": delegates,
        "generated_at": now or clock.now(),
    }
