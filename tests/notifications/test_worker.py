"""The outbox worker against a real SMTP server on loopback (aiosmtpd), and its .eml fallback."""
from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections import Counter
from datetime import timedelta

from aiosmtpd.controller import Controller
from flask_babel import force_locale, gettext

from forum.notifications import services as mail
from forum.notifications.models import MailStatus
from forum.notifications.worker import backoff, send_due
from tests import factories as f
from tests.notifications.smtp import Recorder, free_port, outbox_id, rows

JA_TITLE = "中央アジア＋日本ビジネスフォーラム"
CONTACT = "Әлия Нұрланқызы"  # Kazakh Cyrillic


def registration_mails(db, n_delegates: int = 1):
    """A Japanese-titled forum and a Kazakh contact person: the submission queues real mails."""
    forum = f.forum()
    forum.title = JA_TITLE
    company = f.company(forum, n_delegates, contact_name=CONTACT)
    db.session.commit()
    return company


# --- SMTP -----------------------------------------------------------------------------------

def test_send_due_delivers_each_queued_mail_once_with_unicode_intact(app, db, smtp):
    company = registration_mails(db, n_delegates=2)
    queued = {r.to_addr: r for r in rows()}
    assert len(queued) == 3

    assert send_due() == (3, 0)

    assert len(smtp.received) == 3
    by_to = {m["To"].addresses[0].addr_spec: (rcpt, m) for rcpt, m in smtp.received}
    assert set(by_to) == set(queued)
    contact_rcpt, to_contact = by_to[company.contact_email]
    assert contact_rcpt == [company.contact_email]
    assert to_contact["Subject"] == f"Registration received: {JA_TITLE}"
    assert to_contact["From"] == app.config["MAIL_SENDER"]
    assert to_contact["To"].addresses[0].display_name == CONTACT  # the name as the person wrote it
    text = to_contact.get_body(("plain",)).get_content()
    assert f"Dear {CONTACT}," in text
    assert company.legal_name in text  # 株式会社テスト…
    for d in company.delegates:
        assert f"- {d.full_name} ({d.latin_name}), {d.email}" in text  # 山田 太郎 …
    assert text == queued[company.contact_email].body_text
    html = to_contact.get_body(("html",)).get_content()
    assert CONTACT in html and JA_TITLE in html
    assert outbox_id(to_contact) == queued[company.contact_email].id

    for r in rows():
        assert r.status is MailStatus.SENT
        assert r.attempts == 1
        assert r.sent_at is not None
        assert r.last_error == ""


def test_sent_mail_says_which_language_it_is_in(db, smtp):
    """Content-Language must be set after set_content(), which clears every Content-* header."""
    user = f.user(email="tanaka@example.jp", name="田中 一郎", language="ja")
    mail.queue("password_reset", to=user.email, language="ja", user=user, link="http://forum.test/x")
    db.session.commit()
    assert send_due() == (1, 0)
    [received] = smtp.messages
    with force_locale("ja"):
        assert received["Subject"] == gettext("Choose a new password") != "Choose a new password"
        assert received.get_body(("plain",)).get_content().startswith(gettext("Dear %(name)s,", name="田中 一郎"))
    assert received["Content-Language"] == "ja"


def test_second_run_sends_nothing_more(db, smtp):
    registration_mails(db)
    assert send_due() == (2, 0)
    assert send_due() == (0, 0)
    assert send_due() == (0, 0)
    assert len(smtp.received) == 2
    assert Counter(outbox_id(m) for m in smtp.messages) == Counter({r.id: 1 for r in rows()})


def test_batch_limits_how_many_are_sent_per_run(db, smtp):
    registration_mails(db, n_delegates=4)  # 5 mails
    assert send_due(batch=2) == (2, 0)
    assert [r.status for r in rows()].count(MailStatus.SENT) == 2
    assert send_due(batch=2) == (2, 0)
    assert send_due(batch=2) == (1, 0)
    assert send_due(batch=2) == (0, 0)
    assert sorted(outbox_id(m) for m in smtp.messages) == [r.id for r in rows()]  # oldest first, each once


def test_mail_not_yet_due_waits(db, smtp, frozen):
    registration_mails(db)
    later = rows()[0]
    later.next_attempt_at = frozen.now + timedelta(minutes=10)
    db.session.commit()

    assert send_due() == (1, 0)
    assert later.status is MailStatus.QUEUED
    frozen.now += timedelta(minutes=10)
    assert send_due() == (1, 0)
    assert later.status is MailStatus.SENT
    assert len(smtp.received) == 2


