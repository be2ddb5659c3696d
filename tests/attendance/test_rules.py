"""attendance.rules: the no-show rule at its boundaries, the confirmation window, reinstating a no-show,
walk-in bookings and their refusals."""
from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
import sqlalchemy as sa

from forum.attendance import rules
from forum.audit.models import AuditEntry
from forum.errors import DomainError, NotAllowed
from forum.meetings.models import HeldVia, Meeting, MeetingRequest, MeetingState, RequestState
from forum.notifications.models import OutboxMessage
from tests import factories as f
from tests.attendance.conftest import minutes


def _code(e) -> str:
    return e.value.code


def _reload(db, m: Meeting) -> Meeting:
    db.session.expire_all()
    return db.session.get(Meeting, m.id)


# --- no-shows ---------------------------------------------------------------------------------------------

def test_the_no_show_rule_at_its_boundaries(db, meeting, start):
    assert rules.NO_SHOW_AFTER == timedelta(minutes=10) and rules.GRACE == timedelta(minutes=5)
    assert rules.mark_no_shows(start + minutes(9) + timedelta(seconds=59)) == 0
    assert _reload(db, meeting).state is MeetingState.SCHEDULED
    assert rules.mark_no_shows(start + minutes(10)) == 1
    m = _reload(db, meeting)
    assert m.state is MeetingState.NO_SHOW and m.no_show_at == start + minutes(10)
    assert rules.mark_no_shows(start + minutes(10)) == 0  # idempotent


def test_ten_minutes_and_one_is_a_no_show_too(db, meeting, start):
    assert rules.mark_no_shows(start + minutes(10) + timedelta(seconds=60)) == 1
    assert _reload(db, meeting).state is MeetingState.NO_SHOW
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.subject_type == "meeting",
                                                          AuditEntry.action == "no_show"))
    assert entry.subject_id == meeting.id and entry.to_state == "no_show"


def test_a_held_meeting_never_becomes_a_no_show(db, meeting, start):
    assert rules.confirm(meeting, via=HeldVia.STAFF, by=None, now=start + minutes(2)) is True
    assert rules.mark_no_shows(start + minutes(30)) == 0
    m = _reload(db, meeting)
    assert m.state is MeetingState.SCHEDULED and m.held_via is HeldVia.STAFF


def test_only_the_forum_asked_for(db, meeting, start):
    other = f.forum()
    assert rules.mark_no_shows(start + minutes(15), forum_id=other.id) == 0
    assert _reload(db, meeting).state is MeetingState.SCHEDULED
    assert rules.mark_no_shows(start + minutes(15), forum_id=meeting.forum_id) == 1


# --- the window -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("offset", [-5, 0, 19, 25])
def test_confirm_inside_the_window(db, meeting, start, offset):
    assert rules.confirm(meeting, via=HeldVia.SCAN, by=None, now=start + minutes(offset)) is True
    m = _reload(db, meeting)
    assert m.held_at == start + minutes(offset) and m.held_via is HeldVia.SCAN and m.state is MeetingState.SCHEDULED


@pytest.mark.parametrize("offset,code", [(-5 - 1 / 60, "too_early"), (-30, "too_early"),
                                         (25 + 1 / 60, "too_late"), (60, "too_late")])
def test_confirm_outside_the_window_is_refused(db, meeting, start, offset, code):
    with pytest.raises(DomainError) as e:
        rules.confirm(meeting, via=HeldVia.SCAN, by=None, now=start + minutes(offset))
    assert _code(e) == code
    assert _reload(db, meeting).held_at is None


def test_confirm_is_idempotent_and_audited_once(db, meeting, start, tanaka):
    assert rules.confirm(meeting, via=HeldVia.SCAN, by=tanaka.user, now=start + minutes(1)) is True
    assert rules.confirm(meeting, via=HeldVia.STAFF, by=None, now=start + minutes(2)) is False
    m = _reload(db, meeting)
    assert m.held_via is HeldVia.SCAN and m.held_by_id == tanaka.user_id and m.held_at == start + minutes(1)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.subject_type == "meeting", AuditEntry.action == "held")) == 1


def test_a_cancelled_meeting_cannot_be_confirmed(db, meeting, start):
    meeting.state = MeetingState.CANCELLED
    db.session.flush()
    with pytest.raises(DomainError) as e:
        rules.confirm(meeting, via=HeldVia.STAFF, by=None, now=start + minutes(1))
    assert _code(e) == "cancelled"


