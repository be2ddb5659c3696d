"""A delegate's contacts as one vCard file (3.0 or 4.0) or a CSV file. Plain data in (`Entry`), text or bytes out.

Names. A registration holds two names and no more: `full_name` as written natively and `latin_name` "as in the
passport". Neither says which word is the family name, and the orders differ (山田 太郎 is family-first,
Әлия Нұрланқызы given-first), so nothing here guesses from the native name: N carries the whole native name as
its family component (address books then show and sort it as written) and FN carries it too.
The Latin name is split only where the registration form's own convention says how: it asks for the name "as
in the passport, e.g. YAMADA Taro", where the family name is the word (or words) written in capitals. A Latin
name with a capitalised run at its start or end and something else beside it is split there; any other one is
kept whole as the family part. The Latin name goes
- in both versions into X-PHONETIC-LAST-NAME / X-PHONETIC-FIRST-NAME, which iOS and Android contacts read
  and show under the name (and sort by);
- in vCard 4.0 also as an alternate FN and N (RFC 6350 5.4 ALTID: the same ALTID, different LANGUAGE). The
  LANGUAGE is the script only ("und-Latn", "und-Cyrl", "und-Hani", "und-Jpan": BCP 47 with an undetermined
  language), because the script is all the data tells: a Cyrillic name may be Kazakh or Russian.
The company's English name goes alike into X-PHONETIC-ORG and, in 4.0, an alternate ORG.

Not exported: e-mail and phone. A delegate's card shares their name, position, company and country (what their
company consented to show in the directory); nobody consented to hand their address or number to whoever
scans their badge, and there is no such consent to ask for.

Text values are escaped (backslash, comma, semicolon, line breaks: RFC 6350 3.4, RFC 2426 4) and lines folded
at 75 octets without cutting a UTF-8 character in two (RFC 6350 3.2); lines end with CRLF.
"""
from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Iterator, Sequence

from forum.review.exports import to_csv

VERSIONS = ("3.0", "4.0")
MAX_OCTETS = 75
# UIDs made from the two registrations' public ids: stable across exports (a re-import updates rather than
# duplicates) without putting the public ids themselves in the file.
_UID_NAMESPACE = uuid.UUID("0f3c7f0e-6a51-4d2c-9a52-2b7f6e0c11a1")


@dataclass(frozen=True)
class Entry:
    """One contact as the files write it."""

    full_name: str
    latin_name: str
    position: str
    company: str
    company_en: str
    country: str  # the country's name in the reader's language
    country_code: str  # ISO 3166 alpha-2
    note: str
    saved_at: str  # already in forum time, as the CSV shows it
    uid: str


def uid_for(owner_public_id: str, person_public_id: str) -> str:
    return str(uuid.uuid5(_UID_NAMESPACE, f"{owner_public_id}/{person_public_id}"))


# --- names ---------------------------------------------------------------------------------------------