def test_refused_recipient_is_retried_later_and_does_not_hold_up_the_others(db, smtp, frozen):
    company = registration_mails(db, n_delegates=2)
    bad = company.delegates[0].email
    smtp.refuse.add(bad)

    assert send_due() == (2, 1)

    assert sorted(m["To"].addresses[0].addr_spec for m in smtp.messages) == sorted([company.contact_email, company.delegates[1].email])
    [refused] = [r for r in rows() if r.to_addr == bad]
    assert refused.status is MailStatus.QUEUED
    assert refused.attempts == 1
    assert "SMTPRecipientsRefused" in refused.last_error and "No such mailbox" in refused.last_error
    assert refused.next_attempt_at == frozen.now + timedelta(minutes=1)

    smtp.refuse.clear()
    frozen.now += timedelta(minutes=1)
    assert send_due() == (1, 0)
    assert refused.status is MailStatus.SENT and refused.attempts == 2 and refused.last_error == ""
    assert len(smtp.received) == 3


# --- SMTP server down: retry with backoff, then give up ---------------------------------------

def test_backoff_doubles_from_one_minute_up_to_an_hour():
    assert [backoff(n) for n in range(1, 10)] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60, 60)]
    assert backoff(0) == timedelta(minutes=1)
    assert backoff(1000) == timedelta(hours=1)


def test_server_down_keeps_the_mail_queued_and_retries_with_backoff(app, db, smtp_down, frozen, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 4)
    user = f.user(email="petrov@example.kz", name="Петров Пётр", language="ru")
    mail.queue("password_reset", to=user.email, language="ru", user=user, link="http://forum.test/x")
    db.session.commit()
    [msg] = rows()
    start = frozen.now

    assert send_due() == (0, 1)
    assert msg.status is MailStatus.QUEUED
    assert msg.attempts == 1
    assert msg.sent_at is None
    assert "ConnectionRefusedError" in msg.last_error
    assert msg.next_attempt_at == start + timedelta(minutes=1)

    # Not due yet: nothing is tried.
    frozen.now = start + timedelta(seconds=59)
    assert send_due() == (0, 0)
    assert msg.attempts == 1

    frozen.now = start + timedelta(minutes=1)
    assert send_due() == (0, 1)
    assert msg.attempts == 2
    assert msg.next_attempt_at == frozen.now + timedelta(minutes=2)

    frozen.now += timedelta(minutes=2)
    assert send_due() == (0, 1)
    assert msg.attempts == 3
    assert msg.next_attempt_at == frozen.now + timedelta(minutes=4)
    assert msg.status is MailStatus.QUEUED

    # The MAIL_MAX_ATTEMPTS-th failure gives up.
    frozen.now += timedelta(minutes=4)
    assert send_due() == (0, 1)
    assert msg.attempts == 4
    assert msg.status is MailStatus.FAILED
    assert "ConnectionRefusedError" in msg.last_error

    # Failed mail is never tried again, however long we wait.
    frozen.now += timedelta(days=1)
    assert send_due() == (0, 0)
    assert msg.attempts == 4


def test_mail_queued_during_an_outage_goes_out_when_the_server_is_back(app, db, frozen, monkeypatch):
    registration_mails(db)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", closed.getsockname()[1])
        assert send_due() == (0, 2)
    assert all(r.status is MailStatus.QUEUED and r.attempts == 1 for r in rows())

    handler = Recorder()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        assert send_due() == (0, 0)  # backoff still running
        frozen.now += timedelta(minutes=1)
        assert send_due() == (2, 0)
    finally:
        controller.stop()
    assert len(handler.received) == 2
    assert all(r.status is MailStatus.SENT and r.attempts == 2 and r.last_error == "" for r in rows())


# --- no MAIL_SERVER: .eml files for developers ------------------------------------------------

def test_without_mail_server_the_worker_writes_eml_files(app, db, tmp_path, monkeypatch):
    folder = tmp_path / "mail"
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(folder))
    company = registration_mails(db)

    assert send_due() == (2, 0)

    files = sorted(folder.glob("*.eml"))
    assert [p.name for p in files] == [f"{r.id:08d}.eml" for r in rows()]
    parsed = {}
    for p in files:
        m = email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        parsed[m["To"].addresses[0].addr_spec] = m
    assert set(parsed) == {company.contact_email, company.delegates[0].email}
    to_contact = parsed[company.contact_email]
    assert to_contact["Subject"] == f"Registration received: {JA_TITLE}"
    assert f"Dear {CONTACT}," in to_contact.get_body(("plain",)).get_content()
    to_delegate = parsed[company.delegates[0].email]
    assert to_delegate["Subject"] == f"You are registered for {JA_TITLE}"
    assert all(r.status is MailStatus.SENT for r in rows())
    assert send_due() == (0, 0)
    assert len(list(folder.glob("*.eml"))) == 2


