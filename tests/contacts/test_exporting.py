"""The vCard and CSV writers (forum.contacts.exporting): read back with vobject and the csv module, in the three
scripts, with notes full of what needs escaping, folded at 75 octets."""
from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import vobject

from forum.contacts import exporting
from forum.contacts.exporting import Entry

NOTE = "Call back; re: tariffs, rail\nSecond line with a \\ backslash;;,,\n\nand an empty line above"


def _entry(full_name: str, latin_name: str, **kw) -> Entry:
    data = dict(position="", company="", company_en="", country="", country_code="", note="", saved_at="",
                uid="9c8a5a3e-0000-5000-8000-000000000001")
    data.update(kw)
    return Entry(full_name=full_name, latin_name=latin_name, **data)


PEOPLE = [
    _entry("山田 太郎", "YAMADA Taro", position="営業部長", company="株式会社テスト商事", company_en="Test Shoji Co., Ltd.",
           country="Japan", country_code="JP", note=NOTE),
    _entry("Әлия Нұрланқызы", "Aliya NURLANKYZY", position="Басқарушы директор",
           company="«Қазақстан Темір Жолы» Ұлттық компаниясы акционерлік қоғамы",
           company_en="Kazakhstan Temir Zholy National Company JSC", country="Kazakhstan", country_code="KZ",
           note="Стенд 12, павильон «Қазақстан»; позвонить"),
    _entry("Oʻktam Gʻulomov", "Uktam GULOMOV", position="Bosh muhandis",
           company="Oʻzbekiston-Yaponiya Qoʻshma korxonasi MChJ", company_en="Uzbek-Japanese Joint Venture LLC",
           country="Uzbekistan", country_code="UZ", note="gʻalla; oʻrik, choy"),
]


def _cards(text: str) -> list:
    return list(vobject.readComponents(text))


def _by_lang(card, name: str) -> dict[str, object]:
    return {line.params.get("LANGUAGE", [""])[0]: line.value for line in card.contents[name.lower()]}


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_the_vcard_reads_back_with_every_script_intact(version):
    text = exporting.vcard(PEOPLE, version)
    cards = _cards(text)
    assert len(cards) == 3
    for card, person in zip(cards, PEOPLE):
        assert card.version.value == version
        fns = [line.value for line in card.contents["fn"]]
        assert fns[0] == person.full_name
        assert card.contents["n"][0].value.family == person.full_name  # the whole native name (see the module)
        assert card.contents["n"][0].value.given == ""
        family, given = person.latin_name.split(" ")[1], person.latin_name.split(" ")[0]
        if person.latin_name.startswith("YAMADA"):
            family, given = "YAMADA", "Taro"
        assert card.contents["x-phonetic-last-name"][0].value == family
        assert card.contents["x-phonetic-first-name"][0].value == given
        assert card.org.value == [person.company] if version == "3.0" else card.contents["org"][0].value == [person.company]
        assert card.contents["x-phonetic-org"][0].value == person.company_en
        assert card.title.value == person.position
        assert card.adr.value.country == person.country
        assert card.note.value == person.note
        assert "email" not in card.contents and "tel" not in card.contents
        if version == "4.0":
            # RFC 6350 ALTID: one name, two forms; the Latin one as the alternate
            assert fns == [person.full_name, person.latin_name]
            assert {line.params["ALTID"][0] for line in card.contents["fn"]} == {"1"}
            assert _by_lang(card, "FN")["und-Latn"] == person.latin_name
            latin_n = _by_lang(card, "N")["und-Latn"]
            assert (latin_n.family, latin_n.given) == (family, given)
            assert [line.value for line in card.contents["org"]] == [[person.company], [person.company_en]]
            assert card.adr.params["CC"] == [person.country_code]
        else:
            assert fns == [person.full_name]


def test_the_script_of_each_name_is_named_not_guessed_as_a_language():
    card = _cards(exporting.vcard(PEOPLE[:2], "4.0"))
    assert set(_by_lang(card[0], "FN")) == {"und-Hani", "und-Latn"}
    assert set(_by_lang(card[1], "FN")) == {"und-Cyrl", "und-Latn"}
    assert exporting.script_tag("Oʻktam Gʻulomov") == "und-Latn"
    assert exporting.script_tag("やまだ 太郎") == "und-Jpan"
    assert exporting.script_tag("Yamada 太郎") is None
    assert exporting.script_tag("محمد") is None


