"""The venue tests' forum: one morning session of 20-minute slots (from 09:00 Astana time), three tables, and
delegates from Japan, Kazakhstan and Uzbekistan with live badges; a meeting of 田中 and Әлия at table 1 in the
first slot. `at(dt)` moves the app's clock."""
from __future__ import annotations

from datetime import timedelta

import pytest

from forum import clock
from forum.badges import issuing
from tests import factories as f

JA = dict(full_name="田中 健一", latin_name="TANAKA Kenichi", email="tanaka@example.jp", language="ja",
          legal_name="株式会社青葉商事", name_en="Aoba Trading Co., Ltd.", country="JP")
KZ = dict(full_name="Әлия Нұрланқызы", latin_name="Aliya NURLANKYZY", email="aliya@example.kz", language="ru",
          legal_name="«Дала Энерго» ЖШС", name_en="Dala Energo LLP", country="KZ")
UZ = dict(full_name="Oʻtkir Gʻaniyev", latin_name="Utkir GANIYEV", email="otkir@example.uz", language="ru",
          legal_name="«Samarqand Tekstil» MChJ", name_en="Samarkand Textile LLC", country="UZ")
JA2 = dict(full_name="佐藤 美咲", latin_name="SATO Misaki", email="sato@example.jp", language="ja",
           legal_name="東邦機械株式会社", name_en="Toho Machinery Co., Ltd.", country="JP")


def person(forum, who):
    reg = f.participant(forum, **who)
    issuing.badge_for(reg)
    return reg


@pytest.fixture()
def forum(db):
    return f.forum(slug="astana")


@pytest.fixture()
def grid(forum):
    s = f.session(forum, "2027-05-20 09:00", "2027-05-20 11:00", slot_minutes=20)
    return {"session": s, "slots": list(s.slots), "tables": [f.table(forum, n) for n in (1, 2, 3)]}


@pytest.fixture()
def slots(grid):
    return grid["slots"]


@pytest.fixture()
def tables(grid):
    return grid["tables"]


@pytest.fixture()
def tanaka(forum):
    return person(forum, JA)


@pytest.fixture()
def aliya(forum):
    return person(forum, KZ)


@pytest.fixture()
def otkir(forum):
    return person(forum, UZ)


@pytest.fixture()
def sato(forum):
    return person(forum, JA2)


@pytest.fixture()
def meeting(tanaka, aliya, slots, tables):
    return f.meeting(tanaka, aliya, slots[0], tables[0])


@pytest.fixture()
def start(slots):
    return slots[0].starts_at


@pytest.fixture()
def at(monkeypatch):
    def _at(when):
        monkeypatch.setattr(clock, "now", lambda: when)
        return when

    return _at


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
