"""The meeting grid's rules (meetings.grid): slot generation (lengths, gaps, breaks, forum-local, DST), every
validation code of sessions, tables, interpreters and settings, and regeneration that keeps the slots whose times
did not change and refuses to drop a slot a scheduled meeting uses."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.errors import DomainError, NotAllowed
from forum.meetings import availability, grid, participation
from forum.meetings.models import (B2BSettings, Interpreter, Meeting, MeetingSession, MeetingSlot, MeetingTable,
                                   RunStatus, ScheduleRun, Unavailability)
from forum.teams.models import Permission
from tests import factories as f

UTC = timezone.utc


def _day(forum) -> str:
    return forum.starts_at.astimezone(forum.tz).date().isoformat()


def _input(forum, **kw) -> grid.SessionInput:
    data = dict(name="Day 1, morning", day=_day(forum), start="09:00", end="12:00", slot_minutes="20",
                gap_minutes="0", breaks="")
    data.update(kw)
    return grid.SessionInput(**data)


def _codes(call) -> set[str]:
    with pytest.raises(grid.GridErrors) as e:
        call()
    return e.value.codes


def _local(slots, tz) -> list[str]:
    return [s.starts_at.astimezone(ZoneInfo(tz) if isinstance(tz, str) else tz).strftime("%H:%M") for s in slots]


def _b2b(forum):
    return f.member(forum, Permission.B2B, name="B2B desk")


def _meeting(forum, slot, table, a=None, b=None) -> Meeting:
    a = a or f.participant(forum, full_name="Айгерім Сәрсенбаева")
    b = b or f.participant(forum, full_name="田中 一郎")
    req = f.meeting_request(a, b, accept=True)
    m = Meeting(forum_id=forum.id, request_id=req.id, a_id=a.id, b_id=b.id, slot_id=slot.id, table_id=table.id)
    f.db.session.add(m)
    f.db.session.flush()
    return m


# --- the pure computation ------------------------------------------------------------------------

def _at(h, m=0):
    return datetime(2027, 5, 20, h, m, tzinfo=UTC)


def test_slots_follow_each_other_with_the_gap_and_none_runs_past_the_end():
    times = grid.slot_times(_at(9), _at(10), 20, 0)
    assert times == [(_at(9), _at(9, 20)), (_at(9, 20), _at(9, 40)), (_at(9, 40), _at(10))]
    times = grid.slot_times(_at(9), _at(10), 20, 5)
    assert times == [(_at(9), _at(9, 20)), (_at(9, 25), _at(9, 45))]  # 9:50-10:10 would run past the end
    assert grid.slot_times(_at(9), _at(9, 15), 20) == []


def test_a_slot_that_would_overlap_a_break_starts_when_the_break_ends():
    times = grid.slot_times(_at(9), _at(11), 30, 0, [(_at(10), _at(10, 15))])
    assert [t[0] for t in times] == [_at(9), _at(9, 30), _at(10, 15)]
    assert all(not (s < _at(10, 15) and _at(10) < e) for s, e in times)
    # Two breaks; a break touching a slot's end is no overlap.
    times = grid.slot_times(_at(9), _at(12), 30, 0, [(_at(9, 30), _at(9, 45)), (_at(11), _at(11, 10))])
    assert [t[0] for t in times] == [_at(9), _at(9, 45), _at(10, 15), _at(11, 10)]


@pytest.mark.parametrize("zone, offset", [("Asia/Almaty", 5), ("Asia/Tashkent", 5), ("Asia/Tokyo", 9)])
def test_forum_local_times_become_utc_in_zones_without_daylight_saving(zone, offset):
    tz = ZoneInfo(zone)
    for day in (date(2027, 1, 15), date(2027, 7, 15)):
        start = grid.local_to_utc(day, time(9, 0), tz)
        assert start == datetime(day.year, day.month, day.day, 9 - offset, tzinfo=UTC)
        times = grid.slot_times(start, grid.local_to_utc(day, time(10, 0), tz), 15, 5)
        assert [s.astimezone(tz).strftime("%H:%M") for s, _e in times] == ["09:00", "09:20", "09:40"]


def test_daylight_saving_the_slots_last_their_minutes_and_skipped_or_doubled_times_are_refused():
    berlin = ZoneInfo("Europe/Berlin")
    spring = date(2027, 3, 28)  # 02:00 -> 03:00
    start, end = grid.local_to_utc(spring, time(1, 0), berlin), grid.local_to_utc(spring, time(5, 0), berlin)
    assert end - start == timedelta(hours=3)
    times = grid.slot_times(start, end, 60)
    assert [s.astimezone(berlin).strftime("%H:%M") for s, _e in times] == ["01:00", "03:00", "04:00"]
    assert all(e - s == timedelta(minutes=60) for s, e in times)
    with pytest.raises(ValueError, match="nonexistent"):
        grid.local_to_utc(spring, time(2, 30), berlin)
    with pytest.raises(ValueError, match="ambiguous"):
        grid.local_to_utc(date(2027, 10, 31), time(2, 30), berlin)


@pytest.mark.parametrize("raw", ["25:99", "24:00", "9h", "", "09:00:00", "٠٩:٠٠", "9:5", None, "09:60", "\x00"])
def test_hostile_times_are_not_times(raw):
    assert grid.parse_hhmm(raw) is None


@pytest.mark.parametrize("raw", ["2027-02-30", "20-05-2027", "2027-5-20", "", "1999-12-31", "\x00"])
def test_hostile_days_are_not_days(raw):
    assert grid.parse_day(raw) is None


# --- sessions --------------------------------------------------------------------------------------

def test_a_session_is_stored_in_utc_with_its_slots_and_audited(db):
    forum = f.forum()  # Asia/Almaty, UTC+5
    by = _b2b(forum)
    s = grid.create_session(forum, _input(forum, slot_minutes="30", gap_minutes="10", breaks="10:30-11:00"), by=by)
    day = forum.starts_at.astimezone(forum.tz).date()
    assert s.starts_at == datetime(day.year, day.month, day.day, 4, tzinfo=UTC)
    assert s.breaks == [["10:30", "11:00"]]
    assert _local(s.slots, forum.tz) == ["09:00", "09:40", "11:00"]
    assert all(sl.ends_at - sl.starts_at == timedelta(minutes=30) and sl.forum_id == forum.id for sl in s.slots)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.subject_type == "meeting_session"))
    assert entry.action == "created" and entry.actor_id == by.id and entry.details["slots"] == len(s.slots)


def test_slots_after_a_break_and_with_a_gap(db):
    forum = f.forum()
    s = grid.create_session(forum, _input(forum, start="09:00", end="12:00", slot_minutes="30", gap_minutes="10",
                                          breaks="10:30-11:00"), by=_b2b(forum))
    # 09:00, 09:40, then 10:20-10:50 overlaps the break: 11:00, 11:40 would end 12:10 (past the end).
    assert _local(s.slots, forum.tz) == ["09:00", "09:40", "11:00"]


def test_a_session_in_a_zone_with_daylight_saving(db):
    forum = f.forum(tz="Europe/Berlin", now=datetime(2027, 3, 14, 8, tzinfo=UTC))
    assert _day(forum) == "2027-03-28"
    s = grid.create_session(forum, _input(forum, start="01:00", end="05:00", slot_minutes="60"), by=_b2b(forum))
    assert _local(s.slots, "Europe/Berlin") == ["01:00", "03:00", "04:00"]
    assert _codes(lambda: grid.create_session(forum, _input(forum, name="Night", start="02:30", end="06:00"),
                                              by=_b2b(forum))) >= {"time_nonexistent"}


@pytest.mark.parametrize("changes, field, code", [
    ({"name": ""}, "name", "name_required"),
    ({"name": "x" * 121}, "name", "name_too_long"),
    ({"name": "Morning\nsession"}, "name", "name_invalid"),
    ({"name": "Morning\x00"}, "name", "name_invalid"),
    ({"day": "2027-02-30"}, "day", "day_invalid"),
    ({"day": "2030-01-01"}, "day", "outside_forum_dates"),
    ({"start": "25:99"}, "start", "start_invalid"),
    ({"end": "\x00"}, "end", "end_invalid"),
    ({"start": "12:00", "end": "09:00"}, "end", "end_before_start"),
    ({"start": "09:00", "end": "09:00"}, "end", "end_before_start"),
    ({"slot_minutes": "4"}, "slot_minutes", "slot_minutes_invalid"),
    ({"slot_minutes": "241"}, "slot_minutes", "slot_minutes_invalid"),
    ({"slot_minutes": "twenty"}, "slot_minutes", "slot_minutes_invalid"),
    ({"slot_minutes": "-20"}, "slot_minutes", "slot_minutes_invalid"),
    ({"gap_minutes": "121"}, "gap_minutes", "gap_minutes_invalid"),
    ({"breaks": "10:30"}, "breaks", "break_invalid"),
    ({"breaks": "11:00-10:30"}, "breaks", "break_invalid"),
    ({"breaks": "10:30-25:99"}, "breaks", "break_invalid"),
    ({"breaks": "08:30-09:30"}, "breaks", "break_outside_session"),
    ({"breaks": "11:30-12:30"}, "breaks", "break_outside_session"),
    ({"breaks": "10:00-10:30, 10:15-10:45"}, "breaks", "breaks_overlap"),
    ({"start": "09:00", "end": "09:30", "slot_minutes": "40"}, "slot_minutes", "no_slots"),
])
def test_each_session_rule_has_its_code_and_field_and_nothing_is_saved(db, changes, field, code):
    forum = f.forum()
    with pytest.raises(grid.GridErrors) as e:
        grid.create_session(forum, _input(forum, **changes), by=_b2b(forum))
    assert (field, code) in {(fl, c) for fl, c, _m in e.value.errors}
    assert field in e.value.by_field()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MeetingSession)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MeetingSlot)) == 0


def test_every_broken_rule_is_reported_at_once(db):
    forum = f.forum()
    codes = _codes(lambda: grid.create_session(forum, _input(forum, name="", start="25:99", slot_minutes="1"),
                                               by=_b2b(forum)))
    assert codes == {"name_required", "start_invalid", "slot_minutes_invalid"}


def test_the_day_before_and_after_the_forum_are_allowed_but_not_two_days_away(db):
    forum = f.forum()
    first = forum.starts_at.astimezone(forum.tz).date()
    last = forum.ends_at.astimezone(forum.tz).date()
    by = _b2b(forum)
    grid.create_session(forum, _input(forum, day=(first - timedelta(days=1)).isoformat()), by=by)
    grid.create_session(forum, _input(forum, day=(last + timedelta(days=1)).isoformat()), by=by)
    for day in (first - timedelta(days=2), last + timedelta(days=2)):
        assert _codes(lambda: grid.create_session(forum, _input(forum, day=day.isoformat()), by=by)) == \
            {"outside_forum_dates"}


def test_sessions_of_a_forum_do_not_overlap_but_may_touch_and_other_forums_do_not_count(db):
    forum, other = f.forum(), f.forum()
    by = _b2b(forum)
    grid.create_session(forum, _input(forum), by=by)
    assert _codes(lambda: grid.create_session(forum, _input(forum, start="11:00", end="13:00"), by=by)) == \
        {"sessions_overlap"}
    grid.create_session(forum, _input(forum, name="Afternoon", start="12:00", end="14:00"), by=by)
    grid.create_session(other, _input(other), by=f.member(other, Permission.B2B))


def test_only_the_b2b_team_changes_the_grid(db):
    forum = f.forum()
    reviewer = f.member(forum, Permission.REVIEW)
    delegate = f.participant(forum)
    for who in (reviewer, delegate.user, None):
        with pytest.raises(NotAllowed) as e:
            grid.create_session(forum, _input(forum), by=who)
        assert e.value.code == "forbidden"
    s = f.session(forum)
    t = f.table(forum, 1)
    for call in (lambda: grid.update_session(s, _input(forum), by=reviewer),
                 lambda: grid.delete_session(s, by=reviewer),
                 lambda: grid.add_tables(forum, "1-3", by=reviewer),
                 lambda: grid.update_table(t, grid.TableInput(number=2), by=reviewer),
                 lambda: grid.save_interpreter(forum, grid.InterpreterInput(name="A", languages=["ja", "ru"]),
                                               by=reviewer),
                 lambda: grid.save_settings(forum, grid.SettingsInput(), by=reviewer)):
        with pytest.raises(NotAllowed):
            call()
    # A manager holds every permission.
    grid.add_tables(forum, "2-3", by=f.member(forum, Permission.MANAGE))


# --- regeneration ----------------------------------------------------------------------------------

def test_an_edit_keeps_the_slots_whose_times_did_not_change_with_their_links(db):
    forum = f.forum()
    by = _b2b(forum)
    s = grid.create_session(forum, _input(forum, start="09:00", end="10:00", slot_minutes="20"), by=by)
    first, second, third = s.slots
    table = f.table(forum, 1, slots=[first, third])
    interp = f.interpreter(forum, ["ja", "ru"], slots=[first])
    reg = f.participant(forum)
    availability.set_unavailable(reg, {first.id: "Plenary speech", third.id: ""}, by=reg.user)
    ids = (first.id, second.id, third.id)
    # Longer session, same slot length: every old slot stays, one is added.
    grid.update_session(s, _input(forum, start="09:00", end="10:20", slot_minutes="20"), by=by)
    assert [sl.id for sl in s.slots][:3] == list(ids) and len(s.slots) == 4
    assert [sl.id for sl in db.session.get(MeetingTable, table.id).slots] == [first.id, third.id]
    assert [sl.id for sl in db.session.get(Interpreter, interp.id).slots] == [first.id]
    assert availability.unavailable(reg) == {first.id: "Plenary speech", third.id: ""}
    # A break where the second slot was: it goes, with its links; the others stay.
    grid.update_session(s, _input(forum, start="09:00", end="10:20", slot_minutes="20", breaks="09:20-09:40"),
                        by=by)
    assert [sl.id for sl in s.slots][:2] == [first.id, third.id]
    assert second.id not in {sl.id for sl in s.slots}
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "updated")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.details["slots_removed"] == 1 and entry.details["before"]["breaks"] == []


def test_changing_the_slot_length_replaces_the_slots(db):
    forum = f.forum()
    by = _b2b(forum)
    s = grid.create_session(forum, _input(forum, start="09:00", end="10:00", slot_minutes="20"), by=by)
    old = {sl.id for sl in s.slots}
    grid.update_session(s, _input(forum, start="09:00", end="10:00", slot_minutes="30"), by=by)
    assert _local(s.slots, forum.tz) == ["09:00", "09:30"]
    assert all(sl.ends_at - sl.starts_at == timedelta(minutes=30) for sl in s.slots)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MeetingSlot)) == 2
    assert len(old) == 3


def test_regeneration_refuses_to_drop_a_slot_with_a_scheduled_meeting_and_changes_nothing(db):
    forum = f.forum()
    by = _b2b(forum)
    s = grid.create_session(forum, _input(forum, start="09:00", end="10:00", slot_minutes="20"), by=by)
    table = f.table(forum, 1)
    slot = s.slots[1]
    _meeting(forum, slot, table)
    before = [(sl.id, sl.starts_at) for sl in s.slots]
    with pytest.raises(DomainError) as e:
        grid.update_session(s, _input(forum, start="09:00", end="10:00", slot_minutes="30"), by=by)
    assert e.value.code == "slots_in_use" and "1 scheduled meeting" in e.value.message
    db.session.expire_all()
    assert [(sl.id, sl.starts_at) for sl in db.session.get(MeetingSession, s.id).slots] == before
    assert db.session.get(MeetingSession, s.id).slot_minutes == 20
    with pytest.raises(DomainError) as e:
        grid.delete_session(s, by=by)
    assert e.value.code == "session_in_use"
    assert db.session.get(MeetingSession, s.id) is not None
    # An edit that keeps that slot's times is fine.
    grid.update_session(s, _input(forum, name="Renamed", start="09:00", end="10:20", slot_minutes="20"), by=by)
    assert slot.id in {sl.id for sl in db.session.get(MeetingSession, s.id).slots}


def test_two_meetings_are_counted_in_the_refusal(db):
    forum = f.forum()
    by = _b2b(forum)
    s = grid.create_session(forum, _input(forum, start="09:00", end="10:00"), by=by)
    t1, t2 = f.table(forum, 1), f.table(forum, 2)
    _meeting(forum, s.slots[0], t1)
    _meeting(forum, s.slots[0], t2)
    with pytest.raises(DomainError) as e:
        grid.update_session(s, _input(forum, start="09:10", end="10:00"), by=by)
    assert e.value.code == "slots_in_use" and "2 scheduled meetings" in e.value.message


def test_deleting_a_session_removes_its_slots_and_links_and_supersedes_draft_runs(db):
    forum = f.forum()
    by = _b2b(forum)
    s = f.session(forum)
    other = f.session(forum, start_local="2027-05-20 14:00", end_local="2027-05-20 15:00")
    table = f.table(forum, 1, slots=[s.slots[0], other.slots[0]])
    reg = f.participant(forum)
    availability.set_unavailable(reg, {s.slots[0].id: ""}, by=reg.user)
    run = ScheduleRun(forum_id=forum.id, time_limit=10, objective=0, bound=0, solve_seconds=0, n_requests=0,
                      n_scheduled=0, problem={}, plan={})
    db.session.add(run)
    db.session.flush()
    assert grid.delete_session(s, by=by) == 9
    assert db.session.get(MeetingSession, s.id) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MeetingSlot)
                             .where(MeetingSlot.session_id == s.id)) == 0
    assert [sl.id for sl in db.session.get(MeetingTable, table.id).slots] == [other.slots[0].id]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unavailability)) == 0
    assert db.session.get(ScheduleRun, run.id).status is RunStatus.SUPERSEDED
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "deleted")).details["slots"] == 9




def test_factory_session_and_first_session_is_the_request_deadline(db):
    forum = f.forum()
    s = f.session(forum, slot_minutes=30, gap_minutes=10, breaks=[["10:30", "11:00"]])
    assert _local(s.slots, forum.tz) == ["09:00", "09:40", "11:00"]
    from forum.meetings import requests

    assert requests.deadline(forum) == s.starts_at


# --- tables ----------------------------------------------------------------------------------------

def test_tables_are_added_in_bulk_with_a_label_and_audited(db):
    forum = f.forum()
    by = _b2b(forum)
    added = grid.add_tables(forum, "1-40", label="Зал B", by=by)
    assert [t.number for t in added] == list(range(1, 41)) and {t.label for t in added} == {"Зал B"}
    grid.add_tables(forum, "41 - 43, 50", by=by)
    assert [t.number for t in grid.tables(forum)][-4:] == [41, 42, 43, 50]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "b2b_tables_added"))
    assert entry.details["numbers"] == list(range(1, 41)) and entry.actor_id == by.id


def test_existing_table_numbers_refuse_the_whole_batch_naming_them(db):
    forum = f.forum()
    by = _b2b(forum)
    grid.add_tables(forum, "1-5", by=by)
    with pytest.raises(grid.GridErrors) as e:
        grid.add_tables(forum, "4-8", by=by)
    assert e.value.code == "table_exists" and e.value.field == "numbers" and "4, 5" in e.value.message
    assert [t.number for t in grid.tables(forum)] == [1, 2, 3, 4, 5]
    # Another forum has its own numbers.
    other = f.forum()
    grid.add_tables(other, "1-5", by=f.member(other, Permission.B2B))


@pytest.mark.parametrize("spec", ["", "0", "5-1", "1-501", "a-b", "1-\x00", "10001", "1--3", "-3", "1.5", ",", "٣"])
def test_bad_table_numbers(db, spec):
    forum = f.forum()
    assert _codes(lambda: grid.add_tables(forum, spec, by=_b2b(forum))) == {"numbers_invalid"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MeetingTable)) == 0


def test_a_long_or_multiline_label_is_refused(db):
    forum = f.forum()
    assert _codes(lambda: grid.add_tables(forum, "1", label="x" * 121, by=_b2b(forum))) == {"label_too_long"}
    assert _codes(lambda: grid.add_tables(forum, "1", label="a\nb", by=_b2b(forum))) == {"label_invalid"}


def test_a_table_is_edited_restricted_deactivated_and_reactivated(db):
    forum = f.forum()
    by = _b2b(forum)
    s = f.session(forum)
    t1, t2 = f.table(forum, 1), f.table(forum, 2)
    grid.update_table(t1, grid.TableInput(number="7", label="By the window", all_slots=False,
                                          slot_ids=[str(s.slots[0].id), str(s.slots[2].id)]), by=by)
    assert (t1.number, t1.label, t1.all_slots) == (7, "By the window", False)
    assert [sl.id for sl in t1.slots] == [s.slots[0].id, s.slots[2].id]
    with pytest.raises(grid.GridErrors) as e:
        grid.update_table(t1, grid.TableInput(number="2"), by=by)
    assert e.value.code == "table_exists" and e.value.field == "number"
    assert _codes(lambda: grid.update_table(t1, grid.TableInput(number="0"), by=by)) == {"number_invalid"}
    assert _codes(lambda: grid.update_table(t1, grid.TableInput(number="7", all_slots=False), by=by)) == \
        {"slots_required"}
    foreign = f.session(f.forum())
    assert _codes(lambda: grid.update_table(t1, grid.TableInput(number="7", all_slots=False,
                                                                slot_ids=[foreign.slots[0].id]), by=by)) == \
        {"slots_invalid"}
    grid.set_table_active(t2, False, by=by)
    assert not t2.active
    grid.set_table_active(t2, True, by=by)
    assert t2.active
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.subject_type == "meeting_table")) == 3


def test_the_unique_constraint_is_the_last_word_on_table_numbers(db, monkeypatch):
    """Two organizers adding the same numbers at once: the check passes for both, the constraint refuses one."""
    forum = f.forum()
    by = _b2b(forum)
    grid.add_tables(forum, "1-3", by=by)
    real_scalars = grid.db.session.scalars
    monkeypatch.setattr(grid.db.session, "scalars",
                        lambda stmt, *a, **k: iter([]) if "meeting_tables.number" in str(stmt).split("FROM")[0]
                        else real_scalars(stmt, *a, **k))
    with pytest.raises(grid.GridErrors) as e:
        grid.add_tables(forum, "3-4", by=by)
    assert e.value.code == "table_exists" and e.value.field == "numbers"
    monkeypatch.undo()
    assert [t.number for t in grid.tables(forum)] == [1, 2, 3]


def test_a_table_with_scheduled_meetings_keeps_those_slots(db):
    forum = f.forum()
    by = _b2b(forum)
    s = f.session(forum)
    t = f.table(forum, 1)
    _meeting(forum, s.slots[1], t)
    with pytest.raises(DomainError) as e:
        grid.set_table_active(t, False, by=by)
    assert e.value.code == "table_in_use"
    with pytest.raises(DomainError) as e:
        grid.update_table(t, grid.TableInput(number=1, all_slots=False, slot_ids=[s.slots[0].id]), by=by)
    assert e.value.code == "table_in_use"
    db.session.expire_all()
    assert db.session.get(MeetingTable, t.id).active and db.session.get(MeetingTable, t.id).all_slots
    grid.update_table(t, grid.TableInput(number=1, all_slots=False, slot_ids=[s.slots[1].id]), by=by)


# --- interpreters ----------------------------------------------------------------------------------

def test_an_interpreter_in_any_script_with_languages_of_the_list(db):
    forum = f.forum()
    by = _b2b(forum)
    s = f.session(forum)
    i = grid.save_interpreter(forum, grid.InterpreterInput(
        name="Гүлнар Оспанова", email="Gulnar@Example.ORG", languages=["ru", "ja", "kk", "ja"], all_slots=False,
        slot_ids=[s.slots[0].id]), by=by)
    assert i.name == "Гүлнар Оспанова" and i.email == "gulnar@example.org"
    assert i.languages == ["kk", "ru", "ja"]  # the list's order, once each
    assert [sl.id for sl in i.slots] == [s.slots[0].id]
    j = grid.save_interpreter(forum, grid.InterpreterInput(name="山田 花子", languages=["ja", "en"]), by=by)
    assert j.email == "" and j.all_slots
    grid.save_interpreter(forum, grid.InterpreterInput(name="Oʻlmas Gʻaniyev", languages=["uz", "ja"], active=False),
                          interpreter=j, by=by)
    assert (j.name, j.active, j.languages) == ("Oʻlmas Gʻaniyev", False, ["uz", "ja"])
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.subject_type == "interpreter")
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["created", "created", "updated"]


@pytest.mark.parametrize("changes, code", [
    ({"languages": ["ja"]}, "languages_too_few"),
    ({"languages": ["ja", "ja"]}, "languages_too_few"),
    ({"languages": []}, "languages_too_few"),
    ({"languages": ["ja", "xx"]}, "language_unknown"),
    ({"name": ""}, "name_required"),
    ({"name": "A\x00B"}, "name_invalid"),
    ({"name": "x" * 201}, "name_too_long"),
    ({"email": "not-an-address"}, "email_invalid"),
    ({"email": "a b@example.org"}, "email_invalid"),
    ({"all_slots": False}, "slots_required"),
    ({"all_slots": False, "slot_ids": ["x"]}, "slots_invalid"),
])
def test_interpreter_rules(db, changes, code):
    forum = f.forum()
    data = dict(name="Aigerim", languages=["kk", "ja"])
    data.update(changes)
    assert code in _codes(lambda: grid.save_interpreter(forum, grid.InterpreterInput(**data), by=_b2b(forum)))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Interpreter)) == 0


def test_an_interpreter_with_scheduled_meetings_keeps_their_slots_and_languages(db):
    forum = f.forum()
    by = _b2b(forum)
    s = f.session(forum)
    i = f.interpreter(forum, ["ja", "kk"])
    m = _meeting(forum, s.slots[0], f.table(forum, 1))
    m.interpreter_id = i.id
    db.session.flush()
    for data in (grid.InterpreterInput(name=i.name, languages=["ja", "kk"], active=False),
                 grid.InterpreterInput(name=i.name, languages=["ja", "kk"], all_slots=False,
                                       slot_ids=[s.slots[1].id]),
                 grid.InterpreterInput(name=i.name, languages=["ja", "ru"])):
        with pytest.raises(DomainError) as e:
            grid.save_interpreter(forum, data, interpreter=i, by=by)
        assert e.value.code == "interpreter_in_use"
    grid.save_interpreter(forum, grid.InterpreterInput(name="New name", languages=["kk", "ja"]), interpreter=i, by=by)


def test_an_interpreter_of_another_forum_is_not_changed_through_this_one(db):
    forum, other = f.forum(), f.forum()
    i = f.interpreter(other, ["ja", "ru"])
    with pytest.raises(NotAllowed) as e:
        grid.save_interpreter(forum, grid.InterpreterInput(name="X", languages=["ja", "ru"]), interpreter=i,
                              by=_b2b(forum))
    assert e.value.code == "wrong_forum"


# --- settings --------------------------------------------------------------------------------------

def test_settings_are_saved_with_a_forum_local_deadline_and_audited(db):
    forum = f.forum()
    by = _b2b(forum)
    s = grid.save_settings(forum, grid.SettingsInput(enabled=False, request_deadline="2026-12-01T18:00",
                                                     open_request_quota="5", default_max_meetings="6"), by=by)
    assert (s.enabled, s.open_request_quota, s.default_max_meetings) == (False, 5, 6)
    assert s.request_deadline == datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # 18:00 in Astana
    assert not participation.b2b_open(forum)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "b2b_settings_changed"))
    assert entry.details["before"]["open_request_quota"] == 20 and entry.details["after"]["enabled"] is False
    s = grid.save_settings(forum, grid.SettingsInput(request_deadline=""), by=by)
    assert s.request_deadline is None and s.enabled


@pytest.mark.parametrize("changes, code", [
    ({"request_deadline": "2026-13-01 10:00"}, "deadline_invalid"),
    ({"request_deadline": "2026-12-01 25:99"}, "deadline_invalid"),
    ({"request_deadline": "tomorrow"}, "deadline_invalid"),
    ({"open_request_quota": "0"}, "quota_invalid"),
    ({"open_request_quota": "1001"}, "quota_invalid"),
    ({"open_request_quota": "\x00"}, "quota_invalid"),
    ({"default_max_meetings": "0"}, "max_meetings_invalid"),
    ({"default_max_meetings": "-1"}, "max_meetings_invalid"),
])
def test_settings_rules(db, changes, code):
    forum = f.forum()
    assert _codes(lambda: grid.save_settings(forum, grid.SettingsInput(**changes), by=_b2b(forum))) == {code}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(B2BSettings)) == 0


def test_current_settings_shows_the_defaults_without_saving_them(db):
    forum = f.forum()
    s = grid.current_settings(forum)
    assert (s.enabled, s.open_request_quota, s.default_max_meetings, s.request_deadline) == (True, 20, 8, None)
    db.session.flush()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(B2BSettings)) == 0


# --- hostile input, property-style -----------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_HOSTILE = ["", "25:99", "24:00", "09:00", "12:00", "٠٩:٠٠", "９:００", "-1", "0", "1e9", "99999999999999999999",
            "2027-02-30", "0001-01-01", "10:30-11:00", "10:30-", "—", "\u0958" * 130, "a\nb", "\x00", "🙂"]
_VALUE = st.one_of(st.sampled_from(_HOSTILE), st.text(max_size=30))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_VALUE, day=_VALUE, start=_VALUE, end=_VALUE, slot=_VALUE, gap=_VALUE, breaks=_VALUE)
def test_hostile_session_input_gives_field_errors_or_a_valid_session(db, name, day, start, end, slot, gap, breaks):
    from forum.teams.models import TeamMember

    forum = db.session.scalar(sa.select(f.Forum).where(f.Forum.slug == "fuzz")) or f.forum(slug="fuzz")
    member = db.session.scalar(sa.select(TeamMember).where(TeamMember.forum_id == forum.id))
    by = member.user if member is not None else f.member(forum, Permission.B2B)
    data = grid.SessionInput(name=name, day=day, start=start, end=end, slot_minutes=slot, gap_minutes=gap,
                             breaks=breaks)
    try:
        with db.session.begin_nested() as nested:
            s = grid.create_session(forum, data, by=by)
            assert s.slots and s.ends_at > s.starts_at and len(s.name) <= 120
            nested.rollback()
    except grid.GridErrors as e:
        assert e.errors and {fl for fl, _c, _m in e.errors} <= {"name", "day", "start", "end", "slot_minutes",
                                                                 "gap_minutes", "breaks"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MeetingSession)) == 0


@settings(max_examples=200, deadline=None)
@given(spec=_VALUE)
def test_table_numbers_parse_or_refuse(spec):
    numbers = grid.parse_numbers(spec)
    assert numbers is None or (numbers == sorted(set(numbers)) and 0 < len(numbers) <= grid.TABLES_AT_ONCE
                               and 1 <= numbers[0] and numbers[-1] <= grid.TABLE_NUMBER_MAX)
