"""The languages the app speaks (pages and e-mails): the one list, used by forms, config, CLI and templates.

Each is named in its own language, so a reader finds theirs whatever the page's language.
"""
from __future__ import annotations

UI_LANGUAGES: dict[str, str] = {"en": "English", "ja": "日本語", "ru": "Русский", "kk": "Қазақша", "uz": "Oʻzbekcha"}
CODES: tuple[str, ...] = tuple(UI_LANGUAGES)
DEFAULT = "en"


def choices() -> list[tuple[str, str]]:
    return list(UI_LANGUAGES.items())


def known(code: str | None) -> str:
    """The code if the app speaks it, else the default."""
    return code if code in UI_LANGUAGES else DEFAULT
