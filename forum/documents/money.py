"""A document's value: an amount in a currency of ISO 4217, kept exactly in the currency's minor units.

The minor units come from CLDR (Babel): yen and won have none, tenge, sum and dollars two, the Kuwaiti dinar
three. An amount with more decimals than its currency has is refused rather than rounded: a contract's value is
what it says. People type amounts their own way: "1,000,000.50", "1 000 000,50", "1.000.000,50", "１００万" is
not accepted (digits only, with grouping and one decimal mark).
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency, get_currency_precision, get_territory_currencies
from flask_babel import get_locale
from flask_babel import gettext as _

from forum.errors import InvalidInput

MAX_MINOR = 10**17  # fits a BIGINT with room; a value beyond 10^15 dollars is a typo
FIRST = ("USD", "EUR", "JPY", "KZT", "UZS", "KGS", "TJS", "TMT", "RUB", "CNY")  # the forum's currencies first

_SPACES = re.compile(r"[\s\u00a0\u202f']")  # spaces, no-break spaces, the Swiss apostrophe between groups


@lru_cache(maxsize=1)
def currencies() -> frozenset[str]:
    """The ISO 4217 currencies legal tender somewhere today (CLDR); not funds, metals or withdrawn ones."""
    territories = [t for t in Locale("en").territories if len(t) == 2 and t.isalpha()]
    found: set[str] = set()
    for t in territories:
        found.update(get_territory_currencies(t, start_date=date(2026, 1, 1), tender=True))
    return frozenset(found)


def minor_digits(currency: str) -> int:
    return get_currency_precision(currency)


def _locale() -> str:
    loc = str(get_locale() or "en")
    return "en_GB" if loc == "en" else loc


def currency_choices() -> list[tuple[str, str]]:
    """(code, "KZT · Kazakhstani Tenge") for a select: the forum's currencies first, then the rest by code."""
    names = Locale.parse(_locale()).currencies
    rest = sorted(currencies() - set(FIRST))
    return [(c, f"{c} · {names.get(c, c)}") for c in (*FIRST, *rest)]


def clean_currency(text: str | None) -> str:
    code = (text or "").strip().upper()
    if code not in currencies():
        raise InvalidInput(_("Choose a currency of ISO 4217 (for example USD, JPY, KZT)."), code="invalid_currency",
                           field="currency")
    return code


def _decimal(text: str) -> Decimal | None:
    s = _SPACES.sub("", text)
    if not re.fullmatch(r"[0-9.,]+", s) or not re.match(r"[0-9]", s):
        return None
    dots, commas = s.count("."), s.count(",")
    if dots and commas:  # the last one is the decimal mark, the other groups thousands
        mark, group = (".", ",") if s.rfind(".") > s.rfind(",") else (",", ".")
        if s.count(mark) > 1:
            return None
        s = s.replace(group, "").replace(mark, ".")
    elif dots > 1 or commas > 1:  # 1.000.000 or 1,000,000: grouping only
        sep = "." if dots else ","
        parts = s.split(sep)
        if any(len(p) != 3 for p in parts[1:]):
            return None
        s = s.replace(sep, "")
    elif commas == 1:
        whole, frac = s.split(",")
        # 1,000 groups thousands (three digits after the comma); 1000,5 or 12,50 is a decimal comma.
        s = whole + frac if len(frac) == 3 else f"{whole}.{frac}"
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def parse_amount(text: str | None, currency: str) -> int:
    """The amount typed in `currency`, in minor units (1,000.50 USD -> 100050); InvalidInput on field "value"."""
    value = _decimal((text or "").strip())
    if value is None:
        raise InvalidInput(_("Write the amount in digits, for example 1 250 000 or 1,250,000.50."),
                           code="invalid_amount", field="value")
    digits = minor_digits(currency)
    minor = value * (10 ** digits)
    if minor != minor.to_integral_value():
        if digits == 0:
            raise InvalidInput(_("%(currency)s has no minor units: write a whole amount.", currency=currency),
                               code="too_many_decimals", field="value")
        raise InvalidInput(_("%(currency)s has %(n)d decimal places at most.", currency=currency, n=digits),
                           code="too_many_decimals", field="value")
    minor_int = int(minor)
    if minor_int > MAX_MINOR:
        raise InvalidInput(_("This amount is too large."), code="amount_too_large", field="value")
    return minor_int


def amount_text(minor: int, currency: str) -> str:
    """The amount as plain digits with the currency's decimals, for a form field (100050 USD -> "1000.50")."""
    digits = minor_digits(currency)
    if digits == 0:
        return str(minor)
    return f"{Decimal(minor).scaleb(-digits):.{digits}f}"


def format_amount(minor: int | None, currency: str | None, locale: str | None = None) -> str:
    """For reading: "$1,000.50", "1 000,50 $", "￥1,000,000", in the reader's locale; "" when there is none."""
    if minor is None or not currency:
        return ""
    digits = minor_digits(currency)
    return format_currency(Decimal(minor).scaleb(-digits), currency, locale=locale or _locale())