def _is_capitals(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def split_latin(name: str) -> tuple[str, str]:
    """(family, given) of a Latin name by the passport convention (family in capitals): "YAMADA Taro" ->
    ("YAMADA", "Taro"), "Aliya NURLANKYZY" -> ("NURLANKYZY", "Aliya"). Anything else -> (name, "")."""
    words = name.split()
    caps = [_is_capitals(w) for w in words]
    if len(words) < 2 or all(caps) or not any(caps):
        return name.strip(), ""
    n_lead = next(i for i, c in enumerate(caps) if not c)  # capitals at the start
    n_tail = next(i for i, c in enumerate(reversed(caps)) if not c)  # capitals at the end
    if n_lead and not any(caps[n_lead:]):
        return " ".join(words[:n_lead]), " ".join(words[n_lead:])
    if n_tail and not any(caps[:len(words) - n_tail]):
        return " ".join(words[len(words) - n_tail:]), " ".join(words[:len(words) - n_tail])
    return name.strip(), ""  # capitals in the middle, or on both sides: no convention tells


def script_tag(text: str) -> str | None:
    """'und-Latn', 'und-Cyrl', 'und-Jpan' (kana, with or without kanji), 'und-Hani' (kanji only), or None when
    the letters are of another script or of several."""
    scripts = set()
    for c in text:
        if not c.isalpha():
            continue
        name = unicodedata.name(c, "")
        if name.startswith("MODIFIER LETTER"):
            continue  # ʻ of the Uzbek oʻ: part of a Latin word
        first = name.split(" ", 1)[0]
        if first == "CJK":
            scripts.add("Hani")
        elif first in ("HIRAGANA", "KATAKANA"):
            scripts.add("Kana")
        elif first in ("LATIN", "CYRILLIC"):
            scripts.add({"LATIN": "Latn", "CYRILLIC": "Cyrl"}[first])
        else:
            return None
    if scripts and scripts <= {"Hani", "Kana"}:
        return "und-Jpan" if "Kana" in scripts else "und-Hani"
    if len(scripts) == 1:
        return "und-" + scripts.pop()
    return None


# --- vCard ---------------------------------------------------------------------------------------------

def escape(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return (value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n"))


def _compound(*parts: str) -> str:
    return ";".join(escape(p) for p in parts)


def fold(line: str) -> str:
    """The content line folded into physical lines of at most 75 octets (a continuation line's leading space
    counts), never inside a UTF-8 character; joined with CRLF."""
    out: list[str] = []
    current: list[str] = []
    size, limit = 0, MAX_OCTETS
    for c in line:
        n = len(c.encode("utf-8"))
        if size + n > limit:
            out.append("".join(current))
            current, size, limit = [" "], 1, MAX_OCTETS
        current.append(c)
        size += n
    out.append("".join(current))
    return "\r\n".join(out)


def _param(language: str | None, altid: int | None = None) -> str:
    params = []
    if altid is not None:
        params.append(f"ALTID={altid}")
    if language:
        params.append(f"LANGUAGE={language}")
    return "".join(";" + p for p in params)


def card_lines(e: Entry, version: str = "4.0") -> list[str]:
    """The content lines (unfolded) of one contact."""
    if version not in VERSIONS:
        raise ValueError(version)
    native = e.full_name.strip() or e.latin_name.strip()
    latin = e.latin_name.strip()
    family, given = split_latin(latin) if latin else ("", "")
    two_names = bool(latin) and latin != native
    lines = ["BEGIN:VCARD", f"VERSION:{version}"]
    if version == "4.0" and two_names:
        lines += [f"FN{_param(script_tag(native), 1)}:{escape(native)}",
                  f"FN{_param(script_tag(latin), 1)}:{escape(latin)}",
                  f"N{_param(script_tag(native), 2)}:{_compound(native, '', '', '', '')}",
                  f"N{_param(script_tag(latin), 2)}:{_compound(family, given, '', '', '')}"]
    else:
        lines += [f"FN:{escape(native)}", f"N:{_compound(native, '', '', '', '')}"]
    if two_names:
        if given:
            lines.append(f"X-PHONETIC-FIRST-NAME:{escape(given)}")
        lines.append(f"X-PHONETIC-LAST-NAME:{escape(family)}")
    company, company_en = e.company.strip(), e.company_en.strip()
    if company or company_en:
        org = company or company_en
        if version == "4.0" and company_en and company_en != org:
            lines += [f"ORG{_param(script_tag(org), 3)}:{_compound(org)}",
                      f"ORG{_param(script_tag(company_en), 3)}:{_compound(company_en)}"]
        else:
            lines.append(f"ORG:{_compound(org)}")
        if company_en and company_en != org:
            lines.append(f"X-PHONETIC-ORG:{escape(company_en)}")
    if e.position.strip():
        lines.append(f"TITLE:{escape(e.position.strip())}")
    if e.country:
        # RFC 8605 gives vCard 4.0 the ISO code as the CC parameter; 3.0 has the name only.
        cc = f";CC={e.country_code}" if version == "4.0" and e.country_code.isalpha() else ""
        lines.append(f"ADR;TYPE=work{cc}:{_compound('', '', '', '', '', '', e.country)}")
    if e.note:
        lines.append(f"NOTE:{escape(e.note)}")
    lines += [f"UID:urn:uuid:{e.uid}", "END:VCARD"]
    return lines


def vcard(entries: Iterable[Entry], version: str = "4.0") -> str:
    """Every contact in one vCard text (CRLF line ends, folded), in the given order."""
    return "".join(fold(line) + "\r\n" for e in entries for line in card_lines(e, version))


# --- CSV ------------------------------------------------------------------------------------------------

HEADER = ("Name", "Name (Latin)", "Position", "Company", "Company (English)", "Country", "Note", "Saved")


def csv_rows(entries: Iterable[Entry]) -> Iterator[tuple]:
    for e in entries:
        yield (e.full_name, e.latin_name, e.position, e.company, e.company_en, e.country, e.note, e.saved_at)


def to_csv_bytes(entries: Iterable[Entry], header: Sequence[str] = HEADER) -> bytes:
    """UTF-8 with a BOM, every cell quoted and formula-neutralised: the registration export's writer."""
    return to_csv(csv_rows(entries), header=header)


def saved_text(dt: datetime, tz) -> str:
    return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M")
