"""A substitution and an approval at the same moment on PostgreSQL, with real threads: the forum never holds
more approved delegates than its capacity, and the substitute never takes a second place.

Skipped on SQLite, where one writer at a time (BEGIN IMMEDIATE) serialises everything.
"""
from __future__ import annotations

import random
import threading
import time

import pytest
import sqlalchemy as sa

from forum.accounts.models import User
from forum.db import db as _db
from forum.errors import DomainError
from forum.registration import states, substitution
from forum.registration.models import RegState, Registration
from forum.registration.substitution import SubstituteInput
from forum.review import services as review
from tests import factories as f

ROUNDS = 8


@pytest.fixture()
def pg(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a race on PostgreSQL row locks; this run is on " + db.engine.dialect.name)
    return db


def _threads(n, target, timeout=120):
    errors, barrier = [], threading.Barrier(n)

    def runner(i):
        try:
            barrier.wait(timeout=30)
            time.sleep(random.uniform(0, 0.02))
            target(i)
        except Exception as e:  # noqa: BLE001 - collected and asserted by the caller
            errors.append(e)

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


@pytest.mark.parametrize("free_places", [0, 1])
def test_substituting_an_approved_delegate_while_others_are_approved_never_exceeds_capacity(app, pg, free_places):
    """Full (or one place free), several approvals of pending delegates race a substitution of an approved one:
    afterwards approved == capacity at most, the substitution went through, and exactly `free_places` of the
    approvals won."""
    for round_ in range(ROUNDS):
        capacity = 3
        forum, org = f.forum(capacity=capacity), f.organizer()
        approved = f.company(forum, capacity - free_places)
        for reg in approved.delegates:
            states.transition(reg, RegState.APPROVED, by=org)
        waiting = [f.registration_(forum) for _ in range(3)]
        forum_id, org_id, contact_id = forum.id, org.id, approved.contact_user_id
        old_id, waiting_ids = approved.delegates[0].id, [r.id for r in waiting]
        pg.session.commit()
        pg.session.close()
        outcomes: list[str] = []

        def work(i):
            with app.app_context():
                try:
                    if i == 0:
                        substitution.substitute(
                            _db.session.get(Registration, old_id),
                            SubstituteInput(full_name="Colleague", latin_name="COLLEAGUE", email=f"c{round_}@x.example"),
                            by=_db.session.get(User, contact_id))
                        outcome = "substituted"
                    else:
                        review.decide(_db.session.get(Registration, waiting_ids[i - 1]), "approve",
                                      by=_db.session.get(User, org_id))
                        outcome = "approved"
                    _db.session.commit()
                    outcomes.append(outcome)
                except DomainError as e:
                    _db.session.rollback()
                    outcomes.append(e.code)
                finally:
                    _db.session.remove()

        assert _threads(1 + len(waiting_ids), work) == []
        approved_now = pg.session.scalar(sa.select(sa.func.count()).select_from(Registration).where(
            Registration.forum_id == forum_id, Registration.state == RegState.APPROVED))
        assert approved_now == capacity, f"round {round_}: {approved_now} approved of {capacity}"
        assert "substituted" in outcomes, outcomes
        assert outcomes.count("approved") == free_places, outcomes
        assert outcomes.count("capacity_reached") == len(waiting_ids) - free_places, outcomes
        old = pg.session.get(Registration, old_id)
        assert old.state is RegState.WITHDRAWN and old.substituted_by.state is RegState.APPROVED
        pg.session.close()


def test_two_substitutions_of_one_delegate_at_once_give_one_substitute(app, pg):
    for round_ in range(ROUNDS):
        forum, org = f.forum(capacity=5), f.organizer()
        c = f.company(forum, 1)
        states.transition(c.delegates[0], RegState.APPROVED, by=org)
        forum_id, old_id, contact_id = forum.id, c.delegates[0].id, c.contact_user_id
        pg.session.commit()
        pg.session.close()
        outcomes: list[str] = []

        def work(i):
            with app.app_context():
                try:
                    substitution.substitute(
                        _db.session.get(Registration, old_id),
                        SubstituteInput(full_name=f"Colleague {i}", latin_name=f"COLLEAGUE {i}",
                                        email=f"r{round_}-{i}@x.example"),
                        by=_db.session.get(User, contact_id))
                    _db.session.commit()
                    outcomes.append("substituted")
                except DomainError as e:
                    _db.session.rollback()
                    outcomes.append(e.code)
                finally:
                    _db.session.remove()

        assert _threads(3, work) == []
        assert sorted(outcomes) == ["not_active", "not_active", "substituted"], outcomes
        regs = pg.session.scalars(sa.select(Registration).where(Registration.forum_id == forum_id)).all()
        assert sorted(r.state.value for r in regs) == ["approved", "withdrawn"]
        pg.session.close()


def test_two_corrections_to_the_same_address_at_once_give_one_winner_and_one_field_error(app, pg):
    from forum.registration import corrections
    from forum.registration.corrections import CorrectionError, CorrectionInput

    for round_ in range(ROUNDS):
        forum = f.forum(capacity=5)
        c = f.company(forum, 2)
        forum_id, contact_id, ids = forum.id, c.contact_user_id, [r.id for r in c.delegates]
        pg.session.commit()
        pg.session.close()
        outcomes: list[str] = []
        address = f"same{round_}@x.example"

        def work(i):
            with app.app_context():
                try:
                    reg = _db.session.get(Registration, ids[i])
                    data = CorrectionInput.of(reg)
                    data.email = address
                    corrections.correct(reg, data, by=_db.session.get(User, contact_id))
                    _db.session.commit()
                    outcomes.append("corrected")
                except CorrectionError as e:
                    _db.session.rollback()
                    outcomes.append(e.errors.get("email", "?")[:30])
                finally:
                    _db.session.remove()

        assert _threads(2, work) == []
        assert sorted(outcomes) == sorted(["corrected", "This address is already regist"]), outcomes
        emails = pg.session.scalars(sa.select(Registration.email).where(Registration.forum_id == forum_id)).all()
        assert emails.count(address) == 1
        pg.session.close()
