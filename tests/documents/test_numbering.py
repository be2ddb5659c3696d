"""Register numbers (documents.numbering): per forum, sequential, no gaps, no duplicates, also when many
organizers record at the same moment (raced with real threads on PostgreSQL)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from forum.db import db as _db
from forum.documents import numbering
from forum.documents.models import Document, DocumentRegister
from forum.errors import DomainError
from forum.forums.models import Forum
from tests import factories as f
from tests.concurrency import postgres_only, race


def test_numbers_run_per_forum_from_one_with_the_prefix_from_the_slug_and_year(db):
    a = f.forum(slug="central-asia-japan")
    b = f.forum(slug="tashkent-forum")
    year = a.local(a.starts_at).year
    d1, d2 = f.document(a), f.document(a)
    e1 = f.document(b)
    assert (d1.number, d2.number, e1.number) == (1, 2, 1)
    assert d1.reference == f"CAJ-{year}-001" and d2.reference == f"CAJ-{year}-002"
    assert e1.reference == f"TF-{b.local(b.starts_at).year}-001"
    assert numbering.register_of(a).next_number == 3


def test_the_reference_grows_past_three_digits():
    assert numbering.reference("CAJ-2024", 17) == "CAJ-2024-017"
    assert numbering.reference("X", 1234) == "X-1234"


def test_a_changed_prefix_applies_to_new_numbers_and_old_ones_keep_theirs(db):
    forum = f.forum(slug="central-asia-japan")
    first = f.document(forum)
    numbering.register_of(forum).prefix = "CAJ-2024"
    second = f.document(forum)
    assert first.reference.startswith("CAJ-2") and first.reference != "CAJ-2024-001"
    assert second.reference == "CAJ-2024-002"


@pytest.mark.parametrize("text, expected", [("caj-2024", "CAJ-2024"), (" ASTANA ", "ASTANA"), ("A1", "A1")])
def test_a_prefix_is_upper_cased_and_trimmed(text, expected):
    assert numbering.clean_prefix(text) == expected


@pytest.mark.parametrize("text", ["", "-CAJ", "CAJ-", "CAJ 2024", "КАЖ-2024", "A" * 21, "CAJ/2024"])
def test_a_bad_prefix_is_refused(text):
    with pytest.raises(DomainError) as e:
        numbering.clean_prefix(text)
    assert e.value.code == "invalid_prefix" and e.value.field == "prefix"


def test_the_database_refuses_a_duplicate_number_in_one_forum(db):
    forum = f.forum()
    doc = f.document(forum)
    twin = f.document(forum)
    twin.number = doc.number
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_failed_transaction_leaves_no_gap(db):
    forum = f.forum()
    f.document(forum)
    db.session.commit()
    f.document(forum)
    db.session.rollback()  # the second never happened: its number is free again
    third = f.document(db.session.get(Forum, forum.id))
    assert third.number == 2


# --- the race on PostgreSQL ----------------------------------------------------------------------------------

def test_concurrent_recording_gives_dense_unique_numbers(app, db):
    postgres_only(db)
    forum = f.forum(slug="central-asia-japan")
    f.document(forum)  # the register exists; and one document made before the race
    forum_id = forum.id
    db.session.commit()
    n = 12
    errors, codes = race(app, n, lambda i: f.document(_db.session.get(Forum, forum_id),
                                                      titles={"en": f"Agreement {i}"}))
    assert errors == [] and codes == []
    numbers = sorted(db.session.scalars(sa.select(Document.number).where(Document.forum_id == forum_id)))
    assert numbers == list(range(1, n + 2))
    refs = db.session.scalars(sa.select(Document.reference).where(Document.forum_id == forum_id)).all()
    assert len(set(refs)) == n + 1
    assert db.session.scalar(sa.select(DocumentRegister.next_number)
                             .where(DocumentRegister.forum_id == forum_id)) == n + 2


def test_concurrent_first_documents_create_one_register(app, db):
    postgres_only(db)
    forum_id = f.forum().id
    db.session.commit()
    errors, codes = race(app, 6, lambda i: f.document(_db.session.get(Forum, forum_id)))
    assert errors == [] and codes == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DocumentRegister)
                             .where(DocumentRegister.forum_id == forum_id)) == 1
    assert sorted(db.session.scalars(sa.select(Document.number).where(Document.forum_id == forum_id))) == [1, 2, 3, 4, 5, 6]
