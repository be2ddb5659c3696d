"""Shared by the register's listing, detail and export tests: a forum's documents with their search keys."""
from __future__ import annotations

from forum import clock
from forum.documents import records
from forum.documents.models import Document


def keyed(doc: Document) -> Document:
    """The search key the records service stores (records.reindex); the factory writes straight to the tables and
    leaves it empty."""
    records.reindex(doc)
    return doc


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
