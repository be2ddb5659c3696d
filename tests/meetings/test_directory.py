"""The directory's queries: who is listed, search in any script, each filter and their AND, stable order."""
from __future__ import annotations

import pytest

from forum.meetings import directory
from forum.meetings.directory import Filters
from forum.meetings.models import MeetingPrefs
from tests import factories as f


@pytest.fixture()
def world(db):
    forum = f.forum()
    kz = f.participant(forum, legal_name="ТОО «Қазақ Су»", name_en="Kazakh Su", country="KZ", city="Алматы",
                       sector="environment", full_name="Әлия Нұрланқызы", latin_name="Aliya NURLANKYZY",
                       languages=["kk", "ru"])
    f.profile(kz.company, offers="Су тазарту станциялары", seeks="Japanese water treatment technology",
              sectors=["environment", "energy"], languages=["kk", "ru"])
    jp = f.participant(forum, legal_name="株式会社クボタ水処理", name_en="Kubota Water", country="JP", city="大阪",
                       sector="manufacturing", full_name="田中 一郎", latin_name="TANAKA Ichiro", languages=["ja", "en"])
    f.profile(jp.company, offers="Water treatment membranes and pumps", seeks="Distributors in Central Asia",
              sectors=["environment"])
    uz = f.participant(forum, legal_name="Oʻzbekiston Paxta", name_en="Uzbek Cotton", country="UZ", city="Toshkent",
                       sector="textiles", full_name="Gʻayrat Oʻlmasov", latin_name="Gayrat OLMASOV",
                       languages=["uz", "ru"])
    # Never listed: no consent, the only delegate opted out, only pending, another forum.
    f.participant(forum, legal_name="Қазақ Құрылыс", name_en="Kazakh Build", directory_consent=False)
    out = f.participant(forum, legal_name="Қазақ Темір", name_en="Kazakh Rail")
    db.session.add(MeetingPrefs(registration_id=out.id, opted_out=True))
    f.company(forum, 1, legal_name="Қазақ Ет", name_en="Kazakh Meat", directory_consent=True)
    f.participant(f.forum(), legal_name="Қазақ Су 2", name_en="Kazakh Su Two")
    db.session.flush()
    return forum, kz.company, jp.company, uz.company


def names(forum, **filters) -> list[str]:
    from forum.db import db

    return [c.name_en for c in db.session.scalars(directory.companies(forum.id, Filters(**filters)))]


def test_only_participating_companies_of_the_forum_are_listed_in_a_stable_order(world):
    forum, *_ = world
    assert names(forum) == ["Kazakh Su", "Kubota Water", "Uzbek Cotton"]


@pytest.mark.parametrize("query, expected", [
    ("казак", ["Kazakh Su"]),  # Қазақ typed on a Russian keyboard
    ("ҚАЗАҚ СУ", ["Kazakh Su"]),
    ("ozbek", ["Uzbek Cotton"]),  # Oʻzbek without its apostrophe; this company has no profile
    ("O'zbekiston", ["Uzbek Cotton"]),
    ("クボタ", ["Kubota Water"]),
    ("ｸﾎﾞﾀ", ["Kubota Water"]),  # half-width katakana
    ("ＫＵＢＯＴＡ", ["Kubota Water"]),  # full-width Latin
    ("田中一郎", ["Kubota Water"]),  # a participating delegate's name, written without the space
    ("алия", ["Kazakh Su"]),
    ("water kubota", ["Kubota Water"]),  # one word in the offers, one in the name: both must match
    ("water", ["Kazakh Su", "Kubota Water"]),
    ("тазарту", ["Kazakh Su"]),
    ("Kazakh Su Two", []),  # another forum's company
    ("Kazakh Build", []),  # no consent
    ("Kazakh Rail", []),  # opted out
    ("Kazakh Meat", []),  # nobody approved
])
def test_search_in_any_script(world, query, expected):
    forum, *_ = world
    assert names(forum, q=query) == expected


def test_a_delegates_name_is_found_once_the_company_has_a_profile(world):
    forum, _kz, _jp, uz = world
    assert names(forum, q="olmasov") == []  # no profile yet: its delegates are not in a key
    f.profile(uz, offers="Paxta tolasi")
    assert names(forum, q="olmasov") == ["Uzbek Cotton"]
    assert names(forum, q="Gʻayrat") == ["Uzbek Cotton"]


