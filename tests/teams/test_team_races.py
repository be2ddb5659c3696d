"""Races on PostgreSQL: two people taking each other's rights at the same moment never leave nobody in charge.

- two managers of a forum, each demoting (or removing) the other at once: one of them keeps manage;
- two site administrators, each unmaking the other at once: one of them stays an administrator.

Real threads, real row locks (the forum row for a team; the administrators' rows for administrators).
They skip on SQLite, where one writer at a time (BEGIN IMMEDIATE) serialises everything.
"""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from forum.accounts import administration
from forum.accounts.models import User
from forum.db import db as _db
from forum.errors import DomainError
from forum.teams import services as teams
from forum.teams.models import TeamMember
from tests import factories as f
from tests.test_races import ROUNDS, _release, _threads


@pytest.fixture()
def pg(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a race on PostgreSQL row locks; this run is on " + db.engine.dialect.name)
    return db


def _at_once(app, work_for_each: list) -> list[str]:
    """Run each callable in its own thread and app context after a barrier; the refusal codes, in order."""
    barrier, refused = threading.Barrier(len(work_for_each)), []

    def work(i):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                work_for_each[i]()
                _db.session.commit()
            except DomainError as e:
                _db.session.rollback()
                refused.append(e.code)
            finally:
                _db.session.remove()

    assert _threads(len(work_for_each), work) == []
    return refused


@pytest.mark.parametrize("how", ["demote", "remove"])
def test_two_managers_taking_manage_from_each_other_at_once_leave_one(app, pg, how):
    for round_ in range(ROUNDS):
        forum = f.forum()
        a, b = f.member(forum, "manage"), f.member(forum, "manage")
        ids = {u.id: pg.session.scalar(sa.select(TeamMember.id).where(TeamMember.user_id == u.id)) for u in (a, b)}
        pairs = [(a.id, ids[b.id]), (b.id, ids[a.id])]  # (who acts, whose membership)
        forum_id = forum.id
        _release(pg)

        def act(by_id, member_id):
            def run():
                by, member = _db.session.get(User, by_id), _db.session.get(TeamMember, member_id)
                if how == "demote":
                    teams.change_member(member, ["review"], by=by)
                else:
                    teams.revoke(member, by=by)
            return run

        refused = _at_once(app, [act(*p) for p in pairs])
        managers = pg.session.scalar(sa.select(sa.func.count()).select_from(TeamMember).where(
            TeamMember.forum_id == forum_id, TeamMember.manage.is_(True)))
        # The second to get the lock finds either no other manager, or that it is no longer one itself.
        assert managers == 1, f"round {round_}: {managers} managers left"
        assert len(refused) == 1 and refused[0] in ("last_manager", "forbidden"), refused


def test_two_administrators_unmaking_each_other_at_once_leave_one(app, pg):
    for round_ in range(ROUNDS):
        pg.session.execute(sa.update(User).values(is_admin=False))
        a, b = f.organizer(), f.organizer()
        a_id, b_id = a.id, b.id
        _release(pg)

        def unmake(by_id, whom_id):
            def run():
                administration.set_admin(_db.session.get(User, whom_id), False, by=_db.session.get(User, by_id))
            return run

        refused = _at_once(app, [unmake(a_id, b_id), unmake(b_id, a_id)])
        admins = pg.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.is_admin.is_(True)))
        assert admins == 1, f"round {round_}: {admins} administrators left"
        assert refused == ["not_admin"]


def test_a_manager_demoted_while_waiting_for_the_lock_is_refused(app, pg):
    """A demotes B while B demotes C: if A's change goes first, B no longer manages and is refused."""
    from forum.audit.models import AuditEntry

    for round_ in range(ROUNDS * 2):
        forum = f.forum()
        a, b, c = (f.member(forum, "manage") for _ in range(3))
        ids = {u.id: pg.session.scalar(sa.select(TeamMember.id).where(TeamMember.user_id == u.id)) for u in (a, b, c)}
        a_id, b_id, c_id, forum_id = a.id, b.id, c.id, forum.id
        _release(pg)

        def demote(by_id, member_id):
            def run():
                teams.change_member(_db.session.get(TeamMember, member_id), ["review"],
                                    by=_db.session.get(User, by_id))
            return run

        refused = _at_once(app, [demote(a_id, ids[b_id]), demote(b_id, ids[c_id])])
        changes = pg.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.forum_id == forum_id, AuditEntry.action == "member_changed").order_by(AuditEntry.id)).all()
        by_actor = [e.actor_id for e in changes]
        # Either B went first (both changes stand, B's entry first), or A went first and B was refused.
        assert by_actor in ([b_id, a_id], [a_id]), f"round {round_}: {by_actor}, refused {refused}"
        assert refused == ([] if by_actor == [b_id, a_id] else ["forbidden"])
