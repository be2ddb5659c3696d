"""From whatever a badge's QR code or a person gave (the /b/<token> URL, the bare token, any case) to the
forum and the badge it names, for the page the QR code opens.

The token names its forum by a tag of the forum's public key, not by an id: the forum is the one whose
stored public key has that tag and whose signature checks. Forums are few, so their public keys are
read in one query and the tags computed here. Nothing is created: a forum without a key has issued no
badge.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from forum.badges import tokens
from forum.badges.models import Badge, ForumKey
from forum.db import db
from forum.forums.models import Forum, ForumStatus
from forum.registration.models import RegState, Registration


@dataclass(frozen=True)
class Found:
    forum: Forum
    badge: Badge  # live or revoked: the page decides what to say

    @property
    def is_valid(self) -> bool:
        """What the public may be told: a live badge of an approved delegate (or of the team) of a public
        forum. Revoked, not approved, a draft or cancelled forum's: "not a valid badge", like a forged one."""
        badge, reg = self.badge, self.badge.registration
        if not badge.is_live or not self.forum.is_public or self.forum.status is ForumStatus.CANCELLED:
            return False
        return reg is None or reg.state is RegState.APPROVED


def find(code: str | None) -> Found | None:
    """The forum and badge a genuine token names, or None (garbage, bad signature, unknown forum, a badge
    the forum never issued). Two queries: the public keys, then the badge with its holder."""
    try:
        parsed = tokens.parse(code)
    except tokens.TokenError:
        return None
    for forum_id, public in db.session.execute(sa.select(ForumKey.forum_id, ForumKey.public_key)):
        if tokens.forum_tag(public) != parsed.forum_tag:
            continue
        try:
            badge_id = tokens.verify(public, code)
        except tokens.TokenError:
            continue  # a forged signature (or, once in four billion, another forum with the same tag)
        badge = db.session.scalar(
            sa.select(Badge)
            .options(joinedload(Badge.forum), joinedload(Badge.user),
                     joinedload(Badge.registration).joinedload(Registration.company))
            .where(Badge.forum_id == forum_id, Badge.code == badge_id.hex())
        )
        if badge is not None:
            return Found(forum=badge.forum, badge=badge)
    return None

