"""The delegate's calendar (agendas.ics), parsed back with icalendar: stable UIDs across publications, SEQUENCE,
cancelled events, forum-local times with the zone's VTIMEZONE, every script intact."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask_babel import force_locale, gettext
from icalendar import Calendar

from forum.agendas import ics
from forum.meetings.models import MeetingPrefs, MeetingState, Unavailability
from tests import factories as f
from tests.agendas.conftest import by_uid, events, live, publish


def test_one_event_per_meeting_with_the_requests_uid_in_the_forums_zone(db, world, monkeypatch):
    forum, ja, kz, uz = world["forum"], world["ja"], world["kz"], world["uz"]
    r1 = f.meeting_request(ja, kz, priority="must", accept=True)
    r2 = f.meeting_request(uz, ja, accept=True)
    at = datetime(2027, 5, 1, 6, 0, tzinfo=timezone.utc)
    publish(forum, world["org"], at=at, monkeypatch=monkeypatch)
    meetings = live(db, forum)

    cal, evs = events(ics.calendar_for(ja, now=at))
    assert str(cal["METHOD"]) == "PUBLISH" and "forum" in str(cal["PRODID"])
    assert "Central Asia + Japan Business Forum" in str(cal["X-WR-CALNAME"])
    got = by_uid(ics.calendar_for(ja, now=at))
    assert set(got) == {f"{r1.public_id}@forum-b2b", f"{r2.public_id}@forum-b2b"}
    for req in (r1, r2):
        ev, m = got[f"{req.public_id}@forum-b2b"], meetings[req.id]
        start = ev["DTSTART"]
        assert start.params["TZID"] == "Asia/Tashkent"
        assert start.dt.utcoffset() == timedelta(hours=5)
        assert start.dt == m.slot.starts_at and ev["DTEND"].dt == m.slot.ends_at
        assert f"{start.dt:%H:%M}" == f"{forum.local(m.slot.starts_at):%H:%M}"
        assert f"{start.dt:%H:%M}" in {"09:00", "09:20", "09:40"}
        assert str(ev["STATUS"]) == "CONFIRMED" and int(ev["SEQUENCE"]) == 0
        assert ev["DTSTAMP"].dt == at
        assert ev["LAST-MODIFIED"].dt == at
    # The zone itself travels with the file, and the raw text says TZID on the times.
    [tz] = cal.walk("VTIMEZONE")
    assert str(tz["TZID"]) == "Asia/Tashkent"
    assert b"DTSTART;TZID=Asia/Tashkent:20270520T09" in ics.calendar_for(ja, now=at).replace(b"\r\n ", b"")
    ev = got[f"{r1.public_id}@forum-b2b"]
    # In the delegate's language (ja), with the counterpart in both scripts and the company in both names.
    with force_locale("ja"):
        assert str(ev["SUMMARY"]) == gettext("B2B: %(name)s (%(company)s)", name="Әлия Нұрланқызы (Aliya Nurlankyzy)",
                                             company="ТОО «Астана Су» (Astana Su LLP)")
    assert "Әлия Нұрланқызы (Aliya Nurlankyzy)" in str(ev["SUMMARY"])
    desc = str(ev["DESCRIPTION"])
    assert "Әлия Нұрланқызы (Aliya Nurlankyzy)" in desc and "Гульнара Ахметова" in desc
    assert "カザフスタン" in desc  # the country in the reader's language
    assert f"/forums/{forum.slug}/b2b/agenda" in desc
    table = meetings[r1.id].table
    assert str(table.number) in str(ev["LOCATION"]) and "Palace of Independence" in str(ev["LOCATION"])


def test_almaty_after_its_2024_change_is_utc_plus_5_in_the_vtimezone(db):
    forum = f.forum(tz="Asia/Almaty")
    s = f.session(forum, "2027-05-20 09:00", "2027-05-20 10:00")
    a, b = f.participant(forum), f.participant(forum)
    m = f.meeting(a, b, s.slots[0], f.table(forum, 7))
    cal, [ev] = events(ics.calendar_for(a))
    assert ev["DTSTART"].params["TZID"] == "Asia/Almaty" and f"{ev['DTSTART'].dt:%H:%M}" == "09:00"
    assert ev["DTSTART"].dt == m.slot.starts_at == datetime(2027, 5, 20, 4, 0, tzinfo=timezone.utc)
    [tz] = cal.walk("VTIMEZONE")
    offsets = [o["TZOFFSETTO"].td for o in tz.subcomponents]
    assert offsets and offsets[-1] == timedelta(hours=5)


def test_a_move_keeps_the_uid_with_a_higher_sequence_a_drop_cancels_nothing_is_duplicated(db, world, monkeypatch):
    forum, ja, kz, uz = world["forum"], world["ja"], world["kz"], world["uz"]
    stays = f.meeting_request(ja, kz, accept=True)
    moves = f.meeting_request(uz, ja, accept=True)
    t1 = datetime(2027, 5, 1, 6, 0, tzinfo=timezone.utc)
    publish(forum, world["org"], at=t1, monkeypatch=monkeypatch)
    first = live(db, forum)
    before = by_uid(ics.calendar_for(ja, now=t1))
    uid_moves, uid_stays = f"{moves.public_id}@forum-b2b", f"{stays.public_id}@forum-b2b"

    # uz cannot make it at the published time any more: the meeting moves.
    db.session.add(Unavailability(registration_id=uz.id, slot_id=first[moves.id].slot_id))
    t2 = t1 + timedelta(days=2)
    publish(forum, world["org"], at=t2, monkeypatch=monkeypatch)
    second = live(db, forum)
    assert second[moves.id].slot_id != first[moves.id].slot_id
    after = by_uid(ics.calendar_for(ja, now=t2))
    assert set(after) == set(before) == {uid_moves, uid_stays}
    assert int(after[uid_moves]["SEQUENCE"]) > int(before[uid_moves]["SEQUENCE"])
    assert after[uid_moves]["DTSTART"].dt == second[moves.id].slot.starts_at != before[uid_moves]["DTSTART"].dt
    assert after[uid_moves]["LAST-MODIFIED"].dt == t2 and str(after[uid_moves]["STATUS"]) == "CONFIRMED"
    assert int(after[uid_stays]["SEQUENCE"]) == 0 and after[uid_stays]["DTSTART"].dt == before[uid_stays]["DTSTART"].dt

    # kz leaves the B2B meetings: that meeting is dropped, and stays in the file as cancelled (once).
    db.session.add(MeetingPrefs(registration_id=kz.id, opted_out=True))
    t3 = t2 + timedelta(days=1)
    publish(forum, world["org"], at=t3, monkeypatch=monkeypatch)
    third = by_uid(ics.calendar_for(ja, now=t3))
    assert set(third) == {uid_moves, uid_stays}
    assert str(third[uid_stays]["STATUS"]) == "CANCELLED"
    assert int(third[uid_stays]["SEQUENCE"]) > int(after[uid_stays]["SEQUENCE"])
    assert third[uid_stays]["DTSTART"].dt == before[uid_stays]["DTSTART"].dt  # where it was
    assert third[uid_stays]["LAST-MODIFIED"].dt == t3
    assert third[uid_moves]["SEQUENCE"] == after[uid_moves]["SEQUENCE"]  # unchanged: same sequence

    # Nothing changes: the sequences stay; kz's own calendar has the cancelled one too, and only that.
    publish(forum, world["org"], at=t3 + timedelta(hours=1), monkeypatch=monkeypatch)
    again = by_uid(ics.calendar_for(ja))
    assert {u: int(e["SEQUENCE"]) for u, e in again.items()} == {u: int(e["SEQUENCE"]) for u, e in third.items()}
    assert {u: str(e["STATUS"]) for u, e in by_uid(ics.calendar_for(kz)).items()} == {uid_stays: "CANCELLED"}


def test_a_meeting_placed_again_after_a_drop_gets_a_higher_sequence_still():
    from forum.agendas.history import RequestHistory
    from forum.meetings.models import Meeting

    def row(state):
        return Meeting(state=MeetingState(state))

    h = RequestHistory([row("scheduled")])
    seqs = [h.changes]
    h.rows[-1].state = MeetingState.CANCELLED  # dropped
    seqs.append(h.changes)
    h.rows.append(row("scheduled"))  # placed again by a later publication
    seqs.append(h.changes)
    h.rows[-1].state = MeetingState.CANCELLED  # moved: cancelled and created again
    h.rows.append(row("scheduled"))
    seqs.append(h.changes)
    h.rows[-1].state = MeetingState.NO_SHOW  # a no-show is no change to the appointment
    seqs.append(h.changes)
    assert seqs == [0, 1, 2, 4, 4]
    assert not h.cancelled and h.current is h.rows[-1]


def test_a_no_show_stays_confirmed_and_a_walk_in_is_an_event(db):
    forum = f.forum()
    s = f.session(forum)
    a, b, c = f.participant(forum), f.participant(forum), f.participant(forum)
    t = f.table(forum, 1)
    gone = f.meeting(a, b, s.slots[0], t)
    gone.state, gone.no_show_at = MeetingState.NO_SHOW, s.slots[0].starts_at + timedelta(minutes=10)
    db.session.flush()
    walk = f.meeting(a, c, s.slots[0], t, walk_in=True)
    got = by_uid(ics.calendar_for(a))
    assert {u: str(e["STATUS"]) for u, e in got.items()} == {
        f"{gone.request.public_id}@forum-b2b": "CONFIRMED", f"{walk.request.public_id}@forum-b2b": "CONFIRMED"}


def test_japanese_cyrillic_and_uzbek_survive_line_folding(db):
    forum = f.forum(tz="Asia/Tashkent")
    s = f.session(forum)
    long_ja = "株式会社みちのく再生可能エネルギー開発研究所グループホールディングス"
    a = f.participant(forum, full_name="田中 健一", latin_name="TANAKA Kenichi", language="ja")
    b = f.participant(forum, full_name="Oʻtkir Gʻaniyev Toʻlqinovich Qoʻchqorov", latin_name="Otkir Ganiyev",
                      legal_name=long_ja, name_en="Michinoku Renewable Energy Holdings", country="UZ")
    t = f.table(forum, 12, label="Зал «Әл-Фараби», оң жақтағы терезенің жанындағы үстел")
    f.meeting(a, b, s.slots[0], t, interpreter=f.interpreter(forum, ["ja", "uz"], name="Нұрсұлтан Әбдіқадыров"))
    raw = ics.calendar_for(a)
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75  # folded, as RFC 5545 says
    for line in lines:
        line.decode("utf-8")  # never cut inside a character
    ev = by_uid(raw).popitem()[1]
    assert str(ev["SUMMARY"]).endswith(f"Oʻtkir Gʻaniyev Toʻlqinovich Qoʻchqorov (Otkir Ganiyev)（{long_ja} "
                                       f"(Michinoku Renewable Energy Holdings)）")  # in Japanese: full-width brackets
    assert "Зал «Әл-Фараби», оң жақтағы терезенің жанындағы үстел" in str(ev["LOCATION"])
    assert "Нұрсұлтан Әбдіқадыров" in str(ev["DESCRIPTION"])
    assert "ウズベキスタン" in str(ev["DESCRIPTION"])
    assert Calendar.from_ical(raw).to_ical() == raw  # a round trip changes nothing


def test_the_attachment_for_a_mail(db):
    forum = f.forum()
    s = f.session(forum)
    a, b = f.participant(forum, full_name="Әлия Нұрланқызы"), f.participant(forum)
    f.meeting(a, b, s.slots[0], f.table(forum, 1))
    att = ics.attachment_for(a)
    assert att["filename"] == "b2b-agenda.ics" and att["content_type"] == "text/calendar; method=PUBLISH"
    assert isinstance(att["text"], str) and len(by_uid(att["text"].encode())) == 1
    assert ics.attachments_for(forum.id, [a, b])[b.id]["text"].count("BEGIN:VEVENT") == 1


def test_a_delegate_without_meetings_gets_an_empty_calendar(db):
    forum = f.forum()
    a = f.participant(forum)
    cal, evs = events(ics.calendar_for(a))
    assert evs == [] and cal.walk("VTIMEZONE") == [] and str(cal["VERSION"]) == "2.0"


def test_the_calendar_names_the_forum_and_venue_in_the_delegates_language_with_the_fallback(db, world, monkeypatch):
    from forum.forums.models import ForumText

    forum, ja, kz = world["forum"], world["ja"], world["kz"]
    forum.texts.append(ForumText(language="ja", title="中央アジア＋日本ビジネスフォーラム", venue="独立宮殿"))
    forum.texts.append(ForumText(language="ru", title="Бизнес-форум Центральная Азия + Япония"))
    kz.language = "kk"
    f.meeting_request(ja, kz, accept=True)
    at = datetime(2027, 5, 1, 6, 0, tzinfo=timezone.utc)
    publish(forum, world["org"], at=at, monkeypatch=monkeypatch)
    cal, [ev] = events(ics.calendar_for(ja, now=at))
    assert "中央アジア＋日本ビジネスフォーラム" in str(cal["X-WR-CALNAME"]) and "独立宮殿" in str(ev["LOCATION"])
    cal, [ev] = events(ics.calendar_for(kz, now=at))  # Kazakh: the Russian title, the English venue
    assert "Бизнес-форум Центральная Азия + Япония" in str(cal["X-WR-CALNAME"])
    assert "Palace of Independence" in str(ev["LOCATION"]) and "独立宮殿" not in str(ev["LOCATION"])