def test_a_no_show_is_reinstated_when_confirmed_in_its_window(db, meeting, start):
    rules.mark_no_shows(start + minutes(12))
    assert rules.confirm(meeting, via=HeldVia.TABLE, by=None, now=start + minutes(14)) is True
    m = _reload(db, meeting)
    assert m.state is MeetingState.SCHEDULED and m.no_show_at is None and m.held_via is HeldVia.TABLE
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "held"))
    assert entry.from_state == "no_show" and entry.details.get("reinstated") is True


def test_a_no_show_whose_table_a_walk_in_took_cannot_be_reinstated(db, meeting, start, slots, tables, otkir, sato):
    forum = meeting.request.forum
    staff = f.member(forum, "b2b")
    walk = rules.book_walk_in(forum, otkir, sato, slots[0], tables[0], by=staff, now=start + minutes(11))
    assert walk.walk_in and walk.table_id == meeting.table_id and walk.slot_id == meeting.slot_id
    assert _reload(db, meeting).state is MeetingState.NO_SHOW  # the booking marked it first
    with pytest.raises(DomainError) as e:
        rules.confirm(_reload(db, meeting), via=HeldVia.STAFF, by=None, now=start + minutes(13))
    assert _code(e) == "place_taken"
    m = _reload(db, meeting)
    assert m.state is MeetingState.NO_SHOW and m.held_at is None


def test_a_no_show_whose_person_a_walk_in_took_cannot_be_reinstated(db, meeting, start, slots, tables, tanaka, otkir):
    forum = meeting.request.forum
    rules.book_walk_in(forum, tanaka, otkir, slots[0], tables[1], by=tanaka.user, now=start + minutes(11))
    with pytest.raises(DomainError) as e:
        rules.confirm(_reload(db, meeting), via=HeldVia.SCAN, by=tanaka.user, now=start + minutes(12))
    assert _code(e) == "place_taken"


# --- walk-ins ---------------------------------------------------------------------------------------------

def test_a_delegate_books_a_walk_in_at_a_free_table(db, forum, slots, tables, tanaka, otkir, start):
    m = rules.book_walk_in(forum, tanaka, otkir, slots[0], tables[2], by=tanaka.user, now=start + minutes(3))
    assert m.walk_in and m.run_id is None and m.booked_by_id == tanaka.user_id and m.state is MeetingState.SCHEDULED
    req = db.session.get(MeetingRequest, m.request_id)
    assert req.state is RequestState.ACCEPTED and {req.requester_id, req.recipient_id} == {tanaka.id, otkir.id}
    mails = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == "b2b_walk_in_booked")).all()
    assert [x.to_addr for x in mails] == [otkir.email]  # the other side; in their language
    assert mails[0].language == "ru" and "田中 健一 (TANAKA Kenichi)" in mails[0].body_text
    assert "Asia/Almaty" in mails[0].body_text and "09:00" in mails[0].body_text
    # The updated calendar goes with it: the walk-in is an event of otkir's calendar, in the forum's zone.
    [cal] = mails[0].attachments
    parsed = icalendar.Calendar.from_ical(cal["text"])
    [event] = [e for e in parsed.walk("VEVENT") if str(e["UID"]).startswith(req.public_id)]
    assert event.decoded("DTSTART") == slots[0].starts_at and str(event["STATUS"]) == "CONFIRMED"
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "walk_in_booked")).subject_id == m.id


def test_staff_booking_mails_both_sides(db, forum, slots, tables, tanaka, otkir, start):
    staff = f.member(forum, "b2b")
    rules.book_walk_in(forum, tanaka, otkir, slots[1], tables[0], by=staff, now=start + minutes(3))
    mails = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == "b2b_walk_in_booked")).all()
    assert sorted(x.to_addr for x in mails) == sorted([tanaka.email, otkir.email])


def test_an_accepted_request_without_a_meeting_is_reused(db, forum, slots, tables, tanaka, otkir, start):
    req = f.meeting_request(otkir, tanaka, accept=True)
    m = rules.book_walk_in(forum, tanaka, otkir, slots[0], tables[2], by=tanaka.user, now=start)
    assert m.request_id == req.id and (m.a_id, m.b_id) == (otkir.id, tanaka.id)


def test_a_pending_request_between_them_is_accepted_and_used(db, forum, slots, tables, tanaka, otkir, start):
    req = f.meeting_request(tanaka, otkir)
    m = rules.book_walk_in(forum, tanaka, otkir, slots[0], tables[2], by=tanaka.user, now=start)
    db.session.refresh(req)
    assert m.request_id == req.id and req.state is RequestState.ACCEPTED


