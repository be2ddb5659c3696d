"""The schema and the database under concurrent use: migrations match the models, no lost writes,
capacity holds when organizers approve at the same moment on several workers."""
import threading

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from forum.db import db as _db
from forum.errors import CapacityReached
from forum.registration.models import RegState, Registration
from forum.review import services as review
from tests import factories as f


def test_migrations_produce_exactly_the_models_schema(app, db):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, db.metadata)
    assert diff == []


def _run_threads(n, target):
    errors, barrier = [], threading.Barrier(n)

    def runner(i):
        try:
            barrier.wait(timeout=30)
            target(i)
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_concurrent_writers_never_lose_a_write(app, db):
    """12 threads each submit 5 registrations at once (read-then-write transactions): on SQLite
    this is where stock settings answer 'database is locked'; here every write lands."""
    forum = f.forum(capacity=1000)
    forum_id = forum.id
    db.session.commit()
    db.session.close()  # hold no transaction (on SQLite: no write lock) while the threads run
    from forum.forums.models import Forum
    from forum.registration import services

    def work(i):
        with app.app_context():
            for k in range(5):
                fo = _db.session.get(Forum, forum_id)
                data = f.company_input(1)
                data.delegates[0].email = f"t{i}-{k}@example.org"
                data.contact_email = f"c{i}-{k}@example.org"
                services.submit(fo, data)
                _db.session.commit()
            _db.session.remove()

    errors = _run_threads(12, work)
    assert errors == []
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Registration).where(Registration.forum_id == forum_id))
    assert count == 60


def test_capacity_holds_under_simultaneous_approvals(app, db):
    """12 organizers approve 12 different delegates at the same instant; capacity is 5."""
    forum = f.forum(capacity=5)
    org = f.organizer()
    regs = f.company(forum, 10).delegates + f.company(forum, 2).delegates
    ids, org_id, forum_id = [r.id for r in regs], org.id, forum.id
    db.session.commit()
    db.session.close()
    refused = []

    def work(i):
        with app.app_context():
            from forum.accounts.models import User

            reg = _db.session.get(Registration, ids[i])
            try:
                review.decide(reg, "approve", by=_db.session.get(User, org_id))
                _db.session.commit()
            except CapacityReached:
                _db.session.rollback()
                refused.append(i)
            finally:
                _db.session.remove()

    errors = _run_threads(12, work)
    assert errors == []
    approved = db.session.scalar(sa.select(sa.func.count()).select_from(Registration).where(
        Registration.forum_id == forum_id, Registration.state == RegState.APPROVED))
    assert approved == 5
    assert len(refused) == 7


def test_the_same_registration_decided_twice_at_once_changes_once(app, db):
    forum, org = f.forum(), f.organizer()
    reg = f.registration_(forum)
    reg_id, org_id = reg.id, org.id
    db.session.commit()
    db.session.close()
    outcomes = []

    def work(i):
        with app.app_context():
            from forum.accounts.models import User
            from forum.errors import DomainError

            r = _db.session.get(Registration, reg_id)
            try:
                review.decide(r, "approve", by=_db.session.get(User, org_id))
                _db.session.commit()
                outcomes.append("ok")
            except DomainError as e:
                _db.session.rollback()
                outcomes.append(e.code)
            finally:
                _db.session.remove()

    assert _run_threads(6, work) == []
    assert sorted(outcomes) == ["ok"] + ["same_state"] * 5
    from forum.audit.models import AuditEntry

    changes = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.subject_id == reg_id, AuditEntry.action == "state_change"))
    assert changes == 1


def test_sqlite_is_set_up_for_concurrency(app, db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings; this run is on " + db.engine.dialect.name)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_naive_datetimes_are_refused(db):
    from datetime import datetime

    forum = f.forum()
    forum.starts_at = datetime(2030, 1, 1, 9, 0)
    with pytest.raises(sa.exc.StatementError):
        db.session.flush()
    db.session.rollback()


def test_a_single_use_invitation_is_used_once_when_submissions_arrive_at_once(app, db):
    """8 companies submit the same late-entry invitation at the same instant: exactly one is
    registered; the others are told the link is used up, and nothing of theirs is saved."""
    from forum.registration import services
    from forum.registration.models import CompanyRegistration, LateInvitation

    forum, org = f.forum(phase="late"), f.organizer()
    inv, _token = services.create_invitation(forum, company_name="Toyota", email="a@toyota.jp", by=org)
    inv_id, forum_id = inv.id, forum.id
    inputs = [f.company_input(1) for _ in range(8)]
    db.session.commit()
    db.session.close()
    outcomes = []

    def work(i):
        with app.app_context():
            from forum.errors import DomainError
            from forum.forums.models import Forum

            try:
                services.submit(_db.session.get(Forum, forum_id), inputs[i],
                                invitation=_db.session.get(LateInvitation, inv_id))
                _db.session.commit()
                outcomes.append("ok")
            except DomainError as e:
                _db.session.rollback()
                outcomes.append(e.code)
            finally:
                _db.session.remove()

    assert _run_threads(8, work) == []
    assert sorted(outcomes) == ["invitation_unusable"] * 7 + ["ok"]
    companies = db.session.scalar(sa.select(sa.func.count()).select_from(CompanyRegistration).where(CompanyRegistration.forum_id == forum_id))
    assert companies == 1
