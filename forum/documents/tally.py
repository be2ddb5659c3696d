"""What counts in a forum's public tally of documents exchanged: the one rule, stated on the public page.

A document counts when the organizers marked it to count, it was exchanged (the ceremony's tap, or recorded as
exchanged), and it is not withdrawn. A confidential document that counts is counted but never listed publicly;
a document with its value withheld is listed without its value.
"""
from __future__ import annotations

import sqlalchemy as sa

from forum.documents.models import Confidentiality, Document


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
