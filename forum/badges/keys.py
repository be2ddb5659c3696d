"""Each forum's badge key pair: made the first time a forum needs it, exactly once even when two
requests need it at the same moment (the unique forum_id decides; the loser reads the winner's)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import g, has_request_context
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
    """What a scanner needs to verify this forum's badges. Within a request, from the memo a caller that loaded
    the key with the forum left (`remember_public_key`: the API's check-in, one query fewer per scan)."""
    if has_request_context():
        known = g.get("_forum_public_keys", {}).get(forum.id)
        if known is not None:
            return known
    return key_pair(forum).public


def remember_public_key(forum_id: int, public: bytes | None) -> None:
    """Note for this request the public key a caller read anyway (None: the forum has none yet)."""
    if public is not None and has_request_context():
        g.setdefault("_forum_public_keys", {})[forum_id] = public


def is_genuine_elsewhere(code: str | None) -> bool:
    """Whether a token that names another forum's key is genuinely signed by a forum of this site: only then
    is it "wrong_forum"; a made-up token with a foreign tag is just "invalid". Forums are few: each stored
    public key whose tag matches is tried."""
    try:
        parsed = tokens.parse(code)
    except tokens.TokenError:
        return False
    for public in db.session.scalars(sa.select(ForumKey.public_key)):
        if tokens.forum_tag(public) == parsed.forum_tag:
            try:
                tokens.verify(public, code)
            except tokens.TokenError:
                continue
            return True
    return False
