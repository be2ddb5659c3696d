"""The worker claims mail with a lease and sends with no transaction open: real threads, real connections.

Bounds like join(timeout=...) are liveness limits, not timings: each test opens its gates itself,
so a thread still running at its limit means it was waiting for something it should not wait for.
"""
from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import Any, Callable

import pytest
import sqlalchemy as sa

from forum.forums.models import Forum
from forum.notifications import services as mail
from forum.notifications.models import MailStatus, OutboxMessage
from forum.notifications.worker import Transport, build_email, claim_due, record_failure, record_sent, send_due
from forum.registration import services as registration
from forum.registration.models import Registration
from tests import factories as f
from tests.notifications.smtp import outbox_id, rows
from tests.registration.test_views import form_data

LIMIT = 20  # seconds: far beyond what any step here needs, well below SQLite's 30 s busy timeout


class Background(threading.Thread):
    """Runs fn() in its own app context (its own session and connection); keeps result or error."""

    def __init__(self, app, fn: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.app, self.fn = app, fn
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        with self.app.app_context():
            try:
                self.result = self.fn()
            except BaseException as e:  # noqa: BLE001 - reported by the test
                self.error = e

    def finish(self, timeout: float = LIMIT) -> Any:
        self.join(timeout)
        assert not self.is_alive(), "thread still blocked"
        if self.error is not None:
            raise self.error
        return self.result


def queue_mails(db, n: int) -> list[int]:
    """n password-reset mails to user0@example.kz ... in id order; no transaction left open."""
    forum = f.forum()
    for i in range(n):
        user = f.user(email=f"user{i}@example.kz", name=f"Пользователь {i}", password=None)
        mail.queue("password_reset", to=user.email, language="ru", forum_id=forum.id, user=user,
                   link=f"http://forum.test/{i}")
    db.session.commit()
    ids = [r.id for r in rows()]
    assert len(ids) == n
    # On SQLite even this read began with BEGIN IMMEDIATE: end it, or the workers wait for us.
    db.session.commit()
    return ids


def deliveries(smtp) -> Counter:
    return Counter(outbox_id(m) for m in smtp.messages)


def by_id(db) -> dict[int, OutboxMessage]:
    db.session.expire_all()
    out = {r.id: r for r in rows()}
    db.session.commit()
    return out


def lease(app) -> timedelta:
    return timedelta(seconds=app.config["MAIL_LEASE_SECONDS"])


# --- nothing waits for an SMTP conversation ----------------------------------------------------

def test_a_write_from_another_connection_completes_while_the_worker_is_inside_an_smtp_conversation(app, db, smtp):
    """Before: the batch transaction stayed open while sending; on SQLite every registration waited."""
    forum_id = f.forum().id
    user = f.user(email="slow@example.kz", name="Медленный Сервер", password=None, language="ru")
    mail.queue("password_reset", to=user.email, language="ru", user=user, link="http://forum.test/x")
    db.session.commit()
    [msg_id] = [r.id for r in rows()]
    db.session.commit()
    smtp.hold("slow@example.kz")

    worker = Background(app, send_due)
    worker.start()
    assert smtp.inside.wait(LIMIT), "the worker never reached the SMTP server"

    def write() -> int:
        company = registration.submit(db.session.get(Forum, forum_id), f.company_input(1))
        db.session.commit()
        # The very row being sent is not locked either.
        db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == msg_id)
                           .values(attempts=OutboxMessage.attempts))
        db.session.commit()
        return company.id

    writer = Background(app, write)
    writer.start()
    company_id = writer.finish()
    assert worker.is_alive() and not smtp.gate.is_set(), "the send was over before the write: proves nothing"

    smtp.gate.set()
    assert worker.finish() == (1, 0)
    msgs = by_id(db)
    assert msgs[msg_id].status is MailStatus.SENT
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)
                             .where(Registration.company_id == company_id)) == 1
    assert [m.status for i, m in msgs.items() if i != msg_id] == [MailStatus.QUEUED] * 2  # its mails wait their turn
    assert deliveries(smtp) == Counter({msg_id: 1})


