"""What counts in a forum's public tally of documents exchanged: the one rule, stated on the public page.

A document counts when the organizers marked it to count, it was exchanged (the ceremony's tap, or recorded as
exchanged), and it is not withdrawn. A confidential document that counts is counted but never listed publicly;
a document with its value withheld is listed without its value.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import combinations

import sqlalchemy as sa

from forum.db import db
from forum.documents.models import Confidentiality, DocKind, Document, DocumentParty


def counted() -> sa.ColumnElement[bool]:
    """The SQL condition of a document that counts in the public tally."""
    return sa.and_(Document.counts_in_tally.is_(True), Document.exchanged_at.is_not(None),
                   Document.withdrawn_at.is_(None))


def publicly_listed() -> sa.ColumnElement[bool]:
    """The SQL condition of a document anyone may see listed (the public page, the API without a token)."""
    return sa.and_(counted(), Document.confidentiality != Confidentiality.CONFIDENTIAL)


def counts(doc: Document) -> bool:
    """`counted()` for one loaded document (the same rule, in Python)."""
    return bool(doc.counts_in_tally and doc.exchanged_at is not None and doc.withdrawn_at is None)


def is_publicly_listed(doc: Document) -> bool:
    return counts(doc) and doc.confidentiality is not Confidentiality.CONFIDENTIAL


def value_is_public(doc: Document) -> bool:
    return doc.confidentiality is Confidentiality.PUBLIC


@dataclass(frozen=True)
class Summary:
    """What the public tally says: how many documents count, by type, by country pair and by sector.

    A country pair is two different countries among one document's parties, sorted ("JP", "KZ"); a document
    with three parties from three countries adds one to each of its three pairs; two parties of one country
    make no pair. A document with two sectors adds one to each. Largest first, then by code."""

    total: int
    by_kind: list[tuple[DocKind, int]]
    by_pair: list[tuple[tuple[str, str], int]]
    by_sector: list[tuple[str, int]]


def summary(forum_id: int, condition: sa.ColumnElement[bool] | None = None) -> Summary:
    """The tally of the forum's documents that count (or that meet `condition`, for the team's own view)."""
    where = sa.and_(Document.forum_id == forum_id, counted() if condition is None else condition)
    rows = db.session.execute(sa.select(Document.id, Document.kind, Document.sectors).where(where)).all()
    ids = [r.id for r in rows]
    countries: dict[int, set[str]] = {i: set() for i in ids}
    if ids:
        for doc_id, country in db.session.execute(
                sa.select(DocumentParty.document_id, DocumentParty.country)
                .where(DocumentParty.document_id.in_(sa.select(Document.id).where(where)))):
            countries[doc_id].add(country)
    kinds = Counter(r.kind for r in rows)
    sectors = Counter(s for r in rows for s in set(r.sectors or ()))
    pairs = Counter(pair for cs in countries.values() for pair in combinations(sorted(cs), 2))

    def ordered(counter):
        return sorted(counter.items(), key=lambda kv: (-kv[1], str(getattr(kv[0], "value", kv[0]))))

    return Summary(total=len(rows), by_kind=ordered(kinds), by_pair=ordered(pairs), by_sector=ordered(sectors))
