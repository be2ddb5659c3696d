"""How complete each interface language's catalog is: `forum catalogs` prints it (and fails when one is not).

A message counts as translated when every form is filled, it is not fuzzy, and it keeps the source's %(name)
placeholders (a plural form: those of msgid_plural). English is the source and needs no catalog."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.pofile import read_po

from forum import languages

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
PLACEHOLDER = re.compile(r"%\(([^)]+)\)")


@dataclass
class Completeness:
    language: str
    total: int = 0
    translated: int = 0
    fuzzy: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)  # translated, but a placeholder differs

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0

    @property
    def complete(self) -> bool:
        return self.translated == self.total


def _names(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text or ""))


def check(lang: str, folder: Path = TRANSLATIONS) -> Completeness:
    with (folder / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    out = Completeness(lang)
    forms_needed = catalog.num_plurals
    for m in catalog:
        if not m.id:
            continue
        out.total += 1
        key = m.id if isinstance(m.id, str) else m.id[0]
        if "fuzzy" in m.flags:
            out.fuzzy.append(key)
            continue
        if m.pluralizable:
            forms = list(m.string) if isinstance(m.string, (tuple, list)) else [m.string]
            if len(forms) != forms_needed or not all((f or "").strip() for f in forms):
                out.missing.append(key)
                continue
            if any(_names(f) != _names(m.id[1]) for f in forms):
                out.placeholders.append(key)
                continue
        else:
            if not (m.string or "").strip():
                out.missing.append(key)
                continue
            if _names(m.string) != _names(m.id):
                out.placeholders.append(key)
                continue
        out.translated += 1
    return out


def report(folder: Path = TRANSLATIONS) -> list[Completeness]:
    """Every interface language but the source (English), in the switcher's order."""
    return [check(code, folder) for code in languages.CODES if code != languages.DEFAULT]
