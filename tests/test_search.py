"""Search folding: which spellings find each other (forum/search.py), without a database."""
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forum.search import MAX_QUERY_CHARS, MAX_QUERY_WORDS, fold, matches_all_words, query_words, search_key

APOSTROPHES = ["\u02bb", "\u02bc", "'", "\u2018", "\u2019", "`", "\u00b4", "\u02b9", "\u02c8", "\u2032",
               "\uff07", "\uff40"]  # the last two: full-width ' and `, which NFKC turns into ASCII


@pytest.mark.parametrize("apostrophe", APOSTROPHES)
def test_every_apostrophe_is_removed(apostrophe):
    assert fold(f"O{apostrophe}lmas") == "olmas"
    assert fold(f"G{apostrophe}ULOM") == "gulom"
    assert fold(f"ma{apostrophe}no") == "mano"


@pytest.mark.parametrize("kazakh, russian", [
    ("ә", "а"), ("ғ", "г"), ("қ", "к"), ("ң", "н"), ("ө", "о"), ("ұ", "у"), ("ү", "у"), ("һ", "х"), ("і", "и"),
    ("ў", "у"), ("ҳ", "х"),  # Uzbek Cyrillic
    ("ё", "е"),
])
def test_letters_missing_from_a_russian_keyboard_fold_to_the_key_people_press(kazakh, russian):
    assert fold(kazakh) == russian
    assert fold(kazakh.upper()) == russian
    assert fold(f"Т{kazakh.upper()}Т") == f"т{russian}т"


def test_names_fold_as_people_type_them():
    assert fold("Әлібек") == fold("Алибек") == "алибек"
    assert fold("ҚАСЫМОВ") == fold("Касымов") == "касымов"
    assert fold("Ғалымжан Нұрланұлы") == "галымжан нурланулы"
    assert fold("Сәуле Өмірбекқызы") == "сауле омирбеккызы"
    assert fold("Федорова") == fold("Фёдорова")
    assert fold("Ёлкин") == "елкин"


def test_case_width_and_spaces():
    assert fold("ＹＡＭＡＤＡ") == "yamada"
    assert fold("ﾔﾏﾀﾞ") == "ヤマダ"  # half-width kana become full-width
    assert fold("ЕРЛАН") == "ерлан"
    assert fold("Straße") == "strasse"
    assert fold("  Yamada \u3000\t Taro ") == "yamada taro"
    assert fold(None) == fold("") == ""


def test_letters_outside_the_rules_are_kept():
    # Folding is narrow on purpose: й is not и, ş is not s, kanji are untouched.
    assert fold("Йошкар") == "йошкар"
    assert fold("Şahin") == "şahin"
    assert fold("山田 太郎") == "山田 太郎"


def test_a_fold_that_creates_a_new_letter_is_folded_again():
    # і + combining breve: і -> и, and и + breve composes to й on the next pass.
    assert fold("\u0456\u0306") == "й" == fold(fold("\u0456\u0306"))


def test_search_key_adds_spaced_parts_without_spaces():
    assert search_key("山田 太郎", "YAMADA Taro", None, "", "a@b.jp") == "山田 太郎 山田太郎 yamada taro yamadataro a@b.jp"
    assert search_key("Oʻlmas Karimov") == "olmas karimov olmaskarimov"


def test_query_words_are_folded_distinct_and_capped():
    assert query_words("Taro  YAMADA taro") == ["taro", "yamada"]
    assert query_words(" ".join(f"w{i}" for i in range(20))) == [f"w{i}" for i in range(MAX_QUERY_WORDS)]
    assert query_words("a" * (MAX_QUERY_CHARS + 50)) == ["a" * MAX_QUERY_CHARS]
    assert query_words("ʻ ' `") == [] and query_words(None) == []


def _sql(expr) -> tuple[str, dict]:
    compiled = expr.compile(compile_kwargs={"render_postcompile": True})
    return str(compiled), compiled.params


def test_matches_all_words_is_an_and_of_escaped_likes():
    col = sa.column("search_key")
    sql, params = _sql(matches_all_words(col, "Taro 100%_\\"))
    assert sql.count("LIKE") == 2 and " AND " in sql and " OR " not in sql
    assert sorted(params.values()) == ["%100\\%\\_\\\\%", "%taro%"]
    sql, params = _sql(matches_all_words(col, " ".join(f"w{i}" for i in range(50))))
    assert sql.count("LIKE") == MAX_QUERY_WORDS


# --- properties --------------------------------------------------------------------------------

names = st.text(max_size=60)


@given(names)
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


@given(full_name=st.text(min_size=1, max_size=200), latin_name=st.text(max_size=200))
@settings(max_examples=300)
def test_a_records_own_name_always_finds_it(full_name, latin_name):
    key = search_key(full_name, latin_name, "someone@example.org")
    for query in (full_name, latin_name):
        assert all(word in key for word in query_words(query))


# Any text a browser can send (no lone surrogates) and PostgreSQL can store (no NUL).
storable = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")


@given(name=st.text(alphabet=storable, min_size=1, max_size=200))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_database_finds_a_name_with_its_own_text(db, name):
    # Through the backend's LIKE (SQLite or PostgreSQL), with whatever % _ \\ the name holds.
    key = sa.literal(search_key(name, "someone@example.org"), sa.Text)
    assert db.session.scalar(sa.select(sa.literal(1)).where(matches_all_words(key, name))) == 1