def test_registrations_and_sign_ins_succeed_while_the_worker_waits_on_an_smtp_server_that_never_answers(
        app, db, post, silent_smtp, monkeypatch):
    """A hung server (it accepts the connection and stays silent) holds the worker, never the web app."""
    # Longer than the writes are given (LIMIT): the worker is certainly still waiting when they end.
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 3 * LIMIT)
    f.forum(slug="astana")
    f.user(email="delegate@example.kz", name="Ерлан Қасымов", language="ru")
    [msg_id] = queue_mails(db, 1)

    worker = Background(app, send_due)
    worker.start()
    assert silent_smtp.accepted.wait(LIMIT), "the worker never connected"

    def writes() -> tuple[int, int]:
        registered = post("/forums/astana/register", form_data())
        signed_in = post("/login", {"email": "delegate@example.kz", "password": f.PASSWORD}, token_from="/login")
        return registered.status_code, signed_in.status_code

    web = Background(app, writes)
    web.start()
    web.join(LIMIT)
    assert not web.is_alive(), "a registration or a sign-in waited for the SMTP server"
    assert web.finish() == (302, 302)
    assert worker.is_alive() and not silent_smtp.hung_up.is_set(), "the worker was no longer waiting: proves nothing"

    silent_smtp.drop_all()  # the server goes away: the worker records a failed attempt
    assert worker.finish() == (0, 1)
    msgs = by_id(db)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 2
    assert (msgs[msg_id].status, msgs[msg_id].attempts, msgs[msg_id].claimed_by) == (MailStatus.QUEUED, 1, None)
    assert msgs[msg_id].last_error.startswith("SMTPServerDisconnected")
    # The registration's mails were queued while the worker waited, and wait their turn.
    assert {(m.status, m.attempts) for i, m in msgs.items() if i != msg_id} == {(MailStatus.QUEUED, 0)}
    assert len(msgs) == 1 + 2  # one per delegate (the contact person is the first of them)


def test_a_worker_gives_up_on_a_silent_server_after_mail_timeout_and_the_message_goes_out_later(
        app, db, smtp, silent_smtp, frozen, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 1)
    ids = queue_mails(db, 2)

    worker = Background(app, send_due)
    worker.start()
    assert worker.finish() == (0, 2)  # each attempt ends at its timeout: the worker is free again
    assert silent_smtp.hung_up.wait(LIMIT), "the worker, not the server, ended the conversation"
    msgs = by_id(db)
    for i in ids:
        assert (msgs[i].status, msgs[i].attempts, msgs[i].claimed_by) == (MailStatus.QUEUED, 1, None)
        assert "timed out" in msgs[i].last_error
        assert msgs[i].next_attempt_at == frozen.now + timedelta(minutes=1)
    assert send_due() == (0, 0)  # not due yet: no hammering of a hung server

    monkeypatch.setitem(app.config, "MAIL_PORT", smtp.port)  # the server answers again
    frozen.now += timedelta(minutes=1)
    assert send_due() == (2, 0)
    msgs = by_id(db)
    assert [(msgs[i].status, msgs[i].attempts, msgs[i].last_error) for i in ids] == [(MailStatus.SENT, 2, "")] * 2
    assert deliveries(smtp) == Counter({i: 1 for i in ids})


def test_a_second_worker_sends_the_rest_while_the_first_is_held_mid_conversation(app, db, smtp):
    ids = queue_mails(db, 6)
    smtp.hold("user0@example.kz")

    first = Background(app, lambda: send_due(batch=1))
    first.start()
    assert smtp.inside.wait(LIMIT)

    second = Background(app, lambda: send_due(batch=20))
    second.start()
    assert second.finish() == (5, 0), "the second worker must neither wait for nor take the first one's claim"
    assert first.is_alive()
    assert deliveries(smtp) == Counter({i: 1 for i in ids[1:]})

    smtp.gate.set()
    assert first.finish() == (1, 0)
    assert deliveries(smtp) == Counter({i: 1 for i in ids})
    assert all(m.status is MailStatus.SENT and m.attempts == 1 and m.claimed_by is None
               for m in by_id(db).values())


def test_three_workers_over_one_queue_never_send_a_message_twice(app, db, smtp):
    smtp.delay = 0.002
    ids = queue_mails(db, 45)

    def drain() -> int:
        total = 0
        while True:
            sent, failed = send_due(batch=4)
            assert failed == 0
            if sent == 0:
                return total
            total += sent

    workers = [Background(app, drain) for _ in range(3)]
    for w in workers:
        w.start()
    assert sum(w.finish(120) for w in workers) == 45
    assert deliveries(smtp) == Counter({i: 1 for i in ids})
    assert all(m.status is MailStatus.SENT and m.attempts == 1 for m in by_id(db).values())


# --- a worker that dies -------------------------------------------------------------------------

