"""The agendas' people (Japanese, Kazakh Cyrillic, Uzbek Latin), a meeting grid in the forum's own day, and a
publication through the real scheduler."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from forum import clock
from forum.meetings import scheduling
from forum.meetings.models import Meeting, MeetingState
from tests import factories as f


def people(forum):
    ja = f.participant(forum, full_name="田中 健一", latin_name="TANAKA Kenichi", languages=["ja", "en"],
                       language="ja", country="JP", legal_name="株式会社青葉商事", name_en="Aoba Trading Co., Ltd.",
                       position="代表取締役")
    kz = f.participant(forum, full_name="Әлия Нұрланқызы", latin_name="Aliya Nurlankyzy", languages=["kk", "ru"],
                       language="ru", country="KZ", legal_name="ТОО «Астана Су»", name_en="Astana Su LLP",
                       position="Директор")
    uz = f.participant(forum, full_name="Oʻtkir Gʻaniyev", latin_name="Otkir Ganiyev", languages=["uz", "en"],
                       language="en", country="UZ", legal_name="«Toshkent Qogʻoz» MChJ", name_en="Tashkent Paper LLC")
    return ja, kz, uz


def publish(forum, org, *, at=None, monkeypatch=None):
    """Run the scheduler and publish its plan (at `at`, when given, on the frozen clock)."""
    if at is not None:
        monkeypatch.setattr(clock, "now", lambda: at)
    r = scheduling.run(forum, by=org, time_limit=5, now=at)
    return scheduling.publish(r, by=org, now=at)


def live(db, forum):
    return {m.request_id: m for m in db.session.scalars(sa.select(Meeting).where(
        Meeting.forum_id == forum.id, Meeting.state == MeetingState.SCHEDULED))}


def events(data: bytes | str):
    cal = Calendar.from_ical(data)
    return cal, [c for c in cal.walk("VEVENT")]


def by_uid(data):
    _cal, evs = events(data)
    uids = [str(e["UID"]) for e in evs]
    assert len(uids) == len(set(uids)), "a UID twice"
    return {str(e["UID"]): e for e in evs}


@pytest.fixture()
def world(db):
    """A forum in Tashkent's zone with one session of three 20-minute slots from 09:00 local, two tables,
    a Japanese–Kazakh interpreter, three delegates and an organizer."""
    forum = f.forum(tz="Asia/Tashkent")
    session = f.session(forum, "2027-05-20 09:00", "2027-05-20 10:00", slot_minutes=20)
    tables = [f.table(forum, 1, label="Зал «Алатау», у окна"), f.table(forum, 2)]
    interp = f.interpreter(forum, ["ja", "kk"], name="Гульнара Ахметова")
    ja, kz, uz = people(forum)
    org = f.organizer()
    return dict(forum=forum, slots=session.slots, tables=tables, interpreter=interp, ja=ja, kz=kz, uz=uz, org=org)


HOUR = timedelta(hours=1)
