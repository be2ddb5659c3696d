"""The outcomes tests' forum (Asia/Almaty, UTC+5) and people: a Japanese, a Kazakh and an Uzbek delegate, a
session on 20 May 2027 from 09:00 local (04:00 UTC) in 20-minute slots, and two tables."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from forum import clock
from tests import factories as f

START = datetime(2027, 5, 20, 4, 0, tzinfo=timezone.utc)  # 09:00 in Astana: the first slot


def people(forum):
    tanaka = f.participant(forum, full_name="田中 健一", latin_name="TANAKA Kenichi", language="ja", country="JP",
                           legal_name="株式会社青葉", name_en="Aoba Co., Ltd.", sector="energy")
    aliya = f.participant(forum, full_name="Әлия Нұрланқызы", latin_name="Aliya Nurlankyzy", language="ru",
                          country="KZ", legal_name="ТОО «Дала Агро»", sector="agriculture")
    otkir = f.participant(forum, full_name="Oʻtkir Gʻaniyev", latin_name="Oʻtkir Gʻaniyev", language="en",
                          country="UZ", legal_name="Toshkent Tekstil MChJ", sector="textiles")
    return tanaka, aliya, otkir


@pytest.fixture()
def forum(db):
    return f.forum(slug="astana")


@pytest.fixture()
def trio(forum):
    return people(forum)


@pytest.fixture()
def grid(forum):
    s = f.session(forum, "2027-05-20 09:00", "2027-05-20 12:00", slot_minutes=20)
    return s.slots, [f.table(forum, 1), f.table(forum, 2)]


@pytest.fixture()
def meeting(trio, grid):
    tanaka, aliya, _ = trio
    slots, tables = grid
    return f.meeting(tanaka, aliya, slots[0], tables[0])


@pytest.fixture()
def at(monkeypatch):
    """at(when): the app's clock stands at `when` (UTC-aware)."""

    def _at(when):
        monkeypatch.setattr(clock, "now", lambda: when)
        return when

    return _at