# --- two workers at once -----------------------------------------------------------------------

def test_two_workers_at_once_send_every_mail_exactly_once(app, db, smtp):
    smtp.delay = 0.005
    forum = f.forum()
    for i in range(40):
        mail.queue("password_reset", to=f"user{i}@example.kz", language="ru", forum_id=forum.id,
                   user=f.user(email=f"user{i}@example.kz", name=f"Пользователь {i}", password=None),
                   link=f"http://forum.test/{i}")
    db.session.commit()
    ids = [r.id for r in rows()]
    assert len(ids) == 40
    # End the test's own transaction: on SQLite even a read here began with BEGIN IMMEDIATE
    # and would hold the write lock the workers need.
    db.session.commit()

    start = threading.Barrier(2)
    errors: list[BaseException] = []
    sent_by: dict[str, int] = {}

    def work(name: str) -> None:
        try:
            with app.app_context():
                start.wait(timeout=10)
                total = 0
                while True:
                    sent, failed = send_due(batch=5)
                    assert failed == 0
                    total += sent
                    if sent == 0:
                        break
                sent_by[name] = total
        except BaseException as e:  # noqa: BLE001 - reported in the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    assert errors == []

    received = Counter(outbox_id(m) for m in smtp.messages)
    assert received == Counter({i: 1 for i in ids})  # every message, none twice
    assert sum(sent_by.values()) == 40
    db.session.expire_all()
    assert all(r.status is MailStatus.SENT and r.attempts == 1 for r in rows())


# --- forum worker --once ------------------------------------------------------------------------

def test_cli_worker_once_sends_what_is_due_and_exits(app, db, smtp):
    registration_mails(db, n_delegates=2)
    runner = app.test_cli_runner()

    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "3 sent, 0 failed"
    assert len(smtp.received) == 3
    db.session.expire_all()
    assert all(r.status is MailStatus.SENT for r in rows())

    again = runner.invoke(args=["worker", "--once"])
    assert again.exit_code == 0 and again.output.strip() == "0 sent, 0 failed"
    assert len(smtp.received) == 3


def test_cli_worker_once_ends_its_smtp_session_politely(app, db, smtp):
    """send_due() makes its own Transport when none is given (as `forum worker --once` does) and
    must close it: QUIT, not a socket left to the garbage collector (ResourceWarning)."""
    registration_mails(db)
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.output.strip() == "2 sent, 0 failed"
    deadline = time.monotonic() + 5
    while smtp.quits == 0 and time.monotonic() < deadline:
        time.sleep(0.05)  # the server handles QUIT on its own thread
    assert smtp.quits == 1


def test_cli_worker_once_respects_batch(app, db, smtp):
    registration_mails(db, n_delegates=2)
    result = app.test_cli_runner().invoke(args=["worker", "--once", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2 sent, 0 failed"
    assert len(smtp.received) == 2


def test_cli_worker_once_reports_failures(app, db, smtp_down):
    registration_mails(db)
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "0 sent, 2 failed"
    db.session.expire_all()
    assert all(r.status is MailStatus.QUEUED and r.attempts == 1 for r in rows())


def test_an_attachment_travels_with_its_mail_byte_for_byte(db, smtp):
    """A calendar queued with a mail (agendas) arrives as its own part, with its method and its bytes intact."""
    user = f.user(email="aliya@example.kz", name="Әлия Нұрланқызы", language="ru")
    ics = "BEGIN:VCALENDAR\r\nSUMMARY:Встреча · 会議\r\nEND:VCALENDAR\r\n"
    mail.queue("password_reset", to=user.email, language="ru", user=user, link="http://forum.test/x",
               attachments=[{"filename": "agenda.ics", "content_type": "text/calendar; method=PUBLISH", "text": ics}])
    db.session.commit()
    assert send_due() == (1, 0)
    [received] = smtp.messages
    [part] = list(received.iter_attachments())
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "PUBLISH"
    assert part.get_filename() == "agenda.ics"
    assert part.get_payload(decode=True).decode("utf-8") == ics
    assert "http://forum.test/x" in received.get_body(("plain",)).get_content()


def test_a_mail_without_attachments_has_none(db, smtp):
    user = f.user(email="tanaka@example.jp", name="田中 一郎", language="ja")
    mail.queue("password_reset", to=user.email, language="ja", user=user, link="http://forum.test/x")
    db.session.commit()
    assert send_due() == (1, 0)
    [received] = smtp.messages
    assert list(received.iter_attachments()) == []
    assert rows()[0].attachments is None
