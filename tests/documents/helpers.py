"""Shared by the register's listing, detail and export tests: a forum's documents with their search keys."""
from __future__ import annotations

import threading

import pytest

from forum import clock
from forum.db import db as _db
from forum.documents import records
from forum.documents.models import Document
from forum.errors import DomainError


def keyed(doc: Document) -> Document:
    """The search key the records service stores (records.reindex); the factory writes straight to the tables and
    leaves it empty."""
    records.reindex(doc)
    return doc


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


def withdraw(doc: Document, reason: str) -> Document:
    doc.withdrawn_at = clock.now()
    doc.withdrawn_reason = reason
    return doc


JP = dict(organisation="株式会社青葉商事", country="JP", kind="private_company", signatory_name="青葉 太郎",
          signatory_position="代表取締役")
KZ = dict(organisation="Қазақстан сауда-өнеркәсіп палатасы", country="KZ", kind="association",
          signatory_name="Әлихан Сәрсенов", signatory_position="Төраға")
UZ = dict(organisation="Oʻzbekiston savdo-sanoat palatasi", country="UZ", kind="association",
          signatory_name="Gʻayrat Oʻrinboyev", signatory_position="Rais oʻrinbosari")
