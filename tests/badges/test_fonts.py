"""The badge font ships with the project and draws every character of every name we know of."""
import random
import tomllib
from pathlib import Path

import pytest

from forum.badges import render
from forum.demo import names

ROOT = Path(__file__).resolve().parents[2]

# Names the demo does not generate but a forum of Central Asia and Japan will see: Kazakh capitals, Uzbek
# with U+02BB and U+02BC, Kyrgyz, Tajik, Turkmen, Karakalpak, Azerbaijani, Tatar, Russian, Mongolian,
# Japanese with rare kanji and kana, Turkish, German, Vietnamese, Greek.
HARD_NAMES = [
    "ӘЛИЯ НҰРЛАНҚЫЗЫ", "ҒАБИТ ҚҰНАНБАЕВ", "ҢӨҰҮҺІ әғқңөұүһі", "Іңкәр Өмірзақова", "Шаһизада Ысқақова",
    "Gʻayrat Yoʻldoshev", "Oʻgʻiloy Toʻxtayeva", "Maʼruf Qoʻchqorov", "O‘lmas G‘ulomov",
    "Чыңгыз Төрөбеков", "Күмүшай Үсөнова", "Ҷамшед Ҳакимов", "Фирӯза Ҷӯраева", "Дилафрӯз Қурбонова",
    "Şatlyk Çaryýew", "Ýazgül Öwezowa", "Meňli Nurmuhammedowa", "Täçmyrat Şyhmyradow",
    "Ájiniyaz Qosıbaev", "Әли Həsənov", "Gülnarə Məmmədova", "Җәмилә Ҙаһирова", "Пётр Ёлкин-Щербаков",
    "Батбаяр Өлзийбат", "髙橋 﨑太郎", "齋藤 渡邊", "𠮷野 家", "ヴァレンティーナ・テレシコワ", "きゃりー ぱみゅぱみゅ",
    "Ömer Çağlayan", "İlkay Gündoğan", "Jürgen Weiß", "Nguyễn Thị Minh Khai", "Αλέξανδρος Παπαδόπουλος",
    "Zoë Saldaña-Perego", "François-Xavier O’Connor", "Łukasz Żółć",
]


def demo_texts() -> set[str]:
    """Every string in the demo's name lists, and many generated people and companies."""
    texts: set[str] = set()

    def walk(value):
        if isinstance(value, str):
            texts.add(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(k), walk(v)
        elif isinstance(value, (list, tuple, set)):
            for v in value:
                walk(v)
        elif hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
            for f in value.__dataclass_fields__:
                walk(getattr(value, f))

    for attr in ("PEOPLE", "STEMS", "LEGAL_FORMS", "ASSOCIATIONS", "SECTOR_WORDS", "NATIVE_POSITIONS", "POSITIONS",
                 "CITIES"):
        walk(getattr(names, attr))
    rng = random.Random(1)
    for country in names.COUNTRIES:
        for _ in range(200):
            p = names.person(country, rng)
            texts.update({p.full_name, p.latin_name})
        for sector in names.SECTOR_WORDS[country]:
            c = names.company_name(country, sector, rng)
            texts.update({c.legal_name, c.name_en})
    return texts


def test_every_character_of_the_demo_names_has_a_glyph():
    texts = demo_texts()
    assert len(texts) > 1000
    missing = {t: render.missing_glyphs(t) for t in texts if render.missing_glyphs(t)}
    assert missing == {}


@pytest.mark.parametrize("name", HARD_NAMES)
def test_every_character_of_hard_names_has_a_glyph(name):
    assert render.missing_glyphs(name) == set()


def test_the_check_does_see_a_missing_glyph():
    assert render.missing_glyphs("张伟 Ким 김") == {"张", "伟", "김"}  # simplified Chinese, Hangul


def test_the_font_and_its_licence_ship_with_the_package():
    assert render.FONT_FILE.is_file() and render.FONT_FILE.stat().st_size > 1_000_000
    assert render.FONT_FILE.read_bytes()[:4] == b"\x00\x01\x00\x00"  # TrueType outlines, which reportlab embeds
    licence = (render.FONT_FILE.parent / "VL-PGothic-LICENSE.txt").read_text()
    assert "M+" in licence and "BSD-3-Clause" in licence
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["forum"]
    assert "badges/fonts/*" in data
