"""Races with real threads (PostgreSQL's row locks: SQLite serialises every writer, so these races skip there)."""
from __future__ import annotations

import threading

import pytest

from forum.db import db as _db
from forum.errors import DomainError


def postgres_only(db) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a race on PostgreSQL row locks; this run is on " + db.engine.dialect.name)


def race(app, n: int, work) -> tuple[list[Exception], list[str]]:
    """Run work(i) in n threads at once (a barrier), each in its own app context and session, committing what it
    did; returns the unexpected exceptions and the codes of the DomainErrors (rolled back)."""
    barrier, errors, codes = threading.Barrier(n), [], []

    def runner(i):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                work(i)
                _db.session.commit()
            except DomainError as e:
                _db.session.rollback()
                codes.append(e.code)
            except Exception as e:  # noqa: BLE001 - returned to the caller, who asserts on them
                errors.append(e)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors, codes
