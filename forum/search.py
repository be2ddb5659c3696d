"""Search folding: the one place that decides which spellings of a name find each other.

Every search in the project stores `search_key(...)` of the fields it searches and filters
with `matches_all_words(column, query)`; both go through `fold`, so a rule added here holds
everywhere. Folding is for matching only: what is stored and shown is what the person typed.
"""
from __future__ import annotations

import unicodedata

import sqlalchemy as sa

# Uzbek writes oʻ and gʻ with U+02BB and the tutuq belgisi with U+02BC, but people type
# whatever their keyboard has: ASCII ' or `, typographic quotes, an acute accent, a prime.
# Removing them (rather than unifying them) also lets "Olmas" find "Oʻlmas".
APOSTROPHES = frozenset(
    "\u02bb"  # ʻ modifier letter turned comma (official Uzbek oʻ, gʻ)
    "\u02bc"  # ʼ modifier letter apostrophe
    "\u0027"  # ' ASCII apostrophe
    "\u2018"  # ‘ left single quotation mark
    "\u2019"  # ’ right single quotation mark
    "\u0060"  # ` grave accent
    "\u00b4"  # ´ acute accent (NFKC would turn it into a space and a combining accent)
    "\u02b9"  # ʹ modifier letter prime
    "\u02c8"  # ˈ modifier letter vertical line
    "\u2032"  # ′ prime
)
_DROP_APOSTROPHES = {ord(c): None for c in APOSTROPHES}

# Letters a Russian keyboard lacks, folded to the key people press instead: Kazakh
# (ә ғ қ ң ө ұ ү һ і), Uzbek Cyrillic (ў ҳ), and ё, which Russian writers routinely type as е.
KEYBOARD_FOLDS = {
    "ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х", "і": "и",
    "ў": "у", "ҳ": "х",
    "ё": "е",
}
_KEYBOARD = str.maketrans(KEYBOARD_FOLDS)

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 8


def _fold_once(text: str) -> str:
    text = text.translate(_DROP_APOSTROPHES)
    # NFKC folds width (ＡＢＣ -> ABC, half-width kana -> full-width) and compatibility forms;
    # casefold then lower-cases every script (ҚАЗАҚ -> қазақ, Straße -> strasse).
    text = unicodedata.normalize("NFKC", text).casefold().translate(_KEYBOARD)
    return " ".join(text.split())


def fold(text: str | None) -> str:
    """Text reduced to what matters for matching: case, width, apostrophes and keyboard letters folded,
    runs of white space made one space."""
    text = text or ""
    # A pass can leave work for the next: full-width ＇ becomes ' only under NFKC, casefold can
    # give text that is not normalised, and і + U+0306 becomes и + U+0306, which composes to й.
    # Repeat until nothing changes, so that
    # fold(fold(x)) == fold(x), which is what lets the query and the key meet.
    for _ in range(4):
        folded = _fold_once(text)
        if folded == text:
            break
        text = folded
    return text


def search_key(*parts: str | None) -> str:
    """The text to store and search for a record made of these fields.

    A part written with spaces is also added without them, so "山田太郎" (Japanese is often
    written without the space between family and given name) finds "山田 太郎".
    """
    words: list[str] = []
    for part in parts:
        folded = fold(part)
        if not folded:
            continue
        words.append(folded)
        if " " in folded:
            words.append(folded.replace(" ", ""))
    return " ".join(words)


def query_words(query: str | None) -> list[str]:
    """The distinct folded words of a query, capped so hostile input cannot build a huge statement."""
    words = fold((query or "")[:MAX_QUERY_CHARS]).split()
    return list(dict.fromkeys(words))[:MAX_QUERY_WORDS]


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def matches_all_words(column: sa.ColumnElement[str], query: str | None, *,
                      before: str = "") -> sa.ColumnElement[bool]:
    """A condition true when every word of the query occurs, in any order, in the column
    (a column holding `search_key(...)`). A query with no words matches everything.

    With `before` (a marker the key holds), each word must occur ahead of the marker: a key made of
    sections ("offers and seeks | names", meetings.profiles) can then be searched in its first section."""
    tail = f"%{_like_escape(before)}%" if before else "%"
    return sa.and_(sa.true(), *(column.like(f"%{_like_escape(w)}{tail}", escape="\\") for w in query_words(query)))