def test_a_walk_in_on_a_no_shows_freed_table_and_people(db, meeting, forum, slots, tables, tanaka, aliya, otkir,
                                                       sato, start):
    now = start + minutes(10)
    a = rules.book_walk_in(forum, tanaka, otkir, slots[0], tables[1], by=tanaka.user, now=now)  # tanaka freed
    b = rules.book_walk_in(forum, aliya, sato, slots[0], tables[0], by=aliya.user, now=now)  # table 1 freed
    assert a.id and b.id and _reload(db, meeting).state is MeetingState.NO_SHOW


def test_a_walk_in_booked_late_in_its_slot_gets_its_ten_minutes_from_the_booking(db, forum, slots, tables, otkir,
                                                                                sato, start):
    walk = rules.book_walk_in(forum, otkir, sato, slots[0], tables[1], by=otkir.user, now=start + minutes(11))
    assert rules.mark_no_shows(start + minutes(20)) == 0 and _reload(db, walk).state is MeetingState.SCHEDULED
    assert rules.mark_no_shows(start + minutes(21)) == 1 and _reload(db, walk).state is MeetingState.NO_SHOW


@pytest.mark.parametrize("case,code", [
    ("table_taken", "table_taken"), ("person_busy", "person_busy"), ("same_person", "same_person"),
    ("same_company", "same_company"), ("slot_over", "slot_over"), ("inactive_table", "table_unavailable"),
    ("table_not_in_slot", "table_unavailable"), ("not_participating", "not_participating"),
    ("already_meeting", "already_meeting"),
])
def test_walk_in_refusals(db, forum, meeting, slots, tables, tanaka, aliya, otkir, sato, start, case, code):
    slot, table, a, b, now = slots[0], tables[2], otkir, sato, start + minutes(2)
    if case == "table_taken":
        table = tables[0]
    elif case == "person_busy":
        b = aliya
    elif case == "same_person":
        b = otkir
    elif case == "same_company":
        a, b = f.participant_company(forum, 2)
    elif case == "slot_over":
        now = slots[0].ends_at
    elif case == "inactive_table":
        table.active = False
    elif case == "table_not_in_slot":
        table = f.table(forum, 9, slots=[slots[3]])
    elif case == "not_participating":
        b = f.approved(forum, full_name="Бекзат Сейітов")  # no directory consent
    elif case == "already_meeting":
        a, b, slot = tanaka, aliya, slots[2]
    with pytest.raises(DomainError) as e:
        rules.book_walk_in(forum, a, b, slot, table, by=f.member(forum, "b2b"), now=now)
    assert _code(e) == code
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting).where(Meeting.walk_in.is_(True))) == 0


def test_a_delegate_cannot_book_for_others(db, forum, slots, tables, tanaka, otkir, sato, start):
    with pytest.raises(NotAllowed):
        rules.book_walk_in(forum, otkir, sato, slots[0], tables[2], by=tanaka.user, now=start)


def test_the_database_is_the_final_guard_when_the_checks_miss_a_booking(db, forum, slots, tables, tanaka, otkir,
                                                                       sato, aliya, start, monkeypatch):
    """Were the checks fooled (a concurrent booking they could not see), the partial unique index refuses and the
    service says so clearly, with nothing half-saved."""
    rules.book_walk_in(forum, tanaka, otkir, slots[0], tables[2], by=tanaka.user, now=start)
    monkeypatch.setattr(rules, "table_free", lambda *a: True)
    with pytest.raises(DomainError) as e:
        rules.book_walk_in(forum, aliya, sato, slots[0], tables[2], by=aliya.user, now=start)
    assert _code(e) == "just_taken"
    monkeypatch.setattr(rules, "person_free", lambda *a: True)
    with pytest.raises(DomainError) as e:
        rules.book_walk_in(forum, aliya, otkir, slots[0], tables[1], by=aliya.user, now=start)
    assert _code(e) == "just_taken"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 1


def test_board_counts(db, forum, meeting, slots, tables, otkir, sato, start):
    b = rules.board(forum, slots[0])
    assert [r.status for r in b.rows] == [rules.Status.WAITING, rules.Status.FREE, rules.Status.FREE]
    rules.mark_no_shows(start + minutes(10))
    db.session.expire_all()
    b = rules.board(forum, slots[0])
    assert b.count(rules.Status.NO_SHOW) == 1 and [t.number for t in b.free_tables] == [1, 2, 3]
    rules.book_walk_in(forum, otkir, sato, slots[0], tables[1], by=otkir.user, now=start + minutes(10))
    b = rules.board(forum, slots[0])
    assert [r.status.value for r in b.rows] == ["no_show", "waiting", "free"]
