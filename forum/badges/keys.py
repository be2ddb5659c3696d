"""Each forum's badge key pair: made the first time a forum needs it, exactly once even when two
requests need it at the same moment (the unique forum_id decides; the loser reads the winner's)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from forum.badges import tokens
from forum.badges.models import ForumKey
from forum.db import db
from forum.forums.models import Forum


def _stored(forum_id: int) -> ForumKey | None:
    return db.session.scalar(sa.select(ForumKey).where(ForumKey.forum_id == forum_id))


def key_pair(forum: Forum) -> tokens.KeyPair:
    """The forum's key pair, created (and flushed) when it has none yet."""
    row = _stored(forum.id)
    if row is None:
        fresh = tokens.new_key_pair()
        try:
            with db.session.begin_nested():
                db.session.add(ForumKey(forum_id=forum.id, public_key=fresh.public, private_key=fresh.private))
        except IntegrityError:
            pass  # another transaction made it a moment ago: its key is the forum's
        row = _stored(forum.id)
    return tokens.KeyPair(private=row.private_key, public=row.public_key)


def public_key(forum: Forum) -> bytes:
    """What a scanner needs to verify this forum's badges."""
    return key_pair(forum).public
