"""Fixed lists for the registration form, with names in the reader's language."""
from __future__ import annotations

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

FORUM_COUNTRIES = ("KZ", "UZ", "KG", "TJ", "TM", "JP")


def _locale() -> Locale:
    return get_locale() or Locale("en")


def all_country_codes() -> list[str]:
    territories = Locale("en").territories
    # Two-letter ISO codes only, minus the CLDR pseudo-regions.
    return sorted(c for c in territories if len(c) == 2 and c.isalpha() and c not in {"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"})


COUNTRY_CODES = frozenset(all_country_codes())


def country_name(code: str) -> str:
    return _locale().territories.get(code) or Locale("en").territories.get(code, code)


def country_list() -> list[tuple[str, str]]:
    """(code, name): the six forum countries first, then every other ISO country in the reader's alphabet."""
    first = [(c, country_name(c)) for c in FORUM_COUNTRIES]
    rest = sorted(((c, country_name(c)) for c in COUNTRY_CODES if c not in FORUM_COUNTRIES), key=lambda p: p[1])
    return first + rest


def country_choices() -> list[tuple]:
    """For a select: a prompt, the forum countries, a separator, all the others."""
    countries = country_list()
    n = len(FORUM_COUNTRIES)
    first, rest = countries[:n], countries[n:]
    # A disabled separator with its own value, so it can never show as the selected option.
    return [("", _l("Choose a country"))] + first + [("--", "──────────", {"disabled": True})] + rest


SECTORS = {
    "energy": _l("Energy, oil and gas"),
    "mining": _l("Mining and metals"),
    "agriculture": _l("Agriculture and food"),
    "manufacturing": _l("Manufacturing"),
    "automotive": _l("Automotive and machinery"),
    "chemicals": _l("Chemicals and pharmaceuticals"),
    "textiles": _l("Textiles and light industry"),
    "construction": _l("Construction and real estate"),
    "transport": _l("Transport and logistics"),
    "it": _l("IT and telecommunications"),
    "finance": _l("Banking, finance and insurance"),
    "trade": _l("Trade and distribution"),
    "healthcare": _l("Healthcare and medical devices"),
    "education": _l("Education and research"),
    "tourism": _l("Tourism and hospitality"),
    "environment": _l("Environment and water"),
    "consulting": _l("Consulting and legal services"),
    "media": _l("Media and culture"),
    "government": _l("Government and public bodies"),
    "association": _l("Chambers and business associations"),
    "other": _l("Other"),
}


def sector_choices() -> list[tuple[str, str]]:
    return [("", _l("Choose a sector"))] + [(k, v) for k, v in SECTORS.items()]


# Delegate categories (the values of registration.models.Category), labelled in the reader's language.
CATEGORIES = {"delegate": _l("Delegate"), "speaker": _l("Speaker"), "press": _l("Press"), "vip": _l("VIP")}


def category_label(value: str) -> str:
    return str(CATEGORIES.get(value, value))


SPOKEN_LANGUAGES = ("kk", "ru", "uz", "ky", "tg", "tk", "ja", "en", "zh", "ko", "tr", "de", "fr")


def language_name(code: str) -> str:
    name = _locale().languages.get(code) or code
    return name[:1].upper() + name[1:]


def language_choices() -> list[tuple[str, str]]:
    return [(c, language_name(c)) for c in SPOKEN_LANGUAGES]
