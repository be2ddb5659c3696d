"""Register numbers: per forum, sequential (`CAJ-2024-001`, `-002`, ...), never a gap and never a duplicate.

The next number is a counter on the forum's register, read and advanced under the forum's row lock (lock
order: the forum first, as everywhere) in the transaction that creates the document: two organizers recording
at the same moment queue behind each other, and a transaction that fails rolls its increment back with it.
A unique constraint on (forum, number) backs the rule. Documents are never deleted, so numbers stay dense.
"""
from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from flask_babel import gettext as _

from forum.db import db
from forum.documents.models import Document, DocumentRegister
from forum.errors import InvalidInput
from forum.forums.models import Forum
from forum.languages import CODES
from forum.registration.states import lock_forum

PREFIX_MAX = 20
PREFIX_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,19}$")
DIGITS = 3  # CAJ-2024-017; the number grows past 999 with more digits


def reference(prefix: str, number: int) -> str:
    return f"{prefix}-{number:0{DIGITS}d}"


def default_prefix(forum: Forum) -> str:
    """The initials of the forum's slug words and its year: `central-asia-japan` in 2024 gives `CAJ-2024`."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", unicodedata.normalize("NFKD", forum.slug)) if w]
    initials = "".join(w[0] for w in words).upper()[:6] or "DOC"
    return f"{initials}-{forum.local(forum.starts_at).year}"


def clean_prefix(text: str) -> str:
    """An organizer's prefix: upper-cased; letters A-Z, digits and hyphens; at most 20 characters."""
    prefix = (text or "").strip().upper()
    if not PREFIX_PATTERN.fullmatch(prefix) or prefix.endswith("-"):
        raise InvalidInput(_("Use 1 to 20 letters A–Z, digits and hyphens, not ending in a hyphen, "
                             "for example CAJ-2024."), code="invalid_prefix", field="prefix")
    return prefix


def register_of(forum: Forum) -> DocumentRegister | None:
    return db.session.scalar(sa.select(DocumentRegister).where(DocumentRegister.forum_id == forum.id))


def ensure_register(forum: Forum) -> DocumentRegister:
    """The forum's register, created with the default prefix and the forum's languages when missing.

    Call it under the forum's lock when two requests could both create it (assign does)."""
    reg = register_of(forum)
    if reg is None:
        reg = DocumentRegister(forum_id=forum.id, prefix=default_prefix(forum), next_number=1,
                               languages=list(CODES))  # the interface languages: a fair first guess
        db.session.add(reg)
        db.session.flush()
    return reg


def assign(doc: Document, forum: Forum) -> None:
    """Give `doc` (new, not yet numbered) the forum's next register number, under the forum's lock."""
    lock_forum(forum.id)
    reg = ensure_register(forum)
    db.session.refresh(reg)  # the counter as committed by whoever held the lock before us
    doc.forum_id = forum.id
    doc.number = reg.next_number
    doc.reference = reference(reg.prefix, reg.next_number)
    reg.next_number = reg.next_number + 1
    db.session.add(doc)
    db.session.flush()
