"""The public page of a forum's documents (/forums/<slug>/documents/): the tally sentence with its plurals, the
tables by country pair and by sector, the list of what anyone may see (confidential documents counted, never
listed; withheld values never shown), the counting rules, a draft forum's 404, and the figures moving the moment a
document is marked exchanged. Every figure below is counted by hand from the fixture."""
from __future__ import annotations

import re
from types import SimpleNamespace

import flask_babel
import pytest

from forum import clock
from forum.documents import public, tally
from forum.documents.models import DocKind
from forum.forums.models import ForumStatus
from forum.teams.models import Permission
from tests import factories as f
from tests.test_query_counts import statements_for

JP = dict(organisation="株式会社アオバ商事", country="JP", kind="private_company", signatory_name="青葉 太郎",
          signatory_position="代表取締役社長")
KZ = dict(organisation="Қазақстан сауда-өнеркәсіп палатасы", country="KZ", kind="association",
          signatory_name="Әлихан Сәрсенов", signatory_position="Төраға")
KZ2 = dict(organisation="«Қазақстан темір жолы» ҰК АҚ", country="KZ", kind="state_company",
           signatory_name="Нұрлан Жақсыбеков", signatory_position="Басқарма төрағасы")
UZ_PROXY = dict(organisation="Oʻzbekiston Savdo-sanoat palatasi", country="UZ", kind="association",
                signatory_name="Gʻulom Toshmatov", signatory_position="Filial boshqaruvchisi",
                capacity="on_behalf", principal_name="Shavkat Yoʻldoshev", principal_position="Direktor",
                poa_reference="ISHONCHNOMA-2026/7")


def _world(slug: str = "central-asia-japan"):
    """Counted: one (MOU JP-KZ), three (agreement JP-KZ-UZ), kz_only (MOU KZ-KZ, value withheld) and secret
    (letter of intent JP-UZ, confidential). Not counted: withdrawn (MOU JP-KZ), pending (agreement not exchanged
    yet) and uncounted (MOU the organizers left out)."""
    forum = f.forum(slug=slug)
    w = SimpleNamespace(forum=forum)
    w.one = f.document(forum, kind="mou", parties=[JP, KZ], sectors=("energy",), value_minor=150_000_000,
                       currency="USD", titles={"ja": "水処理に関する覚書", "en": "MOU on water treatment"})
    w.three = f.document(forum, kind="agreement", parties=[JP, KZ, UZ_PROXY], sectors=("agriculture", "energy"),
                         titles={"ru": "Трёхстороннее соглашение о зерне", "en": "Tripartite grain agreement"})
    w.kz_only = f.document(forum, kind="mou", parties=[KZ, KZ2], sectors=("mining",), value_minor=500_000_000_000,
                           currency="KZT", confidentiality="value_withheld",
                           titles={"kk": "Теміржол логистикасы туралы меморандум"})
    w.secret = f.document(forum, kind="letter_of_intent", parties=[JP, UZ_PROXY], sectors=("it",),
                          confidentiality="confidential", value_minor=7_000_000, currency="JPY",
                          titles={"en": "Secret letter on data centres"})
    w.withdrawn = f.document(forum, kind="mou", parties=[JP, KZ], sectors=("tourism",),
                             titles={"en": "Withdrawn tourism MOU"}, withdrawn_at=clock.now(),
                             withdrawn_reason="Signed twice by mistake")
    w.pending = f.document(forum, kind="agreement", parties=[JP, KZ], sectors=("transport",), exchanged=False,
                           titles={"en": "Pending transport agreement"})
    w.uncounted = f.document(forum, kind="mou", parties=[KZ, UZ_PROXY], sectors=("education",), counts=False,
                             titles={"en": "Uncounted education MOU"})
    return w


def _page(client, slug: str = "central-asia-japan", lang: str = "en", **params) -> str:
    r = client.get(f"/forums/{slug}/documents/", query_string=params, headers={"Accept-Language": lang})
    assert r.status_code == 200, r.status_code
    return r.get_data(as_text=True)


