"""A document's value per currency (documents.money), the signatory's two written forms (documents.labels) and
the tally's breakdown (documents.tally.summary), each against a hand count."""
from __future__ import annotations

import pytest

from forum import clock
from forum.documents import labels, money, tally
from forum.documents.models import Capacity, DocKind, DocumentParty
from forum.errors import DomainError
from tests import factories as f


@pytest.mark.parametrize("text, currency, minor", [
    ("1,000.50", "USD", 100050), ("1 000,50", "USD", 100050), ("1.000.000,50", "EUR", 100000050),
    ("1,000,000", "JPY", 1000000), ("1000000", "JPY", 1000000), ("12,5", "KZT", 1250), ("1,000", "KZT", 100000),
    ("0.125", "KWD", 125), ("250 000 000", "UZS", 25000000000), ("7", "USD", 700), ("1\u00a0250\u202f000", "KZT", 125000000),
])
def test_amounts_are_read_the_ways_people_write_them(app, text, currency, minor):
    with app.test_request_context():
        assert money.parse_amount(text, currency) == minor


@pytest.mark.parametrize("text, currency, code", [
    ("1000.5", "JPY", "too_many_decimals"), ("10.001", "USD", "too_many_decimals"), ("0.1234", "KWD", "too_many_decimals"),
    ("", "USD", "invalid_amount"), ("-5", "USD", "invalid_amount"), ("1e6", "USD", "invalid_amount"),
    ("１００", "USD", "invalid_amount"), ("1,00,0", "USD", "invalid_amount"), ("1.000.00", "USD", "invalid_amount"),
    ("1.5,2.5", "USD", "invalid_amount"), ("abc", "USD", "invalid_amount"), ("9" * 20, "USD", "amount_too_large"),
])
def test_bad_amounts_are_refused_with_a_code_on_the_value_field(app, text, currency, code):
    with app.test_request_context(), pytest.raises(DomainError) as e:
        money.parse_amount(text, currency)
    assert e.value.code == code and e.value.field == "value"


@pytest.mark.parametrize("code", ["KZT", "UZS", "KGS", "TJS", "TMT", "JPY", "USD", "EUR", "kzt", " usd "])
def test_current_iso_currencies_are_accepted(app, code):
    with app.test_request_context():
        assert money.clean_currency(code) == code.strip().upper()


@pytest.mark.parametrize("code", ["", "XAU", "XXX", "DEM", "RUR", "US", "DOLLAR", None])
def test_metals_withdrawn_and_unknown_currencies_are_refused(app, code):
    with app.test_request_context(), pytest.raises(DomainError) as e:
        money.clean_currency(code)
    assert e.value.code == "invalid_currency" and e.value.field == "currency"


def test_amounts_show_in_the_readers_locale_and_back_as_form_text(app):
    with app.test_request_context():
        assert money.format_amount(100050, "USD", "en_GB") == "US$1,000.50"
        assert money.format_amount(1000000, "JPY", "ja") == "￥1,000,000"
        assert money.format_amount(None, None) == "" and money.format_amount(5, None) == ""
        assert money.amount_text(100050, "USD") == "1000.50" and money.amount_text(1000000, "JPY") == "1000000"
        assert money.amount_text(125, "KWD") == "0.125"
        choices = [c for c, _ in money.currency_choices()]
        assert choices[:4] == ["USD", "EUR", "JPY", "KZT"] and len(choices) == len(set(choices)) > 100


def _party(**kw):
    base = dict(signatory_name="Бахтиёр Каримов", signatory_position="Branch manager", capacity=Capacity.OWN)
    base.update(kw)
    return DocumentParty(**base)


def test_a_signatory_is_written_with_the_principal_when_signing_by_proxy(app):
    with app.test_request_context():
        own = _party()
        proxy = _party(capacity=Capacity.ON_BEHALF, principal_name="Oʻlmas Gʻulomov", principal_position="Director")
        assert labels.signatory_line(own) == "Бахтиёр Каримов, Branch manager"
        assert labels.signatory_line(proxy) == "Бахтиёр Каримов (on behalf of Oʻlmas Gʻulomov, Director)"
        assert labels.announcement(own) == "Бахтиёр Каримов, Branch manager"
        assert labels.announcement(proxy) == "Бахтиёр Каримов, Branch manager, on behalf of Oʻlmas Gʻulomov"
        assert labels.signatory_line(_party(signatory_position="")) == "Бахтиёр Каримов"


def test_labels_are_in_the_readers_language(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert labels.kind_label(DocKind.MOU) == "Memorandum of understanding"
        assert labels.kind_label("letter_of_intent") == "Letter of intent"
        assert labels.kind_label("nonsense") == "nonsense"
        assert labels.party_kind_label("association") == "Association or chamber of commerce"


def _p(country, **kw):
    return dict(organisation=f"Org {country} {kw.pop('n', '')}", country=country, kind="other",
                signatory_name="名前", **kw)


def test_the_summary_counts_what_counts_by_kind_pair_and_sector(db):
    forum = f.forum()
    f.document(forum, parties=[_p("JP"), _p("KZ")], sectors=["energy", "mining"])
    f.document(forum, parties=[_p("KZ"), _p("JP")], kind="agreement", sectors=["energy"])
    f.document(forum, parties=[_p("JP"), _p("KZ"), _p("UZ")], sectors=["energy"])  # three pairs
    f.document(forum, parties=[_p("KZ", n=1), _p("KZ", n=2)], kind="agreement", sectors=[])  # no pair
    f.document(forum, parties=[_p("JP"), _p("UZ")], confidentiality="confidential", sectors=["it"])  # counted
    f.document(forum, parties=[_p("JP"), _p("TJ")], exchanged=False)  # not yet
    f.document(forum, parties=[_p("JP"), _p("TJ")], counts=False)
    f.document(forum, parties=[_p("JP"), _p("TJ")], withdrawn_at=clock.now(), withdrawn_reason="Duplicate")
    f.document(f.forum(), parties=[_p("JP"), _p("TJ")])  # another forum
    s = tally.summary(forum.id)
    assert s.total == 5
    assert s.by_kind == [(DocKind.MOU, 3), (DocKind.AGREEMENT, 2)]
    assert s.by_pair == [(("JP", "KZ"), 3), (("JP", "UZ"), 2), (("KZ", "UZ"), 1)]
    assert s.by_sector == [("energy", 3), ("it", 1), ("mining", 1)]
    public = tally.summary(forum.id, tally.publicly_listed())
    assert public.total == 4 and ("JP", "UZ") in dict(public.by_pair)
    assert tally.summary(f.forum().id).total == 0