def test_the_keyword_filter_looks_in_offers_and_seeks_only(world):
    forum, *_ = world
    assert names(forum, keyword="water") == ["Kazakh Su", "Kubota Water"]
    assert names(forum, keyword="distributors") == ["Kubota Water"]
    assert names(forum, keyword="тазарту станциялары") == ["Kazakh Su"]
    assert names(forum, keyword="kubota") == []  # a name, not an offer
    assert names(forum, keyword="tanaka") == []
    assert names(forum, keyword="paxta") == []  # Uzbek Cotton has no profile yet


def test_country_filter(world):
    forum, *_ = world
    assert names(forum, country="KZ") == ["Kazakh Su"]
    assert names(forum, country="JP") == ["Kubota Water"]
    assert names(forum, country="KG") == []


def test_sector_filter_reads_the_profile_and_the_registration(world):
    forum, *_ = world
    assert names(forum, sector="environment") == ["Kazakh Su", "Kubota Water"]
    assert names(forum, sector="energy") == ["Kazakh Su"]  # the profile's
    assert names(forum, sector="textiles") == ["Uzbek Cotton"]  # the registration's
    assert names(forum, sector="manufacturing") == ["Kubota Water"]
    assert names(forum, sector="mining") == []


def test_language_filter_reads_the_delegates_and_the_profile(world):
    forum, kz, *_ = world
    assert names(forum, language="ja") == ["Kubota Water"]  # a delegate's
    assert names(forum, language="uz") == ["Uzbek Cotton"]  # a delegate's, no profile
    assert names(forum, language="ru") == ["Kazakh Su", "Uzbek Cotton"]
    assert names(forum, language="tr") == []
    f.profile(kz, languages=["tr"])  # the profile's own list
    assert names(forum, language="tr") == ["Kazakh Su"]


def test_an_opted_out_delegates_languages_do_not_count(world, db):
    forum, _kz, jp, _uz = world
    reg = jp.delegates[0]
    second = f.participant(forum, legal_name="Second", name_en="Second Co", languages=["ko"])
    assert names(forum, language="ko") == ["Second Co"]
    db.session.add(MeetingPrefs(registration_id=second.id, opted_out=True))
    db.session.flush()
    assert names(forum, language="ko") == []
    assert reg.languages == ["ja", "en"]


def test_filters_combine_with_and(world):
    forum, *_ = world
    assert names(forum, sector="environment", country="JP") == ["Kubota Water"]
    assert names(forum, sector="environment", language="ru") == ["Kazakh Su"]
    assert names(forum, sector="environment", language="kk", country="JP") == []
    assert names(forum, keyword="water", country="KZ", language="kk", q="су") == ["Kazakh Su"]
    assert names(forum, keyword="water", q="uzbek") == []


def test_unknown_filter_values_filter_nothing(world):
    forum, *_ = world
    f_ = Filters.from_args({"country": "ZZZ", "sector": "space", "language": "xx", "q": "", "keyword": ""})
    assert (f_.country, f_.sector, f_.language) == ("", "", "")
    assert Filters.from_args({"country": "kz"}).country == "KZ"
    assert Filters.from_args({"q": "я" * 5000}).q == "я" * 200
    from forum.db import db

    assert [c.name_en for c in db.session.scalars(directory.companies(forum.id, f_))] == \
        ["Kazakh Su", "Kubota Water", "Uzbek Cotton"]


def test_cards_carry_profiles_languages_and_participating_delegates(world):
    forum, kz, jp, uz = world
    cards = {c.company.name_en: c for c in directory.cards([kz, jp, uz])}
    assert cards["Kubota Water"].sectors == ["environment"]
    assert cards["Uzbek Cotton"].sectors == ["textiles"] and cards["Uzbek Cotton"].profile is None
    assert cards["Kubota Water"].languages == ["ja", "en"]
    assert cards["Kazakh Su"].languages == ["kk", "ru"]
    assert [r.latin_name for r in cards["Kubota Water"].delegates] == ["TANAKA Ichiro"]


def test_one_company_by_public_id_only_in_its_own_forum(world):
    forum, kz, *_ = world
    assert directory.card(forum, kz.public_id).company.id == kz.id
    other = f.participant(f.forum())
    assert directory.card(forum, other.company.public_id) is None
