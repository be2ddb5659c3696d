"""Recording an outcome: who, when, what; the same row on a second recording (and under a race); bad input
changes nothing."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.errors import DomainError
from forum.meetings.models import MeetingState
from forum.outcomes import services
from forum.outcomes.models import MeetingOutcome, OutcomeKind
from tests import factories as f
from tests.concurrency import postgres_only, race
from tests.outcomes.conftest import START

AFTER = START + timedelta(minutes=5)
K = OutcomeKind


def _rows(db):
    db.session.expire_all()
    return db.session.scalars(sa.select(MeetingOutcome).order_by(MeetingOutcome.id)).all()


def _code(call) -> str:
    with pytest.raises(DomainError) as e:
        call()
    return e.value.code


def test_each_side_records_its_own_row(db, trio, meeting):
    tanaka, aliya, _ = trio
    a = services.record(meeting, tanaka, kind=K.COOPERATION, next_step="見積書を送る", next_step_on=date(2027, 6, 1),
                        document=None, by=tanaka.user, now=AFTER)
    b = services.record(meeting, aliya, kind=K.INFORMATIVE, next_step="", next_step_on=None, document=None,
                        by=aliya.user, now=AFTER)
    rows = _rows(db)
    assert [(r.registration_id, r.kind, r.next_step, r.next_step_on) for r in rows] == [
        (tanaka.id, K.COOPERATION, "見積書を送る", date(2027, 6, 1)), (aliya.id, K.INFORMATIVE, "", None)]
    assert a.id != b.id and {r.meeting_id for r in rows} == {meeting.id} and rows[0].recorded_by_id == tanaka.user.id
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "meeting_outcome")).all()
    assert [(e.action, e.to_state, e.actor_id) for e in audit] == [
        ("recorded", "cooperation_likely", tanaka.user.id), ("recorded", "informative", aliya.user.id)]


def test_recording_again_updates_the_same_row(db, trio, meeting):
    tanaka, _, _ = trio
    services.record(meeting, tanaka, kind=K.INFORMATIVE, next_step="call", next_step_on=None, document=None,
                    by=tanaka.user, now=AFTER)
    services.record(meeting, tanaka, kind=K.COOPERATION, next_step="  visit\r\nthe plant ", next_step_on=None,
                    document=None, by=tanaka.user, now=AFTER + timedelta(days=1))
    rows = _rows(db)
    assert len(rows) == 1 and rows[0].kind is K.COOPERATION and rows[0].next_step == "visit\nthe plant"
    assert rows[0].updated_at == AFTER + timedelta(days=1) and rows[0].recorded_at == AFTER
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.subject_type == "meeting_outcome")
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["recorded", "changed"]


def test_not_before_the_slot_starts(db, trio, meeting):
    tanaka, _, _ = trio
    just_before = START - timedelta(seconds=1)
    assert _code(lambda: services.record(meeting, tanaka, kind=K.INFORMATIVE, by=tanaka.user,
                                         now=just_before)) == "not_started"
    services.record(meeting, tanaka, kind=K.INFORMATIVE, by=tanaka.user, now=START)  # at the start: yes
    assert len(_rows(db)) == 1


def test_a_cancelled_meeting_takes_no_outcome(db, trio, meeting):
    tanaka, _, _ = trio
    meeting.state = MeetingState.CANCELLED
    db.session.flush()
    assert _code(lambda: services.record(meeting, tanaka, kind=K.NOT_HELD, by=tanaka.user, now=AFTER)) == "cancelled"
    assert _rows(db) == []


def test_a_no_show_is_recorded_only_as_not_held(db, trio, meeting):
    tanaka, _, _ = trio
    meeting.state, meeting.no_show_at = MeetingState.NO_SHOW, START + timedelta(minutes=10)
    db.session.flush()
    assert _code(lambda: services.record(meeting, tanaka, kind=K.COOPERATION, by=tanaka.user,
                                         now=AFTER)) == "no_show_not_held"
    services.record(meeting, tanaka, kind=K.NOT_HELD, by=tanaka.user, now=AFTER)
    assert [r.kind for r in _rows(db)] == [K.NOT_HELD]


def test_only_a_side_records_and_only_as_themselves(db, forum, trio, meeting):
    tanaka, aliya, otkir = trio
    assert _code(lambda: services.record(meeting, otkir, kind=K.INFORMATIVE, by=otkir.user,
                                         now=AFTER)) == "not_a_side"
    # Aliya cannot record Tanaka's side; nor can the B2B team.
    from forum.teams.models import Permission

    team = f.member(forum, Permission.B2B)
    assert _code(lambda: services.record(meeting, tanaka, kind=K.INFORMATIVE, by=aliya.user,
                                         now=AFTER)) == "not_your_side"
    assert _code(lambda: services.record(meeting, tanaka, kind=K.INFORMATIVE, by=team, now=AFTER)) == "not_your_side"
    assert _rows(db) == []


@pytest.mark.parametrize("kw, code", [
    (dict(kind="cooperation_likely"), "kind_invalid"),
    (dict(next_step="x" * 501), "next_step_too_long"),
    (dict(next_step="call\x00back"), "control_characters"),
    (dict(next_step="\x1b[31m"), "control_characters"),
    (dict(next_step_on=date(2027, 5, 19)), "date_before_meeting"),
    (dict(next_step_on=date(2030, 6, 1)), "date_too_far"),
    (dict(next_step_on="2027-06-01"), "date_invalid"),
])
def test_bad_input_is_refused_and_nothing_is_saved(db, trio, meeting, kw, code):
    tanaka, _, _ = trio
    args = dict(kind=K.INFORMATIVE, next_step="", next_step_on=None, document=None) | kw
    assert _code(lambda: services.record(meeting, tanaka, by=tanaka.user, now=AFTER, **args)) == code
    assert _rows(db) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.subject_type == "meeting_outcome")) == 0


def test_the_limits_themselves_are_accepted(db, trio, meeting):
    tanaka, _, _ = trio
    text = "e\u0301" * 250  # 500 characters once NFC (é): the service counts what is stored
    services.record(meeting, tanaka, kind=K.INFORMATIVE, next_step=text + "x" * 250, next_step_on=date(2027, 5, 20),
                    by=tanaka.user, now=AFTER)
    services.record(meeting, tanaka, kind=K.INFORMATIVE, next_step="", next_step_on=date(2027, 5, 20) + timedelta(
        days=366 * 3), by=tanaka.user, now=AFTER)
    assert len(_rows(db)) == 1


def test_a_document_of_the_delegates_company_can_be_linked(db, forum, trio, meeting):
    tanaka, aliya, _ = trio
    doc = f.document(forum, parties=[tanaka.company, aliya.company])
    services.record(meeting, tanaka, kind=K.COOPERATION, document=doc, by=tanaka.user, now=AFTER)
    assert _rows(db)[0].document_id == doc.id
    assert [d.id for d in services.linkable_documents(meeting, tanaka)] == [doc.id]


def test_a_document_of_another_company_or_forum_or_confidential_is_refused(db, forum, trio, meeting):
    tanaka, aliya, otkir = trio
    theirs = f.document(forum, parties=[aliya.company, otkir.company])
    other_forum = f.forum()
    elsewhere = f.document(other_forum, parties=[f.participant(other_forum, country="JP").company])
    elsewhere.parties[0].company_id = tanaka.company_id  # even naming this company: another forum's document
    secret = f.document(forum, parties=[tanaka.company, aliya.company], confidentiality="confidential")
    db.session.flush()
    for doc in (theirs, elsewhere, secret):
        assert _code(lambda: services.record(meeting, tanaka, kind=K.COOPERATION, document=doc, by=tanaka.user,
                                             now=AFTER)) == "document_not_yours"
    assert _rows(db) == []
    assert services.linkable_documents(meeting, tanaka) == []


def test_two_recordings_at_once_end_in_one_row(app, db, trio, meeting):
    postgres_only(db)
    tanaka, _, _ = trio
    ids = (meeting.id, tanaka.id)
    db.session.commit()
    kinds = list(K)

    def work(i):
        from forum.db import db as _db
        from forum.meetings.models import Meeting
        from forum.registration.models import Registration

        services.record(_db.session.get(Meeting, ids[0]), _db.session.get(Registration, ids[1]), kind=kinds[i],
                        by=_db.session.get(Registration, ids[1]).user, now=AFTER)

    for _round in range(3):
        errors, codes = race(app, 4, work)
        assert errors == [] and codes == []
        rows = _rows(db)
        assert len(rows) == 1 and rows[0].kind in kinds
        db.session.rollback()
