"""The register as CSV or XLSX: the organizer's filtered list, every column, audited, streamed.

The writers are the registration export's (forum.review.exports: UTF-8 with a BOM, every cell quoted, formulas
neutralised, XLSX written row by row); this module only says which columns a document has. One party per line
inside the party cells, so organisation, country, kind and signatory of a party stand on the same line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from decimal import Decimal
from itertools import combinations
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import sqlalchemy as sa
from flask_babel import gettext as _

from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db
from forum.documents import labels, money, queries, tally
from forum.documents.models import (Ceremony, Confidentiality, DocKind, Document, DocumentTitle, FollowUpStatus,
                                    PartyKind)
from forum.forums.models import Forum
from forum.registration import choices
from forum.review import exports

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
BATCH = 200  # documents loaded (with their titles and parties) per statement while streaming


@dataclass(frozen=True)
class Names:
    """How the file names things, in the organizer's language (made by names(), before the request commits)."""

    header: Sequence[str]
    languages: Sequence[str]  # one title column per language, in this order
    kinds: Mapping[str, str] = field(default_factory=dict)
    ceremonies: Mapping[str, str] = field(default_factory=dict)
    confidentiality: Mapping[str, str] = field(default_factory=dict)
    statuses: Mapping[str, str] = field(default_factory=dict)
    party_kinds: Mapping[str, str] = field(default_factory=dict)
    countries: Mapping[str, str] = field(default_factory=dict)
    sectors: Mapping[str, str] = field(default_factory=dict)
    language_names: Mapping[str, str] = field(default_factory=dict)
    yes: str = "yes"
    no: str = "no"


def title_languages(forum: Forum, f: queries.Filters) -> list[str]:
    """The languages the filtered documents have titles in: the register's languages first, then the others."""
    from forum.documents.numbering import register_of

    found = set(db.session.scalars(
        sa.select(DocumentTitle.language).distinct().join(Document, Document.id == DocumentTitle.document_id)
        .where(*queries.conditions(forum, f))))
    reg = register_of(forum)
    first = [lang for lang in (reg.languages if reg else []) if lang in found]
    return first + sorted(found - set(first))


def _language_name(code: str) -> str:
    name = choices.language_name(code)
    return name if name and name != code else code


def names(forum: Forum, f: queries.Filters) -> Names:
    """The header and every label in the current (the organizer's) language."""
    langs = title_languages(forum, f)
    zone = forum.timezone
    header = (
        _("Number"), _("Type"),
        *(_("Title (%(language)s)", language=_language_name(lang)) for lang in langs),
        _("Authoritative language"), _("Date"), _("Place"), _("Ceremony"),
        _("Parties"), _("Countries"), _("Party kinds"), _("Signatories"), _("Country pairs"),
        _("Sectors"), _("Value"), _("Currency"), _("Expected jobs"), _("Confidentiality"), _("Counts in the tally"),
        _("Exchanged at (%(zone)s)", zone=zone), _("Follow-up status"), _("Next review"), _("Withdrawn: reason"),
    )
    return Names(
        header=header, languages=langs,
        kinds={k.value: labels.kind_label(k) for k in DocKind},
        ceremonies={c.value: labels.ceremony_label(c) for c in Ceremony},
        confidentiality={c.value: labels.confidentiality_label(c) for c in Confidentiality},
        statuses={s.value: labels.status_label(s) for s in FollowUpStatus},
        party_kinds={k.value: labels.party_kind_label(k) for k in PartyKind},
        countries={c: choices.country_name(c) for c in choices.COUNTRY_CODES},
        sectors={k: str(v) for k, v in choices.SECTORS.items()},
        language_names={lang: _language_name(lang) for lang in {*langs, *choices.SPOKEN_LANGUAGES}},
        yes=_("Yes"), no=_("No"),
    )


def value_cell(minor: int | None, currency: str | None):
    """The value in the currency's major unit, as a number a spreadsheet sums: 100050 USD -> 1000.5,
    1000000 JPY -> 1000000; None without a value."""
    if minor is None or not currency:
        return None
    amount = Decimal(minor).scaleb(-money.minor_digits(currency))
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _pairs(countries: Iterable[str], country_of: Callable[[str], str]) -> str:
    return "; ".join(f"{country_of(a)} – {country_of(b)}" for a, b in combinations(sorted(set(countries)), 2))


def rows(docs: Iterable[Document], n: Names, tz: tzinfo, signatory: Callable = labels.signatory_line
         ) -> Iterator[tuple]:
    """Documents (titles and parties loaded) -> tuples of cells in the header's order; times in `tz` (the
    forum's zone, which the header names)."""
    def country_of(code: str) -> str:
        return n.countries.get(code, code)

    for d in docs:
        titles = {t.language: t.title for t in d.titles}
        parties = d.parties
        yield (
            d.reference, n.kinds.get(d.kind.value, d.kind.value),
            *(titles.get(lang, "") for lang in n.languages),
            n.language_names.get(d.authoritative_language, d.authoritative_language),
            d.signed_on.isoformat(), d.place, n.ceremonies.get(d.ceremony.value, d.ceremony.value),
            "\n".join(p.organisation for p in parties),
            "\n".join(country_of(p.country) for p in parties),
            "\n".join(n.party_kinds.get(p.kind.value, p.kind.value) for p in parties),
            "\n".join(signatory(p) for p in parties),
            _pairs((p.country for p in parties), country_of),
            ", ".join(n.sectors.get(s, s) for s in d.sectors or ()),
            value_cell(d.value_minor, d.currency), d.currency or "", d.expected_jobs,
            n.confidentiality.get(d.confidentiality.value, d.confidentiality.value),
            n.yes if tally.counts(d) else n.no,
            d.exchanged_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if d.exchanged_at else "",
            n.statuses.get(d.status.value, d.status.value),
            d.next_review_on.isoformat() if d.next_review_on else "",
            d.withdrawn_reason or "",
        )


def record(forum: Forum, f: queries.Filters, fmt: str, *, rows: int, by: User) -> None:
    """Audit the export before it is sent: who, which list, which format, which filter, how many documents."""
    audit.record(subject_type="forum", subject_id=forum.id, action="export", actor=by, forum_id=forum.id,
                 list="documents", format=fmt, filters=f.as_args(), rows=rows)


def documents(ids: list[int]) -> Iterator[Document]:
    """The documents of `ids` in that order, a batch at a time (memory stays flat in the register's size)."""
    for start in range(0, len(ids), BATCH):
        batch = queries.load(ids[start:start + BATCH])
        yield from batch  # the session holds loaded rows weakly: a written batch is let go


def stream(ids: list[int], fmt: str, n: Names, tz: tzinfo) -> Iterator[bytes]:
    """The file's bytes in chunks. Takes ids and plain values, not the forum: it runs after the request's
    commit (the audit entry is stored before a byte leaves)."""
    chunks = exports.csv_chunks if fmt == "csv" else exports.xlsx_chunks
    yield from chunks(rows(documents(ids), n, tz), header=n.header)
