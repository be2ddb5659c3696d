"""Each forum's badge key pair: made once, per forum, never shown; tokens signed with it verify with its public key."""
import threading

import pytest
import sqlalchemy as sa

from forum.badges import keys, tokens
from forum.badges.models import ForumKey
from forum.db import db as _db
from tests import factories as f


def test_a_forum_gets_its_key_pair_once_and_keeps_it(db):
    forum = f.forum()
    first = keys.key_pair(forum)
    db.session.commit()
    assert keys.key_pair(forum) == first
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ForumKey)) == 1
    badge = tokens.new_badge_id()
    assert tokens.verify(keys.public_key(forum), tokens.sign(first, badge)) == badge


def test_each_forum_has_its_own_key_and_a_token_of_one_is_wrong_forum_at_the_other(db):
    a, b = f.forum(), f.forum()
    token = tokens.sign(keys.key_pair(a), tokens.new_badge_id())
    assert keys.public_key(a) != keys.public_key(b)
    with pytest.raises(tokens.TokenError) as e:
        tokens.verify(keys.public_key(b), token)
    assert e.value.code == "wrong_forum"


def test_the_private_key_is_not_in_the_rows_repr(db):
    forum = f.forum()
    pair = keys.key_pair(forum)
    row = db.session.scalar(sa.select(ForumKey).where(ForumKey.forum_id == forum.id))
    assert pair.private.hex() not in repr(row) and pair.private.hex()[:16] not in repr(row)


def test_a_key_pair_is_deleted_with_its_forum(db):
    forum = f.forum()
    keys.key_pair(forum)
    db.session.delete(forum)
    db.session.flush()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ForumKey)) == 0


def test_two_requests_needing_the_key_at_once_make_one(app, db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a race on PostgreSQL; this run is on sqlite")
    forum = f.forum()
    db.session.commit()
    forum_id, barrier, got, errors = forum.id, threading.Barrier(6), [], []

    def worker():
        with app.app_context():
            try:
                from forum.forums.models import Forum

                fm = _db.session.get(Forum, forum_id)
                barrier.wait(timeout=30)
                got.append(keys.key_pair(fm).public)
                _db.session.commit()
            except Exception as e:  # noqa: BLE001 - asserted below
                errors.append(e)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ForumKey)) == 1
    assert len(set(got)) == 1 and got[0] == keys.public_key(db.session.get(type(forum), forum_id))