def test_a_worker_killed_mid_send_leaves_only_that_message_to_go_out_again(app, db, smtp, frozen):
    ids = queue_mails(db, 5)
    claimed = claim_due(5, "dead-worker")
    assert [m.id for m in claimed] == ids
    transport = Transport(app.config)
    transport.send(build_email(claimed[0], app.config["MAIL_SENDER"]), claimed[0].id)
    assert record_sent(claimed[0], "dead-worker")
    transport.send(build_email(claimed[1], app.config["MAIL_SENDER"]), claimed[1].id)
    transport.close()  # ... and the worker is killed before it records message 2

    msgs = by_id(db)
    assert msgs[ids[0]].status is MailStatus.SENT
    assert all(msgs[i].status is MailStatus.SENDING and msgs[i].claimed_by == "dead-worker" for i in ids[1:])

    # While the lease holds, the claims are left alone.
    frozen.now += lease(app) - timedelta(seconds=1)
    assert send_due() == (0, 0)

    frozen.now += timedelta(seconds=2)
    assert send_due() == (4, 0)

    assert deliveries(smtp) == Counter({ids[0]: 1, ids[1]: 2, ids[2]: 1, ids[3]: 1, ids[4]: 1})
    msgs = by_id(db)
    assert all(m.status is MailStatus.SENT and m.claimed_by is None and m.lease_expires_at is None
               for m in msgs.values())
    assert msgs[ids[0]].attempts == 1
    # The dead worker's claims count as attempts: it may have died because of the message.
    assert [msgs[i].attempts for i in ids[1:]] == [2, 2, 2, 2]


class DiesAfterSending(Transport):
    """Delivers `fatal_id`, then the process is told to stop before the result is recorded."""

    def __init__(self, config, fatal_id: int) -> None:
        super().__init__(config)
        self.fatal_id = fatal_id

    def send(self, em, msg_id: int) -> None:
        super().send(em, msg_id)
        if msg_id == self.fatal_id:
            raise SystemExit("SIGTERM")


def test_a_stopped_worker_gives_back_what_it_never_started_and_only_the_one_in_flight_waits(app, db, smtp, frozen):
    ids = queue_mails(db, 5)
    transport = DiesAfterSending(app.config, fatal_id=ids[2])
    with pytest.raises(SystemExit):
        send_due(batch=5, transport=transport)
    transport.close()

    msgs = by_id(db)
    assert [msgs[i].status for i in ids] == [MailStatus.SENT, MailStatus.SENT, MailStatus.SENDING,
                                             MailStatus.QUEUED, MailStatus.QUEUED]
    assert msgs[ids[2]].claimed_by is not None
    assert all(msgs[i].claimed_by is None and msgs[i].attempts == 0 for i in ids[3:])

    # The two it never started go out at once, without waiting for any lease.
    assert send_due() == (2, 0)
    assert send_due() == (0, 0)
    # The one in flight goes out again when its lease ends: the only duplicate.
    frozen.now += lease(app) + timedelta(seconds=1)
    assert send_due() == (1, 0)
    assert deliveries(smtp) == Counter({ids[0]: 1, ids[1]: 1, ids[2]: 2, ids[3]: 1, ids[4]: 1})
    msgs = by_id(db)
    assert all(m.status is MailStatus.SENT for m in msgs.values())
    assert msgs[ids[2]].attempts == 2


