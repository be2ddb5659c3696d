"""The waiting list under concurrent use, on PostgreSQL (issue 7: two places freeing at once, each offered once).

Two approved delegates withdraw at the same moment, with three on the waiting list: exactly the first two
waitlisted are promoted, each once; the capacity is never exceeded. It holds because the promotion runs
inside transition(), under the forum lock the withdrawal took (registration.waitlist): without that lock
both withdrawals read the same waiting list and promote its first delegate twice.

The threaded tests skip on SQLite, where one writer at a time (BEGIN IMMEDIATE) serialises everything.
"""
from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from forum import clock
from forum.accounts.models import User
from forum.audit.models import AuditEntry
from forum.db import db as _db
from forum.forums.models import WaitlistMode
from forum.notifications.models import OutboxMessage
from forum.registration import states
from forum.registration.models import RegState, Registration
from forum.review import services as review
from tests import factories as f
from tests.test_races import ROUNDS, _release, _threads, pg  # noqa: F401 - pg is a fixture used below


def _forum_with_a_waiting_list(*, capacity: int, approved: int, waiting: int, mode=WaitlistMode.AUTO):
    forum, org = f.forum(capacity=capacity), f.organizer()
    forum.waitlist_mode = mode
    ok = [f.registration_(forum) for _ in range(approved)]
    for reg in ok:
        review.decide(reg, "approve", by=org)
    base = clock.now() - timedelta(days=1)
    wait = [f.registration_(forum) for _ in range(waiting)]
    for i, reg in enumerate(wait):
        states.transition(reg, RegState.WAITLISTED, by=org, now=base + timedelta(minutes=i))
    return forum.id, org.id, [r.id for r in ok], [r.id for r in wait]


def _withdraw_at_once(app, org_id: int, reg_ids: list[int]) -> list[Exception]:
    from forum.registration import services

    barrier = threading.Barrier(len(reg_ids))

    def work(i):
        with app.app_context():
            try:
                reg, by = _db.session.get(Registration, reg_ids[i]), _db.session.get(User, org_id)
                barrier.wait(timeout=30)
                services.withdraw(reg, by=by)  # no retry: the lock order (forum first) leaves no deadlock
                _db.session.commit()
            finally:
                _db.session.remove()

    return _threads(len(reg_ids), work)


def _promotions(db, forum_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(AuditEntry.subject_id).where(
        AuditEntry.forum_id == forum_id, AuditEntry.action == "state_change",
        AuditEntry.from_state == "waitlisted", AuditEntry.to_state == "approved").order_by(AuditEntry.id)))


def test_two_withdrawals_at_once_promote_the_first_two_waitlisted_each_once(app, pg):
    for round_ in range(ROUNDS):
        forum_id, org_id, ok, wait = _forum_with_a_waiting_list(capacity=2, approved=2, waiting=3)
        _release(pg)
        assert _withdraw_at_once(app, org_id, ok) == [], f"round {round_}"
        state = {r.id: r.state for r in pg.session.scalars(sa.select(Registration).where(
            Registration.forum_id == forum_id))}
        assert [state[i] for i in ok] == [RegState.WITHDRAWN] * 2
        assert [state[i] for i in wait] == [RegState.APPROVED, RegState.APPROVED, RegState.WAITLISTED], f"round {round_}"
        assert sorted(_promotions(pg, forum_id)) == sorted(wait[:2]), f"round {round_}: promoted twice or the wrong one"
        assert states.approved_count(forum_id) == 2  # never more than the capacity
        told = pg.session.scalars(sa.select(OutboxMessage.to_addr).where(
            OutboxMessage.forum_id == forum_id, OutboxMessage.template == "waitlist_promoted")).all()
        emails = {r.id: r.email for r in pg.session.scalars(sa.select(Registration).where(Registration.id.in_(wait)))}
        assert sorted(a for a in told if a in emails.values()) == sorted([emails[wait[0]], emails[wait[1]]])
        pg.session.rollback()


def test_two_withdrawals_at_once_in_a_forum_that_is_not_full_promote_one_each(app, pg):
    for round_ in range(ROUNDS):
        forum_id, org_id, ok, wait = _forum_with_a_waiting_list(capacity=10, approved=2, waiting=3)
        _release(pg)
        assert _withdraw_at_once(app, org_id, ok) == []
        assert sorted(_promotions(pg, forum_id)) == sorted(wait[:2]), f"round {round_}"
        assert states.approved_count(forum_id) == 2
        pg.session.rollback()


def test_ask_mode_promotes_nobody_even_at_once(app, pg):
    forum_id, org_id, ok, wait = _forum_with_a_waiting_list(capacity=2, approved=2, waiting=3, mode=WaitlistMode.ASK)
    _release(pg)
    assert _withdraw_at_once(app, org_id, ok) == []
    assert _promotions(pg, forum_id) == []
    assert states.approved_count(forum_id) == 0
