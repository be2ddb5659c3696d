"""Suggested counterparts: which companies one company should meet, ranked and explained. Pure: plain data in,
plain data out (no Flask, no database), deterministic, so every rule has a test with hand-made companies.

The score adds up what the two companies have to do with each other:
- what they seek that you offer, and what you seek that they offer: words shared by one side's `seeks` and
  the other's `offers`, compared after search folding (case, width, Uzbek apostrophes, Kazakh letters) and a
  crude stem (the first six letters, so "technologies" meets "technology", "очистки" meets "очистка");
  Japanese and Chinese, written without spaces, are compared by pairs of characters (kanji and katakana);
- each sector both are in;
- each pair of complementary needs (both seek partners; one seeks suppliers, the other customers...);
- the forum's purpose: a Japanese company with a Central Asian one.

A company is suggested only when something besides the Japan–Central Asia bonus links the two. Each suggestion
carries its reasons as data, (code, value), which the page turns into words in the reader's language.
Ties: name (case-folded), then id.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from forum.search import APOSTROPHES, fold

JAPAN = "JP"
CENTRAL_ASIA = frozenset({"KZ", "UZ", "KG", "TJ", "TM"})

# Points per reason. Text overlap counts per shared word, at most MAX_WORDS words per direction, so one long
# profile cannot drown every other signal.
WORD_POINTS = 3
MAX_WORDS = 5
SECTOR_POINTS = 2
KINDS_POINTS = 1
JAPAN_CENTRAL_ASIA_POINTS = 3
STEM = 6

THEY_SEEK = "they_seek_what_you_offer"
YOU_SEEK = "you_seek_what_they_offer"
SECTOR = "both_in_sector"
KINDS = "complementary_needs"
JAPAN_CA = "japan_central_asia"
REASON_ORDER = (THEY_SEEK, YOU_SEEK, SECTOR, KINDS, JAPAN_CA)

# (what one side seeks, what the other seeks) that fit together; symmetric.
_PAIRS = {("partners", "partners"), ("suppliers", "customers"), ("technology", "customers"),
          ("distribution", "suppliers"), ("investment", "partners")}
COMPLEMENTARY = frozenset(_PAIRS | {(b, a) for a, b in _PAIRS})

# Words too common to say anything (English, Russian, Uzbek Latin, Kazakh), after folding.
STOPWORDS = frozenset("""
a an and are as at be by do for from in into is of on or our the to we us with who what that this your
you any new all can will other such also via per more most etc
и в во на с со по для из от до к о об а но или как мы наш наша наши это то что их его ее также при не
va bilan uchun biz bu ham yoki da
жане мен ушин биз бул пен
""".split())

# A word: letters and digits, with the apostrophes Uzbek writes inside words (Oʻzbek, O'zbek), which fold drops.
_WORD = re.compile("[\\w" + re.escape("".join(sorted(APOSTROPHES))) + "]+")
MIN_LETTERS = 2  # "су" (water) and "IT" count; the short words that say nothing are in STOPWORDS


def _is_cjk(ch: str) -> bool:
    """Kanji and katakana, compared by pairs. Hiragana is left out: in business Japanese it is mostly particles
    and endings (の, から, する), whose pairs would match anything."""
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK UNIFIED", "KATAKANA", "CJK COMPATIBILITY IDEOGRAPH")) or ch == "ー"


def _is_hiragana(text: str) -> bool:
    return all(unicodedata.name(ch, "").startswith("HIRAGANA") for ch in text)


@dataclass(frozen=True)
class Company:
    id: int
    name: str
    country: str = ""
    offers: str = ""
    seeks: str = ""
    sectors: tuple[str, ...] = ()
    seek_kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suggestion:
    company_id: int
    name: str
    score: int
    reasons: tuple[tuple[str, str], ...]
    contacted: str | None = None  # the state of an open request between the two companies, if any


@dataclass(frozen=True)
class _Token:
    key: str
    start: int  # where the word is in the text as written, to quote it
    end: int


@dataclass
class _Text:
    text: str  # as written (NFC)
    tokens: list[_Token] = field(default_factory=list)

    @property
    def keys(self) -> set[str]:
        return {t.key for t in self.tokens}


def _tokens(text: str) -> _Text:
    """The text's words as (folded, stemmed key, where it is): Japanese and Chinese runs as pairs of characters."""
    written = unicodedata.normalize("NFC", text or "")
    out = _Text(written)
    for m in _WORD.finditer(written):
        raw, start, end = m.group(), m.start(), m.end()
        folded = fold(raw)
        # Quote exact characters when folding kept the length (it does for most words), else the whole word.
        exact = len(folded) == len(raw)
        i = 0
        while i < len(folded):
            j = i
            cjk = _is_cjk(folded[i])
            while j < len(folded) and _is_cjk(folded[j]) == cjk:
                j += 1
            piece = folded[i:j]
            if cjk:
                grams = [piece] if len(piece) < 2 else [piece[k:k + 2] for k in range(len(piece) - 1)]
                for k, gram in enumerate(grams):
                    a, b = (start + i + k, start + i + k + len(gram)) if exact else (start, end)
                    out.tokens.append(_Token("cjk:" + gram, a, b))
            elif (len(piece) >= MIN_LETTERS and piece not in STOPWORDS and not piece.isdigit()
                  and not _is_hiragana(piece)):
                a, b = (start + i, start + j) if exact else (start, end)
                out.tokens.append(_Token(piece[:STEM], a, b))
            i = j
    return out


