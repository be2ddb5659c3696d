"""Suggested counterparts: a pure ranking, tested with hand-made companies (no app, no database)."""
from __future__ import annotations

from forum.meetings.suggestions import Company, Suggestion, explain, is_japan_central_asia, rank

ME = Company(1, "Astana Su", "KZ", offers="Cotton fibre", seeks="Water treatment technologies and pumps",
             sectors=("environment", "energy"), seek_kinds=("technology",))


def test_what_one_side_seeks_meets_what_the_other_offers_in_both_directions():
    them = Company(2, "Kubota", "JP", offers="Water treatment technology; membrane pumps",
                   seeks="Cotton for our textile mills", sectors=("manufacturing",))
    score, reasons = explain(ME, them)
    assert reasons == (("they_seek_what_you_offer", "Cotton"),
                       ("you_seek_what_they_offer", "Water treatment technologies, pumps"),
                       ("japan_central_asia", "KZ/JP"))
    assert score == 3 * 1 + 3 * 4 + 3


def test_shared_sectors_and_complementary_needs_are_reasons():
    them = Company(3, "Tashkent Trade", "UZ", sectors=("energy", "environment", "it"),
                   seek_kinds=("customers", "partners"))
    score, reasons = explain(ME, them)
    assert reasons == (("both_in_sector", "energy"), ("both_in_sector", "environment"),
                       ("complementary_needs", "technology/customers"))
    assert score == 2 + 2 + 1  # no Japan bonus between Kazakhstan and Uzbekistan


def test_the_japan_bonus_needs_another_reason():
    nothing_in_common = Company(4, "Sony", "JP", offers="Cameras", seeks="Lithium")
    assert explain(ME, nothing_in_common) == (0, ())
    assert rank(ME, [nothing_in_common]) == []


def test_japan_with_each_central_asian_country_and_not_others():
    for ca in ("KZ", "UZ", "KG", "TJ", "TM"):
        assert is_japan_central_asia("JP", ca) and is_japan_central_asia(ca, "JP")
    assert not is_japan_central_asia("JP", "JP")
    assert not is_japan_central_asia("KZ", "UZ")
    assert not is_japan_central_asia("JP", "CN")


def test_words_match_in_any_script_after_folding():
    kz = Company(1, "Қазақ Су", "KZ", seeks="Су тазарту технологиясы", offers="Мақта")
    jp = Company(2, "水処理株式会社", "JP", offers="СУ ТАЗАРТУ жабдықтары", seeks="макта")  # Қ typed as К
    score, reasons = explain(kz, jp)
    # each side's words quoted as that side wrote them
    assert reasons[:2] == (("they_seek_what_you_offer", "макта"), ("you_seek_what_they_offer", "Су тазарту"))
    uz = Company(3, "Oʻzbek Paxta", "UZ", offers="Oʻzbek paxtasi")
    buyer = Company(4, "Buyer", "JP", seeks="ozbek paxtasi")  # no apostrophe
    assert explain(uz, buyer)[1][0] == ("they_seek_what_you_offer", "ozbek paxtasi")
    assert explain(buyer, uz)[1][0] == ("you_seek_what_they_offer", "ozbek paxtasi")
    assert explain(Company(5, "E", "UZ", seeks="O'zbek paxtasi"), uz)[1][0] == ("you_seek_what_they_offer",
                                                                               "O'zbek paxtasi")


def test_japanese_is_compared_by_pairs_of_kanji_and_katakana_not_particles():
    jp = Company(1, "クボタ", "JP", offers="水処理技術と膜")
    kz = Company(2, "Astana", "KZ", seeks="日本の水処理技術")
    score, reasons = explain(jp, kz)
    assert reasons == (("they_seek_what_you_offer", "水処理技術"), ("japan_central_asia", "JP/KZ"))
    assert score == 3 * 4 + 3  # 水処, 処理, 理技, 技術
    particles_only = Company(3, "X", "KZ", seeks="のからするために")
    assert explain(Company(4, "Y", "JP", offers="のからするために"), particles_only) == (0, ())
    half_width = Company(5, "Z", "KZ", seeks="ﾎﾟﾝﾌﾟ")  # half-width katakana: quoted whole, as written
    assert explain(Company(6, "W", "JP", offers="ポンプ"), half_width)[1][0] == ("they_seek_what_you_offer", "ﾎﾟﾝﾌﾟ")


def test_a_crude_stem_lets_plurals_and_cases_meet_and_stopwords_do_not_count():
    a = Company(1, "A", "KZ", seeks="technologies for the water")
    b = Company(2, "B", "KZ", offers="technology and the")
    assert explain(a, b)[1] == (("you_seek_what_they_offer", "technologies"),)
    assert explain(Company(5, "E", "KZ", seeks="IT"), Company(6, "F", "KZ", offers="it outsourcing"))[1] == \
        (("you_seek_what_they_offer", "IT"),)  # two letters are a word
    c = Company(3, "C", "KZ", offers="и для в the and of")
    d = Company(4, "D", "KZ", seeks="и для в the and of")
    assert explain(c, d) == (0, ())


def test_text_overlap_is_capped_per_direction():
    a = Company(1, "A", "KZ", seeks="alpha bravo charlie delta echoes foxtrot golfer")
    b = Company(2, "B", "KZ", offers="alpha bravo charlie delta echoes foxtrot golfer")
    assert explain(a, b)[0] == 3 * 5


def test_order_by_score_then_name_then_id_and_the_own_company_is_left_out():
    me = Company(10, "Me", "KZ", offers="pumps", sectors=("energy",))
    strong = Company(5, "Zeta", "JP", seeks="pumps", sectors=("energy",))  # 3 + 2 + 3
    tie_b = Company(7, "beta", "KZ", seeks="pumps")  # 3
    tie_a = Company(8, "Alpha", "KZ", seeks="pumps")  # 3
    tie_a2 = Company(6, "alpha", "KZ", seeks="pumps")  # 3, same folded name: lower id first
    weak = Company(9, "Omega", "KZ", sectors=("energy",))  # 2
    ranked = rank(me, [tie_b, weak, me, tie_a, strong, tie_a2])
    assert [(s.company_id, s.score) for s in ranked] == [(5, 8), (6, 3), (8, 3), (7, 3), (9, 2)]
    assert ranked[0] == Suggestion(5, "Zeta", 8, (("they_seek_what_you_offer", "pumps"),
                                                  ("both_in_sector", "energy"), ("japan_central_asia", "KZ/JP")))


def test_the_same_input_gives_the_same_answer_in_any_input_order():
    me = Company(1, "Me", "JP", offers="solar panels", seeks="copper")
    others = [Company(i, f"Co {i % 3}", "KZ", seeks="solar", offers="copper" if i % 2 else "") for i in range(2, 30)]
    first = rank(me, others)
    assert rank(me, list(reversed(others))) == first
    assert len(first) == 20  # the default limit
    assert rank(me, others, limit=None)[:20] == first


def test_companies_already_asked_are_marked_not_dropped():
    me = Company(1, "Me", "KZ", offers="pumps")
    a = Company(2, "A", "JP", seeks="pumps")
    b = Company(3, "B", "JP", seeks="pumps")
    ranked = rank(me, [a, b], contacted={2: "accepted"})
    assert [(s.company_id, s.contacted) for s in ranked] == [(2, "accepted"), (3, None)]
