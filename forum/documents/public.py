"""What the public reads of a forum's documents (the public page): the tally in one sentence, by country pair
and by sector, and the documents anyone may see, each reduced to what may be shown.

The rules are tally.py's (what counts, what is listed, whether a value is public); this module only reads them
and words them in the reader's language. A template gets `Entry` objects, never a Document: a value the parties
withheld is not there to be printed by mistake.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from forum.db import db
from forum.documents import labels, money, tally
from forum.documents.models import DocKind, Document
from forum.forums.models import Forum
from forum.registration import choices


def kind_count(kind: DocKind, n: int) -> str:
    """"21 MOUs", "1 agreement": the count of one type, with the plural form of the reader's language."""
    if kind is DocKind.MOU:
        return ngettext("%(num)d MOU", "%(num)d MOUs", n)
    if kind is DocKind.AGREEMENT:
        return ngettext("%(num)d agreement", "%(num)d agreements", n)
    if kind is DocKind.CONTRACT:
        return ngettext("%(num)d contract", "%(num)d contracts", n)
    if kind is DocKind.LETTER_OF_INTENT:
        return ngettext("%(num)d letter of intent", "%(num)d letters of intent", n)
    if kind is DocKind.JOINT_STATEMENT:
        return ngettext("%(num)d joint statement", "%(num)d joint statements", n)
    return ngettext("%(num)d other document", "%(num)d other documents", n)


def sentence(summary: tally.Summary) -> str:
    """"34 documents exchanged: 21 MOUs, 9 agreements, 4 letters of intent", or that none has been yet."""
    if summary.total == 0:
        return _("No documents have been exchanged at this forum yet.")
    kinds = ", ".join(kind_count(kind, n) for kind, n in summary.by_kind if n)
    return ngettext("%(num)d document exchanged: %(kinds)s", "%(num)d documents exchanged: %(kinds)s",
                    summary.total, kinds=kinds)


@dataclass(frozen=True)
class Pair:
    codes: tuple[str, str]
    names: str  # "Japan – Kazakhstan", in the reader's language
    count: int


@dataclass(frozen=True)
class Sector:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Tally:
    summary: tally.Summary
    sentence: str
    pairs: list[Pair]
    sectors: list[Sector]

    @property
    def total(self) -> int:
        return self.summary.total


def pair_names(codes: tuple[str, str]) -> str:
    return " – ".join(choices.country_name(c) for c in codes)


def sector_label(key: str) -> str:
    return str(choices.SECTORS.get(key, key))


def counting_rules() -> list[str]:
    """How the documents are counted, stated on the public page and in the outcome report so that a figure in a
    press report can be reconciled with them."""
    return [
        _("A document counts when it was exchanged at the forum, the organizers marked it to count, and it has not "
          "been withdrawn."),
        _("Confidential documents are counted but not listed: the parties asked that their titles and parties stay "
          "private."),
        _("Where the parties asked, a document is listed without its value."),
        _("A withdrawn document keeps its number in the register and leaves the count: numbers can therefore be "
          "missing from the list."),
        _("A document with parties from three countries counts once for each of its country pairs, and once for "
          "each of its sectors: the tables by country pair and by sector can add up to more than the total."),
        _("So a figure in a press report can be reconciled with this page: the total above is every counted "
          "document, listed or not."),
    ]


def public_tally(forum: Forum) -> Tally:
    s = tally.summary(forum.id)
    return Tally(summary=s, sentence=sentence(s),
                 pairs=[Pair(codes=codes, names=pair_names(codes), count=n) for codes, n in s.by_pair],
                 sectors=[Sector(key=k, label=str(choices.SECTORS.get(k, k)), count=n) for k, n in s.by_sector])


def listed_query(forum: Forum) -> sa.Select:
    """The documents anyone may see, in register order, titles and parties loaded with them."""
    return (sa.select(Document).where(Document.forum_id == forum.id, tally.publicly_listed())
            .options(selectinload(Document.titles), selectinload(Document.parties))
            .order_by(Document.number))


@dataclass(frozen=True)
class PartyLine:
    organisation: str
    country: str  # the name, in the reader's language
    country_code: str
    kind: str
    signatory: str  # labels.signatory_line: "Name, Position" or "Name (on behalf of Principal, Position)"


@dataclass(frozen=True)
class Entry:
    reference: str
    title: str  # in the reader's language when the document was signed in it, else the authoritative one
    title_language: str
    authoritative_title: str | None  # shown beside it when `title` is another language's version
    authoritative_language: str
    kind: str
    signed_on: date
    date_text: str
    ceremony: str
    sectors: list[str]
    parties: list[PartyLine]
    value: str | None  # None when the parties withheld it (or there is none)
    value_withheld: bool  # the parties asked that the value stay private (the page says so, without it)


def _language() -> str:
    loc = get_locale()
    return loc.language if loc is not None else "en"


def entry(doc: Document, language: str | None = None) -> Entry:
    """One listed document as the public page shows it. The value only when tally.value_is_public."""
    language = language or _language()
    by_lang = {t.language: t.title for t in doc.titles}
    if language in by_lang and language != doc.authoritative_language:
        title, title_language = by_lang[language], language
        authoritative = doc.title_in(doc.authoritative_language)
    else:
        title, title_language, authoritative = doc.title, doc.authoritative_language, None
    value = None
    if tally.value_is_public(doc) and doc.value_minor is not None:
        value = money.format_amount(doc.value_minor, doc.currency)
    return Entry(
        reference=doc.reference, title=title, title_language=title_language, authoritative_title=authoritative,
        authoritative_language=doc.authoritative_language, kind=labels.kind_label(doc.kind),
        signed_on=doc.signed_on, date_text=format_date(doc.signed_on, "long"),
        ceremony=labels.ceremony_label(doc.ceremony),
        sectors=[str(choices.SECTORS.get(s, s)) for s in doc.sectors or ()],
        parties=[PartyLine(organisation=p.organisation, country=choices.country_name(p.country),
                           country_code=p.country, kind=labels.party_kind_label(p.kind),
                           signatory=labels.signatory_line(p)) for p in doc.parties],
        value=value, value_withheld=not tally.value_is_public(doc))


def has_counted_documents(forum: Forum) -> bool:
    """Whether the forum's page links to the documents page: at least one document counts."""
    return bool(db.session.scalar(sa.select(sa.exists().where(Document.forum_id == forum.id, tally.counted()))))