@pytest.mark.parametrize("latin, split", [
    ("YAMADA Taro", ("YAMADA", "Taro")),
    ("Aliya NURLANKYZY", ("NURLANKYZY", "Aliya")),
    ("VAN DER BERG Anna Maria", ("VAN DER BERG", "Anna Maria")),
    ("Uktam Gulomov", ("Uktam Gulomov", "")),  # no capitals: no convention tells
    ("TARO YAMADA", ("TARO YAMADA", "")),
    ("Taro", ("Taro", "")),
    ("Anna SMITH Jones", ("Anna SMITH Jones", "")),  # capitals in the middle
    ("J. R. TOLKIEN", ("TOLKIEN", "J. R.")),
    ("", ("", "")),
])
def test_the_latin_name_is_split_only_by_the_passport_convention(latin, split):
    assert exporting.split_latin(latin) == split


def test_an_unsplittable_name_goes_whole_into_the_family_field():
    card = _cards(exporting.vcard([_entry("Uktam Gulomov", "Uktam Gulomov")], "3.0"))[0]
    assert card.n.value.family == "Uktam Gulomov" and card.fn.value == "Uktam Gulomov"
    assert "x-phonetic-last-name" not in card.contents  # the same name twice is no alternate
    card = _cards(exporting.vcard([_entry("Ойбек Тошматов", "Oybek Toshmatov")], "4.0"))[0]
    assert card.contents["x-phonetic-last-name"][0].value == "Oybek Toshmatov"
    assert "x-phonetic-first-name" not in card.contents


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_long_lines_are_folded_at_75_octets_without_cutting_a_character(version):
    long_note = "議事録" * 60 + " Қазақстан " * 20 + "oʻ" * 50
    text = exporting.vcard([_entry("山田 太郎", "YAMADA Taro", note=long_note)], version)
    raw = text.encode("utf-8")
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    physical = raw.split(b"\r\n")[:-1]
    assert max(len(line) for line in physical) <= 75
    assert sum(line.startswith(b" ") for line in physical) > 10
    for line in physical:
        line.decode("utf-8")  # each physical line is whole UTF-8: no character cut in two
    assert _cards(text)[0].note.value == long_note


def test_fold_exactly():
    line = "NOTE:" + "x" * 70  # 75 octets: one line
    assert exporting.fold(line) == line
    folded = exporting.fold("NOTE:" + "x" * 71 + "é" * 3)
    first, second = folded.split("\r\n")
    assert first == "NOTE:" + "x" * 70 and second == " xééé"
    assert exporting.fold("A:" + "あ" * 30).split("\r\n")[0] == "A:" + "あ" * 24  # 2 + 72 octets; the 25th would pass 75


def test_escaping():
    assert exporting.escape("a,b;c\\d\ne\r\nf\rg") == "a\\,b\\;c\\\\d\\ne\\nf\\ng"


def test_csv_reads_back_and_neutralises_formulas():
    people = [*PEOPLE, _entry("=HYPERLINK(\"http://evil\")", "+CMD", position="-2+3", company="@SUM(A1)",
                              note="=1+1", saved_at="2027-05-20 09:00")]
    data = exporting.to_csv_bytes(people)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))
    assert rows[0] == list(exporting.HEADER)
    assert rows[1][0] == "山田 太郎" and rows[1][6] == NOTE
    assert rows[2][3] == "«Қазақстан Темір Жолы» Ұлттық компаниясы акционерлік қоғамы"
    assert rows[3][0] == "Oʻktam Gʻulomov" and "\u02bb" in rows[3][0]
    hostile = rows[4]
    assert hostile[:4] == ["'=HYPERLINK(\"http://evil\")", "'+CMD", "'-2+3", "'@SUM(A1)"]
    assert hostile[6] == "'=1+1"


# Text as the services store it: no control character but line breaks and tabs (contacts.services.clean_note,
# the registration's one-line names), no surrogates.
_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85")
                | st.sampled_from("\n\t,;:\\\"ʻ山Қ"), max_size=120)


@settings(max_examples=150, deadline=None)
@given(full=_TEXT.map(str.strip).filter(bool), latin=_TEXT.map(str.strip), note=_TEXT.map(str.strip),
       company=_TEXT.map(str.strip), version=st.sampled_from(exporting.VERSIONS))
def test_any_text_survives_the_round_trip(full, latin, note, company, version):
    full, latin, company = (" ".join(v.replace("\n", " ").replace("\t", " ").split()) for v in (full, latin, company))
    if not full:
        return
    entry = _entry(full, latin, note=note, company=company, position=note[:10].strip())
    text = exporting.vcard([entry], version)
    assert all(len(line) <= 75 for line in text.encode("utf-8").split(b"\r\n"))
    card = _cards(text)[0]
    assert card.contents["fn"][0].value == full
    if note:
        assert card.note.value == note
    if company:
        assert card.contents["org"][0].value == [company]
