"""The outcomes tests' forum (Asia/Almaty, UTC+5) and people: a Japanese, a Kazakh and an Uzbek delegate, a
session on 20 May 2027 from 09:00 local (04:00 UTC) in 20-minute slots, and two tables."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

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


@pytest.fixture()
def small(forum, trio, grid):
    """The funnel's hand-counted fixture: seven requests between five delegates of five companies.

        r1 田中 (JP, energy)        -> Әлия (KZ, profile: agriculture, it)  accepted, held, 田中: cooperation
                                                                            (an earlier meeting, moved: cancelled)
        r2 Әлия (KZ)                -> Oʻtkir (UZ, textiles)                accepted, held, both: informative/no interest
        r3 田中 (JP)                -> Oʻtkir (UZ)                          accepted, no-show (田中: not held)
        r4 佐藤 (JP, it)            -> Oʻtkir (UZ)                          pending
        r5 佐藤 (JP)                -> Әлия (KZ)                            accepted, then cancelled
        r6 Нұрлан (KZ, mining)      -> Oʻtkir (UZ)                          declined
        r7 佐藤 (JP)                -> 田中 (JP)                            accepted, its only meeting cancelled
    """
    from forum.meetings import requests
    from forum.meetings.models import HeldVia, MeetingState
    from forum.outcomes import services
    from forum.outcomes.models import OutcomeKind as K

    tanaka, aliya, otkir = trio
    slots, tables = grid
    sato = f.participant(forum, full_name="佐藤 花子", latin_name="SATO Hanako", language="ja", country="JP",
                         legal_name="佐藤商事株式会社", sector="it")
    nurlan = f.participant(forum, full_name="Нұрлан Әбенов", latin_name="Nurlan Abenov", language="ru", country="KZ",
                           legal_name="Qazaq Kenderi JSC", sector="mining")
    f.profile(aliya.company, sectors=["agriculture", "it"])
    r1 = f.meeting_request(tanaka, aliya, accept=True)
    r2 = f.meeting_request(aliya, otkir, accept=True)
    r3 = f.meeting_request(tanaka, otkir, accept=True)
    r4 = f.meeting_request(sato, otkir)
    r5 = f.meeting_request(sato, aliya, accept=True)
    requests.cancel(r5, by=sato.user)
    r6 = f.meeting_request(nurlan, otkir)
    requests.decline(r6, by=otkir.user)
    r7 = f.meeting_request(sato, tanaka, accept=True)
    f.meeting(tanaka, aliya, slots[4], tables[1], request=r1, state="cancelled")
    m1 = f.meeting(tanaka, aliya, slots[0], tables[0], request=r1)
    m2 = f.meeting(aliya, otkir, slots[1], tables[0], request=r2)
    m3 = f.meeting(tanaka, otkir, slots[2], tables[0], request=r3)
    f.meeting(sato, tanaka, slots[3], tables[0], request=r7, state="cancelled")
    for m in (m1, m2):
        m.held_at, m.held_via = m.slot.starts_at + timedelta(minutes=1), HeldVia.SCAN
    m3.state, m3.no_show_at = MeetingState.NO_SHOW, m3.slot.starts_at + timedelta(minutes=10)
    later = START + timedelta(hours=6)
    services.record(m1, tanaka, kind=K.COOPERATION, next_step="=HYPERLINK(\"http://x\")", by=tanaka.user, now=later)
    services.record(m1, aliya, kind=K.INFORMATIVE, by=aliya.user, now=later)
    services.record(m2, aliya, kind=K.INFORMATIVE, by=aliya.user, now=later)
    services.record(m2, otkir, kind=K.NO_INTEREST, by=otkir.user, now=later)
    services.record(m3, tanaka, kind=K.NOT_HELD, by=tanaka.user, now=later)
    return dict(people=(tanaka, aliya, otkir, sato, nurlan), requests=(r1, r2, r3, r4, r5, r6, r7),
                meetings=(m1, m2, m3))