def test_a_message_that_kills_every_worker_fails_after_max_attempts(app, db, smtp, frozen, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    [msg_id] = queue_mails(db, 1)

    for attempt in (1, 2, 3):
        [claimed] = claim_due(5, f"victim-{attempt}")  # ... and that worker dies
        assert claimed.attempts == attempt - 1
        frozen.now += lease(app) + timedelta(seconds=1)

    assert claim_due(5, "victim-4") == []  # the third lost attempt: given up instead of claimed
    msg = by_id(db)[msg_id]
    assert msg.status is MailStatus.FAILED
    assert msg.attempts == 3
    assert "Lease expired" in msg.last_error and "victim-3" in msg.last_error
    assert msg.claimed_by is None

    frozen.now += timedelta(days=1)
    assert send_due() == (0, 0)
    assert smtp.messages == []


# --- leases and tokens -----------------------------------------------------------------------

def test_a_result_recorded_under_an_expired_claim_does_not_overwrite_the_new_owner(app, db, smtp, frozen):
    [msg_id] = queue_mails(db, 1)
    [old] = claim_due(5, "slow-worker")
    frozen.now += lease(app) + timedelta(seconds=1)
    [new] = claim_due(5, "new-worker")
    assert new.id == old.id == msg_id

    assert record_sent(old, "slow-worker") is False
    assert record_failure(old, "slow-worker", "SMTPDataError: late") is False
    msg = by_id(db)[msg_id]
    assert msg.status is MailStatus.SENDING
    assert msg.claimed_by == "new-worker"
    assert msg.sent_at is None
    assert "SMTPDataError" not in msg.last_error

    assert record_failure(new, "new-worker", "SMTPDataError: busy") is True
    msg = by_id(db)[msg_id]
    assert msg.status is MailStatus.QUEUED
    assert msg.attempts == 2  # the slow worker's lost attempt and this one
    assert msg.last_error == "SMTPDataError: busy"
    assert msg.claimed_by is None and msg.lease_expires_at is None
    assert msg.next_attempt_at == frozen.now + timedelta(minutes=2)


def test_a_claim_stamps_the_token_and_the_lease(app, db, frozen):
    ids = queue_mails(db, 3)
    claimed = claim_due(2, "w1")
    assert [m.id for m in claimed] == ids[:2]
    msgs = by_id(db)
    for i in ids[:2]:
        assert msgs[i].status is MailStatus.SENDING
        assert msgs[i].claimed_by == "w1"
        assert msgs[i].lease_expires_at == frozen.now + lease(app)
    assert msgs[ids[2]].status is MailStatus.QUEUED and msgs[ids[2]].claimed_by is None
    assert [m.id for m in claim_due(5, "w2")] == ids[2:]  # claimed ones are not due
    assert claim_due(5, "w3") == []


def test_a_worker_does_not_start_a_send_its_lease_may_not_cover(app, db, smtp, frozen, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_LEASE_SECONDS", 100)
    ids = queue_mails(db, 5)

    class SlowTransport(Transport):
        def send(self, em, msg_id):
            super().send(em, msg_id)
            frozen.now += timedelta(seconds=40)

    transport = SlowTransport(app.config)
    try:
        # 100 s left, then 60 s: both sends start; then 20 s, under the 30 s SMTP timeout: stop.
        assert send_due(batch=5, transport=transport) == (2, 0)
    finally:
        transport.close()
    msgs = by_id(db)
    assert [msgs[i].status for i in ids] == [MailStatus.SENT] * 2 + [MailStatus.QUEUED] * 3
    assert all(msgs[i].claimed_by is None and msgs[i].attempts == 0 for i in ids[2:])
    assert send_due() == (3, 0)  # given back, so due at once
    assert deliveries(smtp) == Counter({i: 1 for i in ids})


# --- PostgreSQL: SKIP LOCKED ------------------------------------------------------------------

def test_a_worker_skips_rows_another_worker_is_claiming_instead_of_waiting(app, db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; on SQLite BEGIN IMMEDIATE makes claims take turns")
    ids = queue_mails(db, 6)

    with db.engine.connect() as other:
        other.begin()
        # Another worker in the middle of its claim: it has locked the two oldest rows.
        locked = other.scalars(sa.select(OutboxMessage.id).where(OutboxMessage.id.in_(ids[:2]))
                               .with_for_update()).all()
        assert sorted(locked) == ids[:2]

        # Waiting for that lock becomes an error instead of a hang: without SKIP LOCKED this fails.
        db.session.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
        claimed = claim_due(3, "second")
        other.rollback()

    assert [m.id for m in claimed] == ids[2:5]
    msgs = by_id(db)
    assert [msgs[i].status for i in ids] == [MailStatus.QUEUED] * 2 + [MailStatus.SENDING] * 3 + [MailStatus.QUEUED]


def test_a_message_taken_out_of_sending_by_hand_keeps_its_new_state(app, db, smtp):
    """An operator who gives up on a stuck message (UPDATE ... SET status = 'failed') is not overruled."""
    [msg_id] = queue_mails(db, 1)
    [claimed] = claim_due(5, "w1")
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SET LOCAL lock_timeout = '5s'"))  # a claim left open fails, not hangs
        conn.execute(sa.update(OutboxMessage).where(OutboxMessage.id == msg_id)
                     .values(status=MailStatus.FAILED, last_error="cancelled by the operator"))
    assert record_sent(claimed, "w1") is False
    msg = by_id(db)[msg_id]
    assert msg.status is MailStatus.FAILED and msg.sent_at is None and msg.last_error == "cancelled by the operator"


def test_a_lease_shorter_than_the_smtp_timeout_is_refused_before_anything_is_claimed(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_LEASE_SECONDS", 30)
    ids = queue_mails(db, 1)
    with pytest.raises(ValueError, match="MAIL_LEASE_SECONDS"):
        send_due()
    assert [(m.status, m.claimed_by) for m in by_id(db).values()] == [(MailStatus.QUEUED, None)]
    assert list(by_id(db)) == ids


@pytest.mark.parametrize("timeout, lease", [(0, 300), (-1, 300), (120, 100)])
def test_a_mail_timeout_that_is_not_positive_or_not_below_the_lease_is_refused_before_anything_is_claimed(
        app, db, monkeypatch, timeout, lease):
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", timeout)
    monkeypatch.setitem(app.config, "MAIL_LEASE_SECONDS", lease)
    queue_mails(db, 1)
    with pytest.raises(ValueError, match="MAIL_TIMEOUT"):
        send_due()
    assert [(m.status, m.claimed_by) for m in by_id(db).values()] == [(MailStatus.QUEUED, None)]
