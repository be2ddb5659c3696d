"""Exporting the registration list: who exported which rows is audited, then the file streams."""
from __future__ import annotations

from typing import Iterator

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db
from forum.forums.models import Forum
from forum.registration import choices
from forum.registration.models import CompanyRegistration, Registration, RegState, Source
from forum.registration.states import state_label
from forum.review import exports, queries

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
YIELD_PER = 1000

# Plain columns in exports.Record's order: for 20,000 rows, building ORM objects costs more than
# the file itself.
_COLUMNS = (
    Registration.id, Registration.state, Registration.is_late, CompanyRegistration.source, Registration.category,
    Registration.full_name, Registration.latin_name, Registration.position, Registration.email, Registration.phone,
    Registration.languages, CompanyRegistration.legal_name, CompanyRegistration.name_en, CompanyRegistration.country,
    CompanyRegistration.city, CompanyRegistration.sector, CompanyRegistration.contact_name,
    CompanyRegistration.contact_email, Registration.created_at, Registration.decision_reason,
)

# The header row in the organizer's language, by the English names of exports.HEADER.
HEADER_LABELS = {
    "ID": _l("ID"), "State": _l("State"), "Late": _l("Late"), "Source": _l("Source"), "Category": _l("Category"),
    "Full name": _l("Full name"), "Name (Latin)": _l("Name (Latin)"), "Position": _l("Position"),
    "E-mail": _l("E-mail"), "Phone": _l("Phone"), "Languages": _l("Languages"), "Company": _l("Company"),
    "Company (English)": _l("Company (English)"), "Country": _l("Country"), "City": _l("City"),
    "Sector": _l("Sector"), "Contact person": _l("Contact person"), "Contact e-mail": _l("Contact e-mail"),
    "Registered (UTC)": _l("Registered (UTC)"), "Rejection reason": _l("Rejection reason"),
}
SOURCE_LABELS = {
    Source.ONLINE: _l("Online form"), Source.LATE_REQUEST: _l("Late request"),
    Source.INVITATION: _l("Invitation"), Source.MANUAL: _l("Added by an organizer"),
}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]  # 'approved' is for sentences; a cell of its own starts with a capital


def labels() -> exports.Labels:
    """Every code the export writes, named in the current language (the organizer's)."""
    return exports.Labels(
        header=tuple(str(HEADER_LABELS[h]) for h in exports.HEADER),
        states={s.value: _capital(state_label(s)) for s in RegState},
        categories={k: str(v) for k, v in choices.CATEGORIES.items()},
        sources={s.value: str(label) for s, label in SOURCE_LABELS.items()},
        sectors={k: str(v) for k, v in choices.SECTORS.items()},
        countries={code: choices.country_name(code) for code in choices.COUNTRY_CODES},
        languages={code: choices.language_name(code) for code in choices.SPOKEN_LANGUAGES},
        yes=_("Yes"), no=_("No"),
    )


def query(forum_id: int, f: queries.Filters) -> sa.Select:
    """The list page's query (same filters, same order), selecting plain columns."""
    return queries.registrations(forum_id, f).with_only_columns(
        *(col.label(name) for col, name in zip(_COLUMNS, exports.Record._fields))
    )


def count(forum_id: int, f: queries.Filters) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query(forum_id, f).order_by(None).subquery()))


def record(forum: Forum, f: queries.Filters, fmt: str, *, by: User) -> int:
    """Audit an export of personal data before it is sent: who, which format, which filter, how many rows."""
    n = count(forum.id, f)
    audit.record(subject_type="forum", subject_id=forum.id, action="export", actor=by, forum_id=forum.id,
                 format=fmt, filters=f.as_args(), rows=n)
    return n


def records(forum_id: int, f: queries.Filters) -> Iterator[exports.Record]:
    """The rows, fetched a batch at a time (a server-side cursor on PostgreSQL)."""
    yield from db.session.execute(query(forum_id, f).execution_options(yield_per=YIELD_PER))


def stream(forum_id: int, f: queries.Filters, fmt: str, names: exports.Labels = exports.CODES) -> Iterator[bytes]:
    """The file's bytes in chunks, codes written as `names` says (labels()). Takes ids, not ORM objects: it
    runs after the request's commit, in a read-only transaction of its own (a plain BEGIN on SQLite: no
    write lock while it streams)."""
    chunks = exports.csv_chunks if fmt == "csv" else exports.xlsx_chunks
    yield from chunks(exports.rows(records(forum_id, f), names), header=names.header)
