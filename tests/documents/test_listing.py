"""The organizer's register list (/manage/<slug>/documents/): each filter with its exact result, search in any
script, review due at the forum's midnight, withdrawn documents hidden by default, pagination, bad filter values,
and a query count that does not grow with the documents."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from werkzeug.datastructures import MultiDict

from forum import clock
from forum.db import db as _db
from forum.documents import queries
from forum.documents.models import FollowUpStatus
from forum.teams.models import Permission
from tests import factories as f
from tests.documents.helpers import JP, KZ, UZ, keyed, withdraw
from tests.test_query_counts import statements_for


@pytest.fixture()
def world(db):
    forum = f.forum(slug="central-asia-japan", tz="Asia/Almaty")
    mou = keyed(f.document(forum, kind="mou", parties=[JP, KZ], sectors=("energy",),
                           titles={"ja": "水処理に関する覚書", "en": "MOU on water treatment"},
                           next_review_on=date(2026, 3, 11)))
    agreement = keyed(f.document(forum, kind="agreement", parties=[KZ, UZ], sectors=("agriculture", "trade"),
                                 titles={"kk": "Ауыл шаруашылығы саласындағы ынтымақтастық туралы келісім",
                                         "ru": "Соглашение о сотрудничестве в сельском хозяйстве"},
                                 ceremony="sidelines", confidentiality="value_withheld",
                                 status=FollowUpStatus.IN_PROGRESS, next_review_on=date(2026, 3, 12)))
    contract = keyed(f.document(forum, kind="contract", parties=[UZ, JP], sectors=("it",),
                                titles={"uz": "Qoʻshma korxona toʻgʻrisida shartnoma"}, ceremony="b2b_table",
                                confidentiality="confidential", status=FollowUpStatus.STALLED, exchanged=False))
    withdrawn = keyed(withdraw(f.document(forum, kind="mou", parties=[JP, KZ, UZ], sectors=("energy",),
                                          titles={"en": "Trilateral MOU on logistics"},
                                          next_review_on=date(2026, 3, 1)),
                               "Signed twice by mistake; CAJ-2026-001 is the valid one"))
    other = keyed(f.document(f.forum(slug="other-forum"), parties=[JP, KZ], titles={"ja": "水処理に関する覚書"}))
    _db.session.flush()
    return dict(forum=forum, mou=mou, agreement=agreement, contract=contract, withdrawn=withdrawn, other=other)


def found(w, **args) -> list[str]:
    stmt = queries.documents(w["forum"], queries.Filters.from_args(MultiDict(args)))
    return [d.reference for d in _db.session.scalars(stmt)]


def refs(w, *names) -> list[str]:
    return [w[n].reference for n in names]


def test_without_a_filter_the_forums_documents_in_number_order_and_not_the_withdrawn(world):
    assert found(world) == refs(world, "mou", "agreement", "contract")


@pytest.mark.parametrize("args, expected", [
    ({"kind": "mou"}, ["mou"]),
    ({"kind": "agreement"}, ["agreement"]),
    ({"kind": "joint_statement"}, []),
    ({"country": "UZ"}, ["agreement", "contract"]),
    ({"country": "uz"}, ["agreement", "contract"]),
    ({"country": "JP"}, ["mou", "contract"]),
    ({"country": "TJ"}, []),
    ({"pair": "JP-KZ"}, ["mou"]),
    ({"pair": "KZ-JP"}, ["mou"]),
    ({"pair": "kz-uz"}, ["agreement"]),
    ({"pair": "UZ-KZ"}, ["agreement"]),
    ({"pair": "JP-UZ"}, ["contract"]),
    ({"pair": "KZ-TJ"}, []),
    ({"pair": "JP-KZ", "withdrawn": "include"}, ["mou", "withdrawn"]),
    ({"sector": "energy"}, ["mou"]),
    ({"sector": "trade"}, ["agreement"]),
    ({"sector": "it"}, ["contract"]),
    ({"sector": "mining"}, []),
    ({"status": "signed"}, ["mou"]),
    ({"status": "in_progress"}, ["agreement"]),
    ({"status": "stalled"}, ["contract"]),
    ({"ceremony": "main_stage"}, ["mou"]),
    ({"ceremony": "sidelines"}, ["agreement"]),
    ({"ceremony": "b2b_table"}, ["contract"]),
    ({"confidentiality": "public"}, ["mou"]),
    ({"confidentiality": "value_withheld"}, ["agreement"]),
    ({"confidentiality": "confidential"}, ["contract"]),
    ({"withdrawn": "include"}, ["mou", "agreement", "contract", "withdrawn"]),
    ({"withdrawn": "only"}, ["withdrawn"]),
    ({"country": "KZ", "kind": "mou", "withdrawn": "include"}, ["mou", "withdrawn"]),
    ({"country": "UZ", "sector": "it"}, ["contract"]),
])
def test_each_filter_finds_exactly_its_documents(world, args, expected):
    assert found(world, **args) == refs(world, *expected)


@pytest.mark.parametrize("q, expected", [
    ("水処理", ["mou"]),  # Japanese, part of a title
    ("覚書", ["mou"]),
    ("青葉", ["mou", "contract"]),  # the Japanese company is a party to both
    ("шаруашылыгы", ["agreement"]),  # Kazakh Cyrillic typed on a Russian keyboard: ғ as г
    ("Шаруашылығы", ["agreement"]),
    ("казакстан сауда", ["mou", "agreement"]),  # Қазақстан without қ, two words
    ("Алихан", ["mou", "agreement"]),  # Әлихан typed without ә
    ("qoshma korxona", ["contract"]),  # Uzbek Latin without ʻ
    ("Qo'shma", ["contract"]),  # ...or with an ASCII apostrophe
    ("Gayrat Orinboyev", ["agreement", "contract"]),
    ("logistics", []),  # withdrawn: hidden
    ("сельском", ["agreement"]),
    ("水処理 shartnoma", []),  # every word must match
])
def test_search_in_any_script(world, q, expected):
    assert found(world, q=q) == refs(world, *expected)


def test_search_by_register_number(world):
    assert found(world, q=world["agreement"].reference.lower()) == refs(world, "agreement")


def _at(monkeypatch, when: datetime):
    monkeypatch.setattr(clock, "now", lambda: when)


def test_review_due_turns_at_midnight_in_the_forums_time_zone(world, monkeypatch):
    # 18:59 UTC on 10 March is 23:59 in Astana (UTC+5): the review of 11 March is not due yet.
    _at(monkeypatch, datetime(2026, 3, 10, 18, 59, tzinfo=timezone.utc))
    assert found(world, review="due") == []
    # 19:00 UTC is midnight in Astana: 11 March there (still 10 March in UTC). The withdrawn one (1 March) stays out.
    _at(monkeypatch, datetime(2026, 3, 10, 19, 0, tzinfo=timezone.utc))
    assert found(world, review="due") == refs(world, "mou")
    assert queries.totals(world["forum"], queries.Filters()).review_due == 1
    _at(monkeypatch, datetime(2026, 3, 11, 19, 0, tzinfo=timezone.utc))
    assert found(world, review="due") == refs(world, "mou", "agreement")
    assert found(world, review="due", withdrawn="only") == []  # a withdrawn document is never due


def test_totals_count_the_filtered_documents_and_those_in_the_tally(world):
    totals = queries.totals(world["forum"], queries.Filters())
    assert (totals.matching, totals.counted) == (3, 2)  # the contract was not exchanged
    totals = queries.totals(world["forum"], queries.Filters(withdrawn="include"))
    assert (totals.matching, totals.counted) == (4, 2)  # the withdrawn one does not count
    totals = queries.totals(world["forum"], queries.Filters(country="UZ"))
    assert (totals.matching, totals.counted) == (2, 1)


@pytest.mark.parametrize("args", [
    {"kind": "treaty"}, {"country": "ZZ"}, {"country": "Қазақстан"}, {"pair": "JP"}, {"pair": "JP-JP"},
    {"pair": "JP-KZ-UZ"}, {"pair": "--"}, {"pair": "ＪＰ-ＫＺ"}, {"sector": "sect%"}, {"status": "done"},
    {"review": "yes"}, {"ceremony": "moon"}, {"confidentiality": "secret"}, {"withdrawn": "all"},
    {"q": ""}, {"q": "   "},
])
def test_a_bad_filter_value_filters_nothing(world, args):
    assert found(world, **args) == refs(world, "mou", "agreement", "contract")


@pytest.mark.parametrize("q", ["%", "_", "\\", "%%"])
def test_like_wildcards_are_searched_as_text(world, q):
    assert found(world, q=q) == []


BAD_QUERIES = [
    "kind=treaty", "country=%00", "pair=JP-", "pair=" + "JP-" * 500, "sector[]=it", "status=1", "review=due&review=x",
    "withdrawn=%FF", "q=" + "x" * 5000, "q=%00%01", "q=%27%22%3C", "page=abc", "page=-1", "page=0", "page=99",
    "page=99999999999999999999999", "kind=mou&page=２",
]


@pytest.mark.parametrize("qs", BAD_QUERIES)
def test_bad_filter_values_never_give_a_500(client, login, world, qs):
    login(f.member(world["forum"], Permission.DOCUMENTS))
    r = client.get(f"/manage/central-asia-japan/documents/?{qs}")
    assert r.status_code in (200, 400, 404), (qs, r.status_code)  # a NUL is a 400 everywhere (forum.errors)


def test_the_list_page_shows_its_columns_and_the_withdrawn_struck_with_the_reason(client, login, world):
    login(f.member(world["forum"], Permission.DOCUMENTS))
    html = client.get("/manage/central-asia-japan/documents/").get_data(as_text=True)
    table = html[html.index("<tbody"):html.index("</tbody>")]
    assert world["withdrawn"].reference not in table and "Signed twice" not in table
    assert "MOU on water treatment" in table  # the reader's language (English)
    assert "Соглашение о сотрудничестве" not in table  # no English title: the authoritative Kazakh one
    assert "Ауыл шаруашылығы саласындағы" in table
    assert "Qoʻshma korxona toʻgʻrisida shartnoma" in table
    assert "Oʻzbekiston savdo-sanoat palatasi" in table and "Uzbekistan" in table
    assert "Memorandum of understanding" in table and "Agreement" in table and "Contract" in table
    assert 'class="badge text-bg-danger confidential"' in table and 'value-withheld' in table
    assert table.count('class="badge text-bg-success counts"') == 2
    assert f'href="/manage/central-asia-japan/documents/{world["mou"].id}"' in table
    assert world["other"].reference not in html and f'id="doc-{world["other"].id}"' not in html
    assert '<span class="badge text-bg-light border" id="count-matching">3 documents.</span>' in html

    html = client.get("/manage/central-asia-japan/documents/?withdrawn=include").get_data(as_text=True)
    row = html[html.index(f'id="doc-{world["withdrawn"].id}"'):]
    row = row[:row.index("</tr>")]
    assert f"<del>{world['withdrawn'].reference}</del>" in row and "<del>Trilateral MOU on logistics</del>" in row
    assert "Signed twice by mistake; CAJ-2026-001 is the valid one" in row
    assert f'id="doc-{world["other"].id}"' not in html


def test_the_list_page_in_japanese_shows_the_japanese_title(client, login, world):
    user = login(f.member(world["forum"], Permission.DOCUMENTS, language="ja"))
    html = client.get("/manage/central-asia-japan/documents/", headers={"Accept-Language": "ja"}).get_data(
        as_text=True)
    assert '<html lang="ja"' in html, user.email
    table = html[html.index("<tbody"):html.index("</tbody>")]
    assert "水処理に関する覚書" in table and "MOU on water treatment" not in table


def test_the_pair_filter_in_either_order_on_the_page_and_what_was_typed_stays(client, login, world):
    login(f.member(world["forum"], Permission.DOCUMENTS))
    for pair in ("JP-KZ", "KZ-JP", "kz/jp"):
        html = client.get(f"/manage/central-asia-japan/documents/?pair={pair}").get_data(as_text=True)
        table = html[html.index("<tbody"):html.index("</tbody>")]
        assert f'id="doc-{world["mou"].id}"' in table
        assert f'id="doc-{world["agreement"].id}"' not in table and f'id="doc-{world["contract"].id}"' not in table
        assert 'id="f-pair" name="pair" value="JP-KZ"' in html
    html = client.get("/manage/central-asia-japan/documents/?pair=JP-XX").get_data(as_text=True)
    assert 'id="f-pair" name="pair" value="JP-XX"' in html  # ignored, but not lost
    assert html.count('<tr class="" id="doc-') == 3


def test_the_export_links_carry_the_filter(client, login, world):
    login(f.member(world["forum"], Permission.DOCUMENTS))
    html = client.get("/manage/central-asia-japan/documents/?pair=KZ-JP&kind=mou&bogus=1").get_data(as_text=True)
    assert "/manage/central-asia-japan/documents/export.csv?" in html
    link = html[html.index("/manage/central-asia-japan/documents/export.csv?"):]
    link = link[:link.index('"')]
    assert "pair=JP-KZ" in link and "kind=mou" in link and "bogus" not in link


def test_pagination_keeps_the_filter(app, client, login, world, monkeypatch):
    forum = world["forum"]
    extra = [keyed(f.document(forum, parties=[JP, KZ], titles={"en": f"Extra MOU {i}"})) for i in range(3)]
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    login(f.member(forum, Permission.DOCUMENTS))
    first = client.get("/manage/central-asia-japan/documents/?pair=JP-KZ").get_data(as_text=True)
    second = client.get("/manage/central-asia-japan/documents/?pair=JP-KZ&page=2").get_data(as_text=True)
    ids = lambda html: [d.id for d in [world["mou"], *extra] if f'id="doc-{d.id}"' in html]  # noqa: E731
    assert ids(first) == [world["mou"].id, extra[0].id]
    assert ids(second) == [extra[1].id, extra[2].id]
    assert "pair=JP-KZ" in first[first.index('aria-label="Pages"'):] and "page=2" in first
    assert "4 documents." in second
    # Past the last page: an empty page, not an error.
    assert client.get("/manage/central-asia-japan/documents/?pair=JP-KZ&page=9").status_code == 200


def test_only_the_documents_permission_opens_the_list(client, login, world):
    assert client.get("/manage/central-asia-japan/documents/").status_code in (302, 401)
    login(f.member(world["forum"], Permission.CHECKIN))
    assert client.get("/manage/central-asia-japan/documents/").status_code == 403
    login(f.member(f.forum(slug="elsewhere"), Permission.DOCUMENTS))
    assert client.get("/manage/central-asia-japan/documents/").status_code == 403


def _forum_with_documents(n: int):
    forum = f.forum()
    org = f.organizer()
    for i in range(n):
        c = f.company(forum, 1)
        doc = keyed(f.document(forum, parties=[c, KZ, UZ] if i % 2 else [JP, c, KZ], by=org,
                               titles={"en": f"MOU {i}", "ja": f"覚書 {i}"}, next_review_on=date(2020, 1, 1)))
        if i % 3 == 1:
            withdraw(doc, "duplicate")
    return forum, org


@pytest.mark.parametrize("qs", ["", "?withdrawn=include&country=KZ&review=due"])
def test_the_list_does_not_grow_with_documents(client, db, login, qs):
    counts = []
    for n in (1, 20):
        forum, org = _forum_with_documents(n)
        login(org)
        counts.append(statements_for(client, f"/manage/{forum.slug}/documents/{qs}"))
    assert counts[0] == counts[1], f"{counts[0]} statements with 1 document, {counts[1]} with 20"


def test_the_review_due_filter_is_the_follow_ups_rule_implemented_and_cancelled_are_never_due(world, monkeypatch):
    from forum.documents import followup
    from forum.documents.models import FollowUpStatus

    _at(monkeypatch, datetime(2026, 3, 11, 19, 0, tzinfo=timezone.utc))
    assert found(world, review="due") == refs(world, "mou", "agreement")
    world["agreement"].status = FollowUpStatus.IMPLEMENTED
    world["mou"].status = FollowUpStatus.CANCELLED
    assert found(world, review="due") == []
    assert [d.id for d in followup.due(world["forum"])] == []
    world["mou"].status = FollowUpStatus.STALLED
    assert found(world, review="due") == refs(world, "mou") == [d.reference for d in followup.due(world["forum"])]