def _rows(html: str, attr: str) -> dict[str, tuple[str, int]]:
    """{data-attr: (first cell, count)} of the tables by pair or by sector."""
    found = re.findall(rf'<tr data-{attr}="([^"]+)"><td>([^<]*)</td><td class="text-end">(\d+)</td></tr>', html)
    return {key: (name, int(n)) for key, name, n in found}


def _sentence(html: str) -> str:
    return re.search(r'<p class="lead" id="tally-sentence">([^<]*)</p>', html).group(1)


def _listed(html: str) -> str:
    return html[html.index('id="documents"'):html.index('id="rules"')]


# --- the sentence -----------------------------------------------------------------------------

def _summary(total, **kinds):
    return tally.Summary(total=total, by_kind=[(DocKind(k), n) for k, n in kinds.items()], by_pair=[],
                         by_sector=[])


def test_the_sentence_in_english_names_each_type_with_its_plural(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert public.sentence(_summary(34, mou=21, agreement=9, letter_of_intent=4)) == (
            "34 documents exchanged: 21 MOUs, 9 agreements, 4 letters of intent")
        assert public.sentence(_summary(1, joint_statement=1)) == "1 document exchanged: 1 joint statement"
        assert public.sentence(_summary(3, contract=1, other=2)) == (
            "3 documents exchanged: 1 contract, 2 other documents")
        assert public.sentence(_summary(0)) == "No documents have been exchanged at this forum yet."


RU_FORMS = {
    "%(num)d document exchanged: %(kinds)s": ("%(num)d документ: %(kinds)s", "%(num)d документа: %(kinds)s",
                                               "%(num)d документов: %(kinds)s"),
    "%(num)d MOU": ("%(num)d меморандум", "%(num)d меморандума", "%(num)d меморандумов"),
    "%(num)d agreement": ("%(num)d соглашение", "%(num)d соглашения", "%(num)d соглашений"),
    "%(num)d letter of intent": ("%(num)d письмо о намерениях", "%(num)d письма о намерениях",
                                 "%(num)d писем о намерениях"),
}


@pytest.fixture()
def russian(app, monkeypatch):
    """The Russian catalog with these forms (its own wording is the translators' and test_translations'
    business; this pins that each count picks its Russian plural form: 1, 2-4, 5-20, 21, ...)."""
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        catalog = flask_babel.get_translations()._catalog
    for msgid, forms in RU_FORMS.items():
        for i, form in enumerate(forms):
            monkeypatch.setitem(catalog, (msgid, i), form)


def test_the_sentence_in_russian_takes_the_russian_plural_forms(app, russian):
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        assert public.sentence(_summary(34, mou=21, agreement=9, letter_of_intent=4)) == (
            "34 документа: 21 меморандум, 9 соглашений, 4 письма о намерениях")
        assert public.sentence(_summary(11, mou=11)) == "11 документов: 11 меморандумов"
        assert public.sentence(_summary(1, agreement=1)) == "1 документ: 1 соглашение"


def test_the_page_in_russian_names_the_countries_in_russian(client, db, russian):
    _world()
    db.session.commit()
    html = _page(client, lang="ru")
    assert _sentence(html) == "4 документа: 2 меморандума, 1 соглашение, 1 письмо о намерениях"
    assert _rows(html, "pair") == {"JP-KZ": ("Япония – Казахстан", 2), "JP-UZ": ("Япония – Узбекистан", 2),
                                   "KZ-UZ": ("Казахстан – Узбекистан", 1)}
    # the reader's language first: the Russian version is the authoritative one here, so it stands alone; a
    # document not signed in Russian shows its authoritative (Japanese) title
    listed = _listed(html)
    assert '<span lang="ru">Трёхстороннее соглашение о зерне</span>' in listed
    assert "Tripartite grain agreement" not in listed
    assert '<span lang="ja">水処理に関する覚書</span>' in listed and "MOU on water treatment" not in listed


# --- the tally and the list -------------------------------------------------------------------

def test_the_page_counts_by_hand(client, db):
    w = _world()
    f.document(f.forum(slug="other"), kind="contract", parties=[JP, KZ])  # another forum's: never here
    db.session.commit()
    html = _page(client)
    assert _sentence(html) == "4 documents exchanged: 2 MOUs, 1 agreement, 1 letter of intent"
    # the three-party document adds one to each of its three pairs; the two Kazakh parties make no pair
    assert _rows(html, "pair") == {"JP-KZ": ("Japan – Kazakhstan", 2), "JP-UZ": ("Japan – Uzbekistan", 2),
                                   "KZ-UZ": ("Kazakhstan – Uzbekistan", 1)}
    assert _rows(html, "sector") == {"energy": ("Energy, oil and gas", 2),
                                     "agriculture": ("Agriculture and food", 1),
                                     "it": ("IT and telecommunications", 1), "mining": ("Mining and metals", 1)}
    listed = _listed(html)
    refs = re.findall(r'<td data-label="Number" class="text-nowrap">([^<]+)</td>', listed)
    assert refs == [w.one.reference, w.three.reference, w.kz_only.reference]  # in number order
    for absent in (w.secret, w.withdrawn, w.pending, w.uncounted):
        assert absent.reference not in html
    for title in ("Secret letter on data centres", "Withdrawn tourism MOU", "Pending transport agreement",
                  "Uncounted education MOU", "data centres", "Signed twice"):
        assert title not in html
    assert "Transport and logistics" not in html and "Tourism" not in html and "Education" not in html


def test_the_list_shows_titles_parties_signatories_and_public_values_only(client, db):
    w = _world()
    db.session.commit()
    listed = _listed(_page(client))
    assert "Теміржол логистикасы туралы меморандум" in listed
    # the reader's version, then the authoritative one beside it
    assert ('<span lang="en">MOU on water treatment</span>\n        <br><small class="text-body-secondary">'
            'Authoritative version: <span lang="ja">水処理に関する覚書</span>') in listed
    assert 'Authoritative version: <span lang="ru">Трёхстороннее соглашение о зерне</span>' in listed
    assert "株式会社アオバ商事" in listed and "(Japan)" in listed and "青葉 太郎, 代表取締役社長" in listed
    # the proxy, as labels.signatory_line writes it
    assert "Gʻulom Toshmatov (on behalf of Shavkat Yoʻldoshev, Direktor)" in listed
    assert "ISHONCHNOMA" not in listed  # the power of attorney is the team's
    assert "$1,500,000.00" in listed  # public value
    # value withheld: listed, without its value in any spelling
    assert w.kz_only.reference in listed
    for spelling in ("5,000,000,000", "5 000 000 000", "5000000000", "KZT", "₸"):
        assert spelling not in listed
    kz_row = listed[listed.index(w.kz_only.reference):]
    assert '<td data-label="Value"><span class="text-body-secondary">Withheld at the parties' in kz_row
    three_row = listed[listed.index(w.three.reference):listed.index(w.kz_only.reference)]
    assert "Withheld" not in three_row  # no value given: nothing withheld
    # the confidential document's value appears nowhere
    assert "7,000,000" not in listed and "¥" not in listed and "￥" not in listed
    assert "Memorandum of understanding" in listed and "Main stage" in listed


def test_the_counting_rules_are_stated(client, db):
    _world()
    db.session.commit()
    rules = _page(client).split('id="rules"')[1]
    for words in ("exchanged at the forum", "marked it to count", "not been withdrawn",
                  "Confidential documents are counted but not listed", "without its value",
                  "keeps its number", "reconciled"):
        assert words in rules


def test_the_page_updates_when_a_document_is_exchanged(client, db):
    w = _world()
    db.session.commit()
    assert w.pending.reference not in _page(client)
    w.pending.exchanged_at = clock.now()  # the ceremony's tap
    db.session.commit()
    html = _page(client)
    assert _sentence(html) == "5 documents exchanged: 2 agreements, 2 MOUs, 1 letter of intent"
    assert _rows(html, "pair")["JP-KZ"] == ("Japan – Kazakhstan", 3)
    assert _rows(html, "sector")["transport"] == ("Transport and logistics", 1)
    assert w.pending.reference in _listed(html) and "Pending transport agreement" in html
    w.one.withdrawn_at, w.one.withdrawn_reason = clock.now(), "Replaced by a contract"
    db.session.commit()
    html = _page(client)
    assert _sentence(html) == "4 documents exchanged: 2 agreements, 1 letter of intent, 1 MOU"
    assert _rows(html, "pair")["JP-KZ"] == ("Japan – Kazakhstan", 2)
    assert w.one.reference not in html


def test_a_forum_without_documents_says_so_and_its_page_has_no_link(client, db):
    forum = f.forum(slug="quiet")
    f.document(forum, exchanged=False)  # recorded, not exchanged yet: nothing counts
    db.session.commit()
    html = _page(client, slug="quiet")
    assert _sentence(html) == "No documents have been exchanged at this forum yet."
    assert 'id="pairs"' not in html and 'id="documents"' not in html and 'id="rules"' in html
    assert "/forums/quiet/documents/" not in client.get("/forums/quiet").get_data(as_text=True)


def test_the_forum_page_links_to_it_once_a_document_counts(client, db):
    w = _world()
    db.session.commit()
    html = client.get("/forums/central-asia-japan").get_data(as_text=True)
    assert 'href="/forums/central-asia-japan/documents/"' in html and "Documents exchanged" in html
    secret_only = f.forum(slug="secretive")
    f.document(secret_only, confidentiality="confidential")  # counted, though not listed: the link shows
    db.session.commit()
    assert 'href="/forums/secretive/documents/"' in client.get("/forums/secretive").get_data(as_text=True)
    html = _page(client, slug="secretive")
    assert _sentence(html) == "1 document exchanged: 1 MOU"
    assert "can be listed" in html and 'id="documents"' not in html
    assert w.one.reference not in html


def test_a_draft_forum_has_no_documents_page(client, db, login):
    forum = f.forum(slug="draft-forum", status=ForumStatus.DRAFT)
    f.document(forum)
    db.session.commit()
    assert client.get("/forums/draft-forum/documents/").status_code == 404
    assert client.get("/forums/no-such-forum/documents/").status_code == 404
    login(f.member(forum, Permission.CHECKIN))
    assert client.get("/forums/draft-forum/documents/").status_code == 404
    login(f.member(forum, Permission.DOCUMENTS))  # the register's team previews what the public will read
    assert _sentence(_page(client, slug="draft-forum")) == "1 document exchanged: 1 MOU"


def test_pages_of_the_list(client, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    w = _world()
    db.session.commit()
    first, second = _listed(_page(client)), _listed(_page(client, page=2))
    assert w.one.reference in first and w.three.reference in first and w.kz_only.reference not in first
    assert w.kz_only.reference in second and w.one.reference not in second
    # the tally is the whole forum's on every page
    assert _sentence(_page(client, page=2)) == "4 documents exchanged: 2 MOUs, 1 agreement, 1 letter of intent"
    assert _listed(_page(client, page="x")) == first  # nonsense is the first page, not an error


def test_the_page_runs_as_many_statements_for_one_document_as_for_twenty(client, db):
    small, large = f.forum(slug="small"), f.forum(slug="large")
    f.document(small, parties=[JP, KZ, UZ_PROXY])
    for i in range(20):
        f.document(large, parties=[JP, KZ, UZ_PROXY], titles={"en": f"MOU {i}", "ja": f"覚書 {i}"})
    assert statements_for(client, "/forums/small/documents/") == statements_for(client, "/forums/large/documents/")