def _shared(seeker: _Text, offerer: _Text) -> tuple[int, str]:
    """(how many distinct words of the seeker's text the offerer's text has, those words as the seeker wrote
    them: neighbours joined into phrases, "water treatment, pumps")."""
    common = seeker.keys & offerer.keys
    if not common:
        return 0, ""
    spans: list[list[int]] = []
    for t in seeker.tokens:
        if t.key not in common:
            continue
        if spans and (t.start <= spans[-1][1] or not seeker.text[spans[-1][1]:t.start].strip()):
            spans[-1][1] = max(spans[-1][1], t.end)
        else:
            spans.append([t.start, t.end])
    phrases = list(dict.fromkeys(seeker.text[a:b] for a, b in spans))
    return len(common), ", ".join(phrases)


def is_japan_central_asia(a: str, b: str) -> bool:
    return (a == JAPAN and b in CENTRAL_ASIA) or (b == JAPAN and a in CENTRAL_ASIA)


def explain(me: Company, other: Company, *, _mine: tuple[_Text, _Text] | None = None) -> tuple[int, tuple]:
    """(score, reasons) of `other` as a counterpart for `me`."""
    my_offers, my_seeks = _mine or (_tokens(me.offers), _tokens(me.seeks))
    their_offers, their_seeks = _tokens(other.offers), _tokens(other.seeks)
    score = 0
    reasons: list[tuple[str, str]] = []
    n, words = _shared(their_seeks, my_offers)
    if n:
        score += WORD_POINTS * min(n, MAX_WORDS)
        reasons.append((THEY_SEEK, words))
    n, words = _shared(my_seeks, their_offers)
    if n:
        score += WORD_POINTS * min(n, MAX_WORDS)
        reasons.append((YOU_SEEK, words))
    for sector in sorted(set(me.sectors) & set(other.sectors)):
        score += SECTOR_POINTS
        reasons.append((SECTOR, sector))
    for mine_kind, their_kind in sorted({(a, b) for a in set(me.seek_kinds) for b in set(other.seek_kinds)
                                         if (a, b) in COMPLEMENTARY}):
        score += KINDS_POINTS
        reasons.append((KINDS, f"{mine_kind}/{their_kind}"))
    if reasons and is_japan_central_asia(me.country, other.country):
        score += JAPAN_CENTRAL_ASIA_POINTS
        reasons.append((JAPAN_CA, f"{me.country}/{other.country}"))
    return score, tuple(reasons)


def rank(me: Company, others: Iterable[Company], *, contacted: Mapping[int, str] | None = None,
         limit: int | None = 20) -> list[Suggestion]:
    """The companies worth meeting for `me`, best first: score, then name, then id. `me` itself is left out;
    companies in `contacted` (id -> state of an open request between the two) stay in, marked."""
    contacted = contacted or {}
    mine = (_tokens(me.offers), _tokens(me.seeks))
    found = []
    for other in others:
        if other.id == me.id:
            continue
        score, reasons = explain(me, other, _mine=mine)
        if score > 0:
            found.append(Suggestion(other.id, other.name, score, reasons, contacted.get(other.id)))
    found.sort(key=lambda s: (-s.score, s.name.casefold(), s.company_id))
    return found if limit is None else found[:limit]
