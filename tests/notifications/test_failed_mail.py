"""Mail that exhausted its attempts is not lost: organizers see it with its error and queue it again
(one, or every failed one of a kind), on the forum's mail page or with `forum mail retry-failed`."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum import clock
from forum.audit.models import AuditEntry
from forum.errors import InvalidState
from forum.notifications import admin
from forum.notifications.models import MailStatus, OutboxMessage
from forum.notifications.worker import send_due
from tests import factories as f
from tests.notifications.smtp import rows

ERROR = "SMTPRecipientsRefused: {'x@example.kz': (550, b'5.1.1 No such mailbox')}"


def outbox(forum, *, template: str = "delegate_registered", status: MailStatus = MailStatus.FAILED,
           to: str | None = None, error: str = ERROR, attempts: int = 8) -> OutboxMessage:
    """A message as the worker leaves it: failed after its attempts, with the last error."""
    msg = OutboxMessage(
        template=template, to_addr=to or f"person{next(_seq)}@example.kz", to_name="Ерлан Қасымов", language="ru",
        subject="Регистрация получена", body_text="Здравствуйте!\n", body_html="", status=status,
        attempts=attempts if status is MailStatus.FAILED else 0, last_error=error if status is MailStatus.FAILED else "",
        forum_id=forum.id if forum is not None else None,
        next_attempt_at=clock.now() - timedelta(hours=1),
    )
    from forum.db import db

    db.session.add(msg)
    db.session.flush()
    return msg


def _counter():
    n = 0
    while True:
        n += 1
        yield n


_seq = _counter()


def fresh(db, msg_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, msg_id)


def audit_entries(db) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject_type == "mail")
                                   .order_by(AuditEntry.subject_id)))


# --- the service -------------------------------------------------------------------------------

def test_requeue_makes_a_failed_message_due_now_with_fresh_attempts_and_keeps_its_error(db, frozen):
    forum, org = f.forum(), f.organizer()
    msg = outbox(forum)
    msg.claimed_by, msg.lease_expires_at = "old-worker", frozen.now  # left over: must not survive

    admin.requeue(msg, by=org)

    msg = fresh(db, msg.id)
    assert (msg.status, msg.attempts, msg.next_attempt_at) == (MailStatus.QUEUED, 0, frozen.now)
    assert (msg.claimed_by, msg.lease_expires_at) == (None, None)
    assert msg.last_error == ERROR  # visible until it is sent
    [entry] = audit_entries(db)
    assert (entry.subject_id, entry.action, entry.actor_id, entry.forum_id) == (msg.id, "requeued", org.id, forum.id)
    assert (entry.from_state, entry.to_state, entry.details["template"]) == ("failed", "queued", "delegate_registered")


@pytest.mark.parametrize("status", [MailStatus.QUEUED, MailStatus.SENDING, MailStatus.SENT])
def test_only_failed_mail_can_be_queued_again(db, status):
    msg = outbox(f.forum(), status=status)
    before = (msg.status, msg.attempts, msg.next_attempt_at)
    with pytest.raises(InvalidState) as e:
        admin.requeue(msg, by=f.organizer())
    assert e.value.code == "not_failed"
    msg = fresh(db, msg.id)
    assert (msg.status, msg.attempts, msg.next_attempt_at) == before
    assert audit_entries(db) == []


def test_requeue_failed_takes_only_failed_mail_of_the_forum_and_kind_asked_for(db):
    astana, tashkent, org = f.forum(), f.forum(), f.organizer()
    wanted = [outbox(astana), outbox(astana)]
    others = [
        outbox(astana, template="approved"),  # another kind
        outbox(tashkent),  # another forum
        outbox(astana, status=MailStatus.SENDING),  # a worker has it
        outbox(astana, status=MailStatus.SENT),
        outbox(None, template="password_reset"),  # no forum
    ]
    before = {m.id: (m.status, m.attempts) for m in others}

    ids = admin.requeue_failed(forum_id=astana.id, template="delegate_registered", by=org)

    assert ids == [m.id for m in wanted]
    assert {(fresh(db, m.id).status, fresh(db, m.id).attempts) for m in wanted} == {(MailStatus.QUEUED, 0)}
    assert {m.id: (fresh(db, m.id).status, fresh(db, m.id).attempts) for m in others} == before
    assert [(e.subject_id, e.actor_id, e.details["bulk"], e.details["kind"]) for e in audit_entries(db)] == [
        (m.id, org.id, True, "delegate_registered") for m in wanted]
    assert admin.requeue_failed(forum_id=astana.id, template="delegate_registered", by=org) == []  # nothing left


def test_requeue_failed_without_filters_takes_every_failed_message(db):
    msgs = [outbox(f.forum()), outbox(None, template="password_reset"), outbox(f.forum(), template="approved")]
    assert admin.requeue_failed(by=None, via="cli") == [m.id for m in msgs]
    assert {fresh(db, m.id).status for m in msgs} == {MailStatus.QUEUED}
    assert {(e.actor_id, e.details["via"]) for e in audit_entries(db)} == {(None, "cli")}


def test_mail_that_exhausted_its_attempts_goes_out_once_queued_again_and_its_error_is_then_cleared(
        app, db, smtp, frozen, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    forum = f.forum()
    company = f.company(forum, 1)
    db.session.commit()
    smtp.refuse.add(company.contact_email)
    assert send_due() == (1, 1)  # the delegate's goes out, the contact person's does not
    frozen.now += timedelta(minutes=1)
    assert send_due() == (0, 1)
    [msg] = [r for r in rows() if r.to_addr == company.contact_email]
    assert msg.status is MailStatus.FAILED and "No such mailbox" in msg.last_error
    frozen.now += timedelta(days=1)
    assert send_due() == (0, 0)  # failed mail is never tried again by itself

    smtp.refuse.clear()  # the organizer had the mailbox fixed
    assert admin.requeue_failed(forum_id=forum.id, by=f.organizer()) == [msg.id]
    db.session.commit()
    assert send_due() == (1, 0)
    msg = fresh(db, msg.id)
    assert (msg.status, msg.attempts, msg.last_error) == (MailStatus.SENT, 1, "")
    assert len(smtp.messages) == 2


# --- the page ----------------------------------------------------------------------------------

def page_rows(html: str) -> list[str]:
    return re.findall(r'<tr class="mail-row" id="mail-(\d+)">', html)


def test_organizer_sees_failed_mail_first_with_the_error_of_each(client, db, login):
    forum = f.forum(slug="astana")
    sent = outbox(forum, status=MailStatus.SENT)
    first_failed = outbox(forum, error="SMTPServerDisconnected: Connection unexpectedly closed: timed out")
    queued = outbox(forum, status=MailStatus.QUEUED)
    second_failed = outbox(forum, template="approved", error="SMTPDataError: (554, b'5.7.1 Message rejected')")
    outbox(f.forum())  # another forum's failure is not shown here
    login(f.organizer())

    r = client.get("/manage/astana/mail")

    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert page_rows(html) == [str(m.id) for m in (second_failed, first_failed, queued, sent)]
    assert "Connection unexpectedly closed: timed out" in html
    assert "5.7.1 Message rejected" in html
    assert html.count('action="/manage/astana/mail/') == 2 + 3  # one per failed row; per kind, and all of them
    assert re.search(r'<a class="nav-link active" aria-current="page" href="/manage/astana/mail">', html)  # its tab


def test_the_page_filters_by_status_and_is_paginated(app, client, db, login, monkeypatch):
    forum = f.forum(slug="astana")
    failed = [outbox(forum) for _ in range(3)]
    outbox(forum, status=MailStatus.SENT)
    login(f.organizer())
    monkeypatch.setitem(app.config, "PER_PAGE", 2)

    assert page_rows(client.get("/manage/astana/mail?status=failed").get_data(as_text=True)) == [
        str(failed[2].id), str(failed[1].id)]
    assert page_rows(client.get("/manage/astana/mail?status=failed&page=2").get_data(as_text=True)) == [
        str(failed[0].id)]
    assert len(page_rows(client.get("/manage/astana/mail?status=bogus").get_data(as_text=True))) == 2  # no filter


@pytest.mark.parametrize("page", ["99999999999999999999", "0", "-1"])
def test_a_page_number_out_of_range_is_404_not_500(client, db, login, page):
    f.forum(slug="astana")
    login(f.organizer())
    assert client.get(f"/manage/astana/mail?page={page}").status_code == 404


def test_organizer_queues_one_failed_message_again(client, db, login, post):
    forum = f.forum(slug="astana")
    msg, other = outbox(forum), outbox(forum)
    org = login(f.organizer())

    r = post(f"/manage/astana/mail/{msg.id}/retry", {"back": "/manage/astana/mail?status=failed"})

    assert r.status_code == 302 and r.headers["Location"] == "/manage/astana/mail?status=failed"
    assert (fresh(db, msg.id).status, fresh(db, msg.id).attempts) == (MailStatus.QUEUED, 0)
    assert fresh(db, other.id).status is MailStatus.FAILED
    assert [(e.subject_id, e.actor_id) for e in audit_entries(db)] == [(msg.id, org.id)]
    page = client.get("/manage/astana/mail").get_data(as_text=True)
    assert f"The message to {msg.to_addr} is queued again." in page

    r = post(f"/manage/astana/mail/{msg.id}/retry")  # twice: it is no longer failed
    assert r.status_code == 302
    assert "Only failed mail can be queued again." in client.get("/manage/astana/mail").get_data(as_text=True)
    assert len(audit_entries(db)) == 1


def test_organizer_queues_every_failed_message_of_a_kind_again(client, db, login, post):
    forum = f.forum(slug="astana")
    kind = [outbox(forum), outbox(forum)]
    other_kind = outbox(forum, template="approved")
    login(f.organizer())

    r = post("/manage/astana/mail/retry-failed", {"template": "delegate_registered"})

    assert r.status_code == 302
    assert {fresh(db, m.id).status for m in kind} == {MailStatus.QUEUED}
    assert fresh(db, other_kind.id).status is MailStatus.FAILED
    assert "2 failed messages are queued again." in client.get("/manage/astana/mail").get_data(as_text=True)

    post("/manage/astana/mail/retry-failed", {})  # all of them
    assert fresh(db, other_kind.id).status is MailStatus.QUEUED
    post("/manage/astana/mail/retry-failed", {})
    assert "No failed mail to queue again." in client.get("/manage/astana/mail").get_data(as_text=True)


def test_a_message_of_another_forum_cannot_be_queued_through_this_one(client, db, login, post):
    f.forum(slug="astana")
    msg = outbox(f.forum())
    login(f.organizer())
    assert post(f"/manage/astana/mail/{msg.id}/retry").status_code == 404
    assert post("/manage/astana/mail/99999999/retry").status_code == 404
    assert fresh(db, msg.id).status is MailStatus.FAILED


def test_delegates_get_403_and_strangers_the_sign_in_page(client, db, login, post):
    forum = f.forum(slug="astana")
    msg = outbox(forum)
    assert client.get("/manage/astana/mail").status_code == 302
    assert post(f"/manage/astana/mail/{msg.id}/retry").status_code == 302
    login(f.user())
    assert client.get("/manage/astana/mail").status_code == 403
    assert post(f"/manage/astana/mail/{msg.id}/retry").status_code == 403
    assert post("/manage/astana/mail/retry-failed").status_code == 403
    assert fresh(db, msg.id).status is MailStatus.FAILED


# --- forum mail retry-failed -------------------------------------------------------------------

def test_cli_retry_failed_by_forum_and_kind(app, db):
    astana, tashkent = f.forum(slug="astana"), f.forum(slug="tashkent")
    wanted = outbox(astana)
    others = [outbox(astana, template="approved"), outbox(tashkent)]
    db.session.commit()
    runner = app.test_cli_runner()

    result = runner.invoke(args=["mail", "retry-failed", "--forum", "astana", "--template", "delegate_registered"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1 failed message queued again."
    assert fresh(db, wanted.id).status is MailStatus.QUEUED
    assert {fresh(db, m.id).status for m in others} == {MailStatus.FAILED}
    [entry] = audit_entries(db)
    assert (entry.actor_id, entry.details["via"]) == (None, "cli")

    result = runner.invoke(args=["mail", "retry-failed"])
    assert result.output.strip() == "2 failed messages queued again."
    assert {fresh(db, m.id).status for m in others} == {MailStatus.QUEUED}


def test_cli_retry_failed_refuses_an_unknown_forum(app, db):
    msg = outbox(f.forum(slug="astana"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["mail", "retry-failed", "--forum", "nope"])
    assert result.exit_code != 0
    assert "No forum with the slug 'nope'" in result.output
    assert fresh(db, msg.id).status is MailStatus.FAILED
