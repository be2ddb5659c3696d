"""Walk-in bookings racing on PostgreSQL with real threads: one table, or one person, in one slot, is booked once;
a confirm racing the no-show rule ends held or no-show, never both."""
from __future__ import annotations

import sqlalchemy as sa

from forum.attendance import rules
from forum.db import db as _db
from forum.forums.models import Forum
from forum.meetings.models import HeldVia, Meeting, MeetingSlot, MeetingState, MeetingTable
from forum.registration.models import Registration
from tests import factories as f
from tests.attendance.conftest import JA, JA2, KZ, UZ, minutes, person
from tests.concurrency import postgres_only, race


def _setup(db, n_people: int):
    forum = f.forum(slug="astana-race")
    s = f.session(forum, "2027-05-20 09:00", "2027-05-20 10:00", slot_minutes=20)
    tables = [f.table(forum, n) for n in (1, 2, 3, 4, 5, 6)]
    templates = [JA, KZ, UZ, JA2]
    people = [person(forum, dict(templates[i % 4], email=f"p{i}@example.org", full_name=f"{templates[i % 4]['full_name']} {i}"))
              for i in range(n_people)]
    staff = f.member(forum, "b2b")
    db.session.commit()
    return forum.id, s.slots[0].id, [t.id for t in tables], [p.id for p in people], staff.id


def _live(db, **where) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Meeting).filter_by(state=MeetingState.SCHEDULED,
                                                                                        **where))


def test_several_threads_booking_the_same_table_one_wins(app, db):
    postgres_only(db)
    forum_id, slot_id, table_ids, people, staff_id = _setup(db, 8)
    from forum.accounts.models import User

    def work(i):
        forum, slot = _db.session.get(Forum, forum_id), _db.session.get(MeetingSlot, slot_id)
        a, b = _db.session.get(Registration, people[2 * i]), _db.session.get(Registration, people[2 * i + 1])
        rules.book_walk_in(forum, a, b, slot, _db.session.get(MeetingTable, table_ids[0]),
                           by=_db.session.get(User, staff_id), now=slot.starts_at + minutes(1))

    errors, codes = race(app, 4, work)
    assert errors == []
    assert len(codes) == 3 and set(codes) <= {"table_taken", "just_taken"}
    assert _live(db, table_id=table_ids[0]) == 1


def test_the_same_person_at_different_tables_is_booked_once(app, db):
    postgres_only(db)
    forum_id, slot_id, table_ids, people, staff_id = _setup(db, 5)
    from forum.accounts.models import User

    def work(i):
        forum, slot = _db.session.get(Forum, forum_id), _db.session.get(MeetingSlot, slot_id)
        a, b = _db.session.get(Registration, people[0]), _db.session.get(Registration, people[i + 1])
        rules.book_walk_in(forum, a, b, slot, _db.session.get(MeetingTable, table_ids[i]),
                           by=_db.session.get(User, staff_id), now=slot.starts_at + minutes(1))

    errors, codes = race(app, 4, work)
    assert errors == []
    assert len(codes) == 3 and set(codes) <= {"person_busy", "just_taken"}
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting).where(
        Meeting.state == MeetingState.SCHEDULED, sa.or_(Meeting.a_id == people[0], Meeting.b_id == people[0]))) == 1


def test_a_confirm_racing_the_no_show_rule_ends_one_way(app, db):
    postgres_only(db)
    forum_id, slot_id, table_ids, people, _staff = _setup(db, 2)
    a, b = _db.session.get(Registration, people[0]), _db.session.get(Registration, people[1])
    slot = _db.session.get(MeetingSlot, slot_id)
    m = f.meeting(a, b, slot, _db.session.get(MeetingTable, table_ids[0]))
    mid, when = m.id, slot.starts_at + minutes(10)
    db.session.commit()

    def work(i):
        if i == 0:
            rules.mark_no_shows(when)
        else:
            rules.confirm(_db.session.get(Meeting, mid), via=HeldVia.STAFF, by=None, now=when)

    for _round in range(3):
        errors, codes = race(app, 2, work)
        assert errors == [] and codes == []
        db.session.expire_all()
        got = db.session.get(Meeting, mid)
        # Held wins here (a no-show confirmed in its window is reinstated); never both at once.
        assert got.state is MeetingState.SCHEDULED and got.held_at is not None and got.no_show_at is None
        got.held_at, got.held_via, got.state = None, None, MeetingState.SCHEDULED
        db.session.commit()
