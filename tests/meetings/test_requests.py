"""The meeting-request rules (meetings.requests) and state machine (meetings.states): one test per rule,
asserting the error code; the quota and the one-open-request-per-pair rules raced on PostgreSQL."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum import clock
from forum.audit.models import AuditEntry
from forum.db import db as _db
from forum.errors import DomainError
from forum.meetings import participation, requests, states
from forum.meetings.models import MeetingPrefs, MeetingRequest, MeetingSession, Priority, RequestState
from forum.notifications.models import OutboxMessage
from forum.registration import states as reg_states
from forum.registration.models import RegState
from forum.teams.models import Permission
from tests import factories as f

S = RequestState


def _mails(template):
    return _db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == template)).all()


def _pair(db, **kw):
    forum = f.forum()
    a = f.participant(forum, country="JP", languages=["ja", "en"])
    b = f.participant(forum, country="KZ", languages=["kk", "ru"], language="ru")
    return forum, a, b


def test_a_request_to_a_delegate_is_pending_audited_and_mailed_in_the_recipients_language(db):
    forum, a, b = _pair(db)
    req = f.meeting_request(a, b, priority="must", message="Water treatment for Almaty")
    assert req.state is S.PENDING and req.recipient_id == b.id and req.priority is Priority.MUST
    [m] = _mails("b2b_request_received")
    assert m.to_addr == b.email and m.language == "ru"
    assert a.full_name in m.subject and "Water treatment for Almaty" in m.body_text
    assert "/forums/%s/b2b/requests" % forum.slug in m.body_text
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.subject_type == "meeting_request"))
    assert entry.action == "created" and entry.actor_id == a.user_id


def test_accepting_sets_the_weight_from_both_priorities_and_tells_the_requester(db):
    forum, a, b = _pair(db)
    req = f.meeting_request(a, b, priority="must")
    requests.accept(req, by=b.user, priority=Priority.MUST)
    assert req.state is S.ACCEPTED and req.weight == 3
    assert [m.to_addr for m in _mails("b2b_request_accepted")] == [a.email]
    other = f.meeting_request(f.participant(forum), b, priority="nice", accept=True)
    assert other.weight == 1


def test_a_request_to_a_company_is_accepted_by_any_of_its_delegates_who_becomes_the_recipient(db):
    forum = f.forum()
    a = f.participant(forum)
    x, y = f.participant_company(forum, 2, country="UZ")
    req = f.meeting_request(a, x.company)
    assert req.recipient_id is None
    assert sorted(m.to_addr for m in _mails("b2b_request_received")) == sorted([x.email, y.email])
    assert requests.side_of(y.user, req) == "recipient"
    requests.accept(req, by=y.user)
    assert req.recipient_id == y.id and req.state is S.ACCEPTED


def test_only_the_other_side_answers_and_nobody_else_touches_it(db):
    forum, a, b = _pair(db)
    stranger = f.participant(forum)
    req = f.meeting_request(a, b)
    with pytest.raises(DomainError) as e:
        requests.accept(req, by=a.user)
    assert e.value.code == "wrong_side"
    for act in (requests.accept, requests.decline, requests.cancel):
        with pytest.raises(DomainError) as e:
            act(req, by=stranger.user)
        assert e.value.code == "not_your_request"
    assert not requests.can_view(stranger.user, req)
    assert requests.can_view(a.user, req) and requests.can_view(b.user, req)
    assert req.state is S.PENDING


def test_either_side_cancels_and_the_other_is_told_with_the_reason(db):
    forum, a, b = _pair(db)
    req = f.meeting_request(a, b, accept=True)
    requests.cancel(req, by=b.user, reason="Our director's flight was cancelled")
    assert req.state is S.CANCELLED and req.reason == "Our director's flight was cancelled"
    assert [m.to_addr for m in _mails("b2b_request_cancelled")] == [a.email]
    req2 = f.meeting_request(a, b)
    requests.cancel(req2, by=a.user)
    assert req2.state is S.CANCELLED


def test_declined_expired_and_cancelled_are_final(db):
    forum, a, b = _pair(db)
    req = f.meeting_request(a, b)
    requests.decline(req, by=b.user, reason="Not our field")
    assert [m.to_addr for m in _mails("b2b_request_declined")] == [a.email]
    for act in (requests.accept, requests.cancel):
        with pytest.raises(DomainError) as e:
            act(req, by=b.user)
        assert e.value.code == "transition_not_allowed"
    with pytest.raises(DomainError) as e:
        states.transition(req, S.DECLINED, by=None)
    assert e.value.code == "same_state"


def test_the_b2b_team_acts_for_anyone_and_the_audit_says_on_behalf(db):
    forum, a, b = _pair(db)
    staff = f.member(forum, Permission.B2B)
    req = f.meeting_request(a, b, by=staff)
    requests.accept(req, by=staff, priority=Priority.MUST)
    assert req.state is S.ACCEPTED and req.recipient_id == b.id
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "meeting_request")
                                 .order_by(AuditEntry.id)).all()
    assert [e.details.get("on_behalf") for e in entries] == [True, True]
    assert all(e.actor_id == staff.id for e in entries)


def test_a_team_member_without_the_b2b_permission_cannot_act_for_a_delegate(db):
    forum, a, b = _pair(db)
    door = f.member(forum, Permission.CHECKIN)
    with pytest.raises(DomainError) as e:
        f.meeting_request(a, b, by=door)
    assert e.value.code == "not_your_registration"
    req = f.meeting_request(a, b)
    with pytest.raises(DomainError) as e:
        requests.accept(req, by=door)
    assert e.value.code == "not_your_request"


def test_accepting_a_company_request_on_behalf_needs_a_delegate_of_that_company(db):
    forum = f.forum()
    a = f.participant(forum)
    x, _y = f.participant_company(forum, 2)
    staff = f.member(forum, Permission.B2B)
    req = f.meeting_request(a, x.company)
    with pytest.raises(DomainError) as e:
        requests.accept(req, by=staff)
    assert e.value.code == "recipient_required"
    with pytest.raises(DomainError) as e:
        requests.accept(req, by=staff, recipient=f.participant(forum))
    assert e.value.code == "wrong_company"
    assert req.state is S.PENDING


@pytest.mark.parametrize("case", ["not_approved", "no_consent", "opted_out"])
def test_only_participating_delegates_send_and_receive(db, case):
    forum = f.forum()
    a = f.participant(forum)
    if case == "not_approved":
        b = f.company(forum, 1, directory_consent=True).delegates[0]
    elif case == "no_consent":
        b = f.participant(forum, directory_consent=False)
    else:
        b = f.participant(forum)
        db.session.add(MeetingPrefs(registration_id=b.id, opted_out=True))
        db.session.flush()
    with pytest.raises(DomainError) as e:
        f.meeting_request(a, b)
    assert e.value.code == "recipient_not_participating"
    with pytest.raises(DomainError) as e:
        f.meeting_request(b, a, by=b.user)
    assert e.value.code == "requester_not_participating"


def test_same_company_duplicates_and_crossing_requests_are_refused(db):
    forum = f.forum()
    x, y = f.participant_company(forum, 2)
    b = f.participant(forum)
    with pytest.raises(DomainError) as e:
        f.meeting_request(x, y)
    assert e.value.code == "same_company"
    f.meeting_request(x, b)
    with pytest.raises(DomainError) as e:
        f.meeting_request(x, b.company)
    assert e.value.code == "duplicate_request"
    with pytest.raises(DomainError) as e:
        f.meeting_request(b, x)
    assert e.value.code == "crossing_request"
    # y was not asked: b may ask y, since x asked b (not b's company for y)... but b's request to the company
    # of x reaches x too, who already asked b: refused as crossing.
    with pytest.raises(DomainError) as e:
        f.meeting_request(b, x.company)
    assert e.value.code == "crossing_request"


def test_a_finished_request_can_be_asked_again(db):
    forum, a, b = _pair(db)
    req = f.meeting_request(a, b)
    requests.decline(req, by=b.user)
    again = f.meeting_request(a, b)
    assert again.state is S.PENDING


def test_the_quota_counts_pending_requests_sent(db):
    forum = f.forum()
    participation.settings(forum).open_request_quota = 2
    a = f.participant(forum)
    others = [f.participant(forum) for _ in range(4)]
    r1 = f.meeting_request(a, others[0])
    f.meeting_request(a, others[1])
    with pytest.raises(DomainError) as e:
        f.meeting_request(a, others[2])
    assert e.value.code == "quota_reached"
    requests.accept(r1, by=others[0].user)  # answered: no longer counts
    f.meeting_request(a, others[2])
    assert requests.pending_sent(a) == 2


def test_message_length_and_the_deadline(db):
    forum, a, b = _pair(db)
    with pytest.raises(DomainError) as e:
        f.meeting_request(a, b, message="x" * (requests.MESSAGE_MAX + 1))
    assert e.value.code == "message_too_long"
    participation.settings(forum).request_deadline = clock.now() - timedelta(minutes=1)
    with pytest.raises(DomainError) as e:
        f.meeting_request(a, b)
    assert e.value.code == "deadline_passed"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MeetingRequest)) == 0


def test_pending_requests_expire_at_the_deadline_and_both_sides_are_told(db):
    forum, a, b = _pair(db)
    c = f.participant(forum)
    waiting = f.meeting_request(a, b)
    answered = f.meeting_request(c, b, accept=True)
    now = clock.now()
    participation.settings(forum).request_deadline = now + timedelta(hours=1)
    assert requests.expire_due(now) == 0
    assert requests.expire_due(now + timedelta(hours=1)) == 1
    assert waiting.state is S.EXPIRED and answered.state is S.ACCEPTED
    assert sorted(m.to_addr for m in _mails("b2b_request_expired")) == sorted([a.email, b.email])
    assert requests.expire_due(now + timedelta(hours=2)) == 0


def test_without_a_deadline_requests_expire_when_the_first_session_starts(db):
    forum, a, b = _pair(db)
    req = f.meeting_request(a, b)
    start = forum.starts_at + timedelta(hours=2)
    db.session.add(MeetingSession(forum_id=forum.id, name="Morning", starts_at=start,
                                  ends_at=start + timedelta(hours=3), slot_minutes=20))
    db.session.flush()
    assert requests.deadline(forum) == start
    assert requests.expire_due(start - timedelta(seconds=1)) == 0
    assert requests.expire_due(start) == 1 and req.state is S.EXPIRED


def test_a_delegate_who_leaves_the_forum_has_their_open_requests_cancelled_and_the_other_side_told(db):
    forum, a, b = _pair(db)
    c = f.participant(forum)
    sent = f.meeting_request(a, b, accept=True)
    got = f.meeting_request(c, a)
    reg_states.transition(a, RegState.WITHDRAWN, by=a.user, notify=False)
    assert sent.state is S.CANCELLED and got.state is S.CANCELLED
    assert sorted(m.to_addr for m in _mails("b2b_request_cancelled")) == sorted([b.email, c.email])


# --- races on PostgreSQL -------------------------------------------------------------------------------------

@pytest.fixture()
def pg(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a race on PostgreSQL row locks; this run is on " + db.engine.dialect.name)
    return db


def _race(app, n, work):
    barrier, errors = threading.Barrier(n), []

    def runner(i):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                work(i)
            except Exception as e:  # noqa: BLE001 - collected and asserted by the caller
                errors.append(e)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


def test_the_quota_holds_when_a_delegate_sends_many_requests_at_once(app, pg):
    from forum.registration.models import CompanyRegistration, Registration

    forum = f.forum()
    participation.settings(forum).open_request_quota = 3
    a = f.participant(forum)
    targets = [f.participant(forum).company_id for _ in range(8)]
    a_id = a.id
    pg.session.commit()
    refused = []

    def work(i):
        me = _db.session.get(Registration, a_id)
        try:
            requests.create(me, company=_db.session.get(CompanyRegistration, targets[i]), by=me.user)
            _db.session.commit()
        except DomainError as e:
            _db.session.rollback()
            refused.append(e.code)

    assert _race(app, 8, work) == []
    sent = pg.session.scalar(sa.select(sa.func.count()).select_from(MeetingRequest)
                             .where(MeetingRequest.requester_id == a_id))
    assert sent == 3 and sorted(refused) == ["quota_reached"] * 5


def test_one_open_request_per_pair_when_the_same_request_is_sent_twice_at_once(app, pg):
    from forum.registration.models import Registration

    forum = f.forum()
    a, b = f.participant(forum), f.participant(forum)
    a_id, b_id = a.id, b.id
    pg.session.commit()
    refused = []

    def work(i):
        me, them = _db.session.get(Registration, a_id), _db.session.get(Registration, b_id)
        try:
            requests.create(me, company=them.company, recipient=them, by=me.user)
            _db.session.commit()
        except DomainError as e:
            _db.session.rollback()
            refused.append(e.code)

    assert _race(app, 6, work) == []
    assert pg.session.scalar(sa.select(sa.func.count()).select_from(MeetingRequest)) == 1
    assert refused == ["duplicate_request"] * 5


def test_accept_and_cancel_at_once_end_in_one_state_with_one_audit_entry_each(app, pg):
    for _ in range(5):
        forum, a, b = _pair(pg)
        req = f.meeting_request(a, b)
        rid, a_uid, b_uid = req.id, a.user_id, b.user_id
        pg.session.commit()
        outcomes = []

        def work(i):
            from forum.accounts.models import User

            r = _db.session.get(MeetingRequest, rid)
            try:
                if i == 0:
                    requests.accept(r, by=_db.session.get(User, b_uid))
                else:
                    requests.cancel(r, by=_db.session.get(User, a_uid))
                _db.session.commit()
                outcomes.append(("ok", i))
            except DomainError as e:
                _db.session.rollback()
                outcomes.append((e.code, i))

        assert _race(app, 2, work) == []
        pg.session.expire_all()
        final = pg.session.get(MeetingRequest, rid).state
        assert final is S.CANCELLED  # accepted then cancelled, or cancelled first (then accept is refused)
        changes = pg.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.subject_type == "meeting_request", AuditEntry.subject_id == rid,
            AuditEntry.action == "state_change")).all()
        assert len(changes) == sum(1 for o, _ in outcomes if o == "ok")


def test_as_side_never_acts_on_behalf_even_for_the_b2b_team(db):
    forum, a, b = _pair(db)
    staff = f.member(forum, Permission.B2B)
    req = f.meeting_request(a, b)
    for act in (requests.accept, requests.decline, requests.cancel):
        with pytest.raises(DomainError) as e:
            act(req, by=staff, as_side=True)
        assert e.value.code == "not_your_request"
    from forum.teams import services as teams

    teams.grant(forum, a.user, [Permission.B2B], by=None)
    with pytest.raises(DomainError) as e:
        requests.accept(req, by=a.user, as_side=True)
    assert e.value.code == "wrong_side"
    assert req.state is S.PENDING


def test_the_teams_reason_is_kept_and_bounded(db):
    forum, a, b = _pair(db)
    staff = f.member(forum, Permission.B2B)
    with pytest.raises(DomainError) as e:
        f.meeting_request(a, b, by=staff, reason="x" * (states.REASON_MAX + 1))
    assert e.value.code == "reason_too_long"
    with pytest.raises(DomainError) as e:
        requests.accept(f.meeting_request(a, b), by=b.user, priority="must")
    assert e.value.code == "priority_invalid"


def test_an_accepted_request_can_only_be_cancelled_not_declined_or_expired(db):
    forum, a, b = _pair(db)
    req = f.meeting_request(a, b, accept=True)
    with pytest.raises(DomainError) as e:
        requests.decline(req, by=b.user, reason="Changed our mind")
    assert e.value.code == "transition_not_allowed"
    with pytest.raises(DomainError) as e:
        states.transition(req, S.EXPIRED, by=None)
    assert e.value.code == "transition_not_allowed"
    assert req.state is S.ACCEPTED
    assert set(states.ALLOWED[S.ACCEPTED]) == {S.CANCELLED}
