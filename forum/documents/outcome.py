"""The outcome report's content (for the press and ministries): the tally and its breakdowns, and the public
documents with their parties and signatories, every label translated; pdf.py draws it.

What counts and what is listed is tally.py's rule, nothing else: a confidential document is counted but never
listed, a document with its value withheld is listed without its value.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import sqlalchemy as sa
from babel.dates import format_date
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from forum import clock
from forum.db import db
from forum.documents import labels, money, public, tally
from forum.documents.models import Document
from forum.forums.models import Forum
from forum.registration.choices import country_name, language_name
from forum.templating import _fmt_loc, local_date


# The tally's words (the sentence, country pairs, sectors, the counting rules) are the public page's: one wording
# on the page, the live view and this report, so their figures read the same.
tally_sentence = public.sentence
pair_label = public.pair_names
sector_label = public.sector_label
counting_rules = public.counting_rules


@dataclass(frozen=True)
class ReportParty:
    organisation: str
    country: str
    signatory: str  # labels.signatory_line


@dataclass(frozen=True)
class ReportDocument:
    reference: str
    kind: str
    titles: list[tuple[str, str]]  # (language name, title), the authoritative first
    signed_on: str
    value: str  # "" when none; the withheld label when withheld
    parties: list[ReportParty] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    forum_title: str
    heading: str
    dated: str  # "Report of 24 November 2026"
    tally: str
    by_kind: list[tuple[str, int]]
    by_pair: list[tuple[str, int]]
    by_sector: list[tuple[str, int]]
    documents: list[ReportDocument]
    rules: list[str]
    words: dict[str, str]  # headings and column labels, translated


def _titles(doc: Document) -> list[tuple[str, str]]:
    ordered = sorted(doc.titles, key=lambda t: (t.language != doc.authoritative_language, t.id or 0))
    return [(language_name(t.language), t.title) for t in ordered if t.title]


def _value(doc: Document) -> str:
    if doc.value_minor is None:
        return ""
    if not tally.value_is_public(doc):
        return _("Value withheld")
    return money.format_amount(doc.value_minor, doc.currency)


def report(forum: Forum) -> Report:
    s = tally.summary(forum.id)
    docs = db.session.scalars(
        sa.select(Document).options(selectinload(Document.titles), selectinload(Document.parties))
        .where(Document.forum_id == forum.id, tally.publicly_listed()).order_by(Document.number))
    listed = [ReportDocument(
        reference=d.reference, kind=labels.kind_label(d.kind), titles=_titles(d),
        signed_on=format_date(d.signed_on, format="long", locale=_fmt_loc()),
        value=_value(d),
        parties=[ReportParty(organisation=p.organisation, country=country_name(p.country),
                             signatory=labels.signatory_line(p)) for p in d.parties]) for d in docs]
    now = clock.now()
    return Report(
        forum_title=forum.shown_title,
        heading=_("Documents exchanged: outcome report"),
        dated=_("Report of %(date)s", date=local_date(now, forum, "long")),
        tally=tally_sentence(s),
        by_kind=[(labels.kind_label(k), n) for k, n in s.by_kind],
        by_pair=[(pair_label(p), n) for p, n in s.by_pair],
        by_sector=[(sector_label(k), n) for k, n in s.by_sector],
        documents=listed,
        rules=counting_rules(),
        words={"by_kind": _("By type"), "by_pair": _("By country pair"), "by_sector": _("By sector"),
               "type": _("Type"), "pair": _("Country pair"), "sector": _("Sector"), "count": _("Documents"),
               "documents": _("Documents listed"), "none": _("No documents are listed yet."),
               "rules": _("How the documents are counted"), "number": _("Number"), "parties": _("Parties"),
               "signed_on": _("Signed on"), "value": _("Value"), "signatory": _("Signatory"),
               "page": _("Page %(num)d")},
    )
