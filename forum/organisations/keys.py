"""The keys organisations are matched by, from plain strings (no Flask, no database).

Two registrations are the same organisation when they are in the same country and a folded name
of one equals a folded name of the other, or when their websites share a domain. Folding is the
search folding (case, width, apostrophes, keyboard letters) plus dropping legal forms and
punctuation, so "ТОО «Қазақ Ойл»", "Казак Ойл ТОО" and "KAZAKH OIL LLP" / "Kazakh Oil, LLP" meet.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from forum.search import fold

# Legal forms as written in the forums' countries (folded: Kazakh АҚ is "ак", Tajik ҶДММ is "ҷдмм"). Dropped
# from the end of a name ("«Қазақ Ойл» ЖШС", "Kazakh Oil, LLP", "Sakura Co., Ltd.") and, for those that are also
# written before it, from its start ("ТОО «Қазақ Ойл»", "JSC Kazakhtelecom"); inside a name they are words of
# it ("Ақ Жол" is a name, АҚ a legal form).
LEGAL_FORMS = frozenset("""
llc llp ltd limited inc incorporated corp corporation co company plc jsc ojsc cjsc pjsc gmbh ag sa
тоо ао оао зао пао ооо ип гп рго ргп тов
жшс ак жак ук ззт зтб
жчк аак ачк жак юлб
ҷдмм ҷсп ҷск ҷса
hj hk hjs
mchj ooo aj qk xk ajs mas kk
株式会社 有限会社 合同会社 一般社団法人 公益社団法人 一般財団法人 公益財団法人 独立行政法人
""".split())
LEADING_FORMS = frozenset("""
llc llp jsc ojsc cjsc pjsc тоо ао оао зао пао ооо ип гп рго ргп тов ҷдмм ҷсп ҷск mchj ooo
""".split())

_PUNCT = re.compile(r"[\s\"'«»“”„‘’`.,;:()\[\]{}/\\|&+\-–—_!?*#@]+")
# Japanese company names put the legal form against the name, with no space: 株式会社さくら商事.
_JA_FORMS = re.compile("|".join(sorted((f for f in LEGAL_FORMS if not f.isascii() and len(f) > 3), key=len,
                                       reverse=True)))
# Hosts that say nothing about who owns a website.
GENERIC_DOMAINS = frozenset({"facebook.com", "instagram.com", "linkedin.com", "t.me", "telegram.me", "vk.com",
                             "google.com", "sites.google.com", "wixsite.com", "gmail.com", "mail.ru", "yandex.ru"})


def name_key(name: str | None) -> str:
    """The folded name without legal forms or punctuation; '' when nothing is left."""
    text = _JA_FORMS.sub(" ", fold(name))
    words = [w for w in _PUNCT.split(text) if w]
    while words and words[-1] in LEGAL_FORMS:
        words.pop()
    while words and words[0] in LEADING_FORMS:
        words.pop(0)
    while words and words[-1] in LEGAL_FORMS:  # "ТОО «X» LLP" written both ways
        words.pop()
    return " ".join(words)


def domain(website: str | None) -> str:
    """The website's host without www. and port, lower-case; '' for none or a generic host."""
    raw = (website or "").strip()
    if not raw:
        return ""
    if "://" not in raw:
        raw = "http://" + raw
    try:
        host = (urlsplit(raw).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""
    if host.startswith("www."):
        host = host[4:]
    if not host or "." not in host or host in GENERIC_DOMAINS:
        return ""
    return host
