"""Input clean-up shared by forms and services: plain functions, no Flask."""
from __future__ import annotations

import phonenumbers


class BadPhone(ValueError):
    pass


def normalize_phone(raw: str | None, country: str | None = None) -> str:
    """'+7 701 123 45 67' or '8 (701) 123-45-67' with country KZ -> '+77011234567'. Empty stays empty."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, (country or "").upper() or None)
    except phonenumbers.NumberParseException as e:
        raise BadPhone(str(e)) from e
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise BadPhone(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_website(raw: str | None) -> str:
    raw = (raw or "").strip()
    if raw and "://" not in raw:
        raw = "https://" + raw
    return raw


def is_latin(text: str) -> bool:
    """Latin letters with any diacritics, plus modifier letters such as Uzbek ʻ (oʻ, gʻ)."""
    import unicodedata

    for ch in text:
        if ch.isalpha() and "LATIN" not in unicodedata.name(ch, "") and unicodedata.category(ch) != "Lm":
            return False
    return True
