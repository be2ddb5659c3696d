"""A forum's texts in several languages, and which one a reader sees.

The English texts are the Forum's own columns; Japanese, Russian, Kazakh and Uzbek ones are ForumText rows.
A reader sees their language's text; where it is not filled, the fallback is stated once, here:

    the reader's language -> Russian for Central Asian readers (Kazakh, Uzbek) -> English -> any other filled

so that a page or an e-mail never shows a blank where some language has the text. The same order picks any
per-language text: a cancellation reason, a message's subject and body (announcements).
"""
from __future__ import annotations

from flask_babel import get_locale

from forum import languages
from forum.forums.models import TEXT_FIELDS, TEXT_LANGUAGES, Forum

# Readers whose second language of business is Russian.
CENTRAL_ASIAN = frozenset({"kk", "uz"})


def order(lang: str | None) -> tuple[str, ...]:
    """The languages tried, in order, for a reader of `lang`."""
    lang = languages.known(lang)
    chain = [lang]
    if lang in CENTRAL_ASIAN:
        chain.append("ru")
    chain.append("en")
    chain += [code for code in languages.CODES if code not in chain]
    return tuple(dict.fromkeys(chain))


def reader_language() -> str:
    """The language being written in now: the page's, or the recipient's inside force_locale (e-mails)."""
    try:
        loc = get_locale()
    except RuntimeError:  # no application context
        loc = None
    return languages.known(loc.language if loc is not None else None)


def pick(texts: dict[str, str] | None, lang: str | None = None) -> str:
    """The text for a reader of `lang` (default: the current one) from {language: text}; "" if none is filled."""
    texts = texts or {}
    for code in order(lang or reader_language()):
        value = (texts.get(code) or "").strip()
        if value:
            return texts[code]
    return ""


def picked_language(texts: dict[str, str] | None, lang: str | None = None) -> str | None:
    """Which language pick() takes its text from (None if nothing is filled)."""
    texts = texts or {}
    for code in order(lang or reader_language()):
        if (texts.get(code) or "").strip():
            return code
    return None


def texts_of(forum: Forum, field: str) -> dict[str, str]:
    """{language: text} of one field, English from the forum's column."""
    if field not in TEXT_FIELDS:
        raise ValueError(field)
    out = {"en": getattr(forum, field) or ""}
    for row in forum.texts:
        out[row.language] = getattr(row, field) or ""
    return out


def text(forum: Forum, field: str, lang: str | None = None) -> str:
    return pick(texts_of(forum, field), lang)


def filled(forum: Forum) -> dict[str, list[str]]:
    """For the organizer's form: which fields each language has ({"en": [...], "ja": [...], ...})."""
    out: dict[str, list[str]] = {}
    for code in ("en",) + TEXT_LANGUAGES:
        row = forum if code == "en" else next((t for t in forum.texts if t.language == code), None)
        out[code] = [f for f in TEXT_FIELDS if row is not None and (getattr(row, f) or "").strip()]
    return out


__all__ = ["CENTRAL_ASIAN", "order", "reader_language", "pick", "picked_language", "texts_of", "text", "filled"]
