"""The outbox worker: sends queued mail, retries with backoff, safe as several processes.

No transaction is open while we talk to the SMTP server, so a slow server never holds up the
web app's writes (on SQLite one open write transaction blocks every other writer). A message
goes through three short transactions:

1. Claim: a batch of due messages becomes `sending`, stamped with this run's token
   (`claimed_by`) and a lease (`lease_expires_at`, MAIL_LEASE_SECONDS from now). On PostgreSQL
   the rows are chosen with FOR UPDATE SKIP LOCKED, so a second worker takes other rows instead
   of waiting for the first one's claim; on SQLite BEGIN IMMEDIATE makes the claims take turns.
2. Send, with no transaction open, from plain data copied out of the claim.
3. Record the result, only `WHERE claimed_by = <our token> AND status = 'sending'`: a worker
   whose lease ran out and whose message someone else claimed cannot overwrite that result.

Every SMTP socket operation gives up after MAIL_TIMEOUT seconds (default 30): a server that
accepts the connection and then never answers costs one failed attempt, retried with backoff like
any other failure, and never more than that wait. A worker does not start a send when less than
the SMTP timeout is left of its lease: it gives the rest of its batch back to the queue, to be
claimed afresh.

A worker that dies leaves its claims to expire; an expired claim is due again. Reclaiming it
counts the lost attempt (the dead worker may have crashed *because* of that message), so a
message that kills every worker that tries it ends as `failed` after MAIL_MAX_ATTEMPTS instead
of looping forever. A worker that is stopped (Ctrl+C, SIGTERM via `forum worker`) gives back at
once the claims it has not started to send; only the message in flight waits for its lease, so
at most that one message can go out twice.
"""
from __future__ import annotations

import os
import smtplib
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from forum import clock
from forum.db import db
from forum.notifications import headers
from forum.notifications.models import MailStatus, OutboxMessage


def smtp_timeout(config) -> float:
    """Seconds each SMTP socket operation may take (MAIL_TIMEOUT). MAIL_LEASE_SECONDS must be well
    above it, and a worker does not start a send when less than this is left of its lease."""
    timeout = float(config["MAIL_TIMEOUT"])
    if not timeout > 0:  # 0 would make the socket non-blocking, None would wait for ever
        raise ValueError("MAIL_TIMEOUT must be a positive number of seconds")
    return timeout


@dataclass(frozen=True)
class Claimed:
    """What the worker needs to send one claimed message: plain values, no session behind them."""

    id: int
    to_addr: str
    to_name: str
    subject: str
    body_text: str
    body_html: str
    language: str
    attempts: int  # attempts made before this one
    lease_expires_at: datetime
    attachments: tuple[dict, ...] = ()  # OutboxMessage.attachments


def build_email(msg: OutboxMessage | Claimed, sender: str) -> EmailMessage:
    # Subject and names in any script go through forum/notifications/headers.py, whose policy keeps
    # them as encoded there: the standard library's own folding loses or doubles spaces in them.
    em = EmailMessage(policy=headers.POLICY)
    sender_name, sender_addr = parseaddr(sender)
    headers.set_address(em, "From", sender_name, sender_addr or sender)
    headers.set_address(em, "To", msg.to_name, msg.to_addr)
    headers.set_header(em, "Subject", msg.subject)
    em["Date"] = formatdate(localtime=False)
    em["Message-ID"] = make_msgid(idstring=f"outbox-{msg.id}")
    em.set_content(msg.body_text)  # utf-8 by default: Cyrillic and Japanese survive
    if msg.body_html:
        em.add_alternative(msg.body_html, subtype="html")
    em["Content-Language"] = msg.language  # after set_content(), which clears Content-* headers
    for a in msg.attachments or ():
        maintype, _, subtype = a["content_type"].partition(";")[0].strip().partition("/")
        params = dict(p.strip().split("=", 1) for p in a["content_type"].split(";")[1:] if "=" in p)
        em.add_attachment(a["text"].encode("utf-8"), maintype=maintype, subtype=subtype, filename=a["filename"],
                          params=params)
    return em


class Transport:
    """SMTP when MAIL_SERVER is set, else .eml files in instance/mail/ for developers."""

    def __init__(self, config: dict) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def send(self, em: EmailMessage, msg_id: int) -> None:
        if not self.config.get("MAIL_SERVER"):
            folder = Path(self.config["MAIL_FOLDER"])
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{msg_id:08d}.eml").write_bytes(bytes(em))
            return
        if self._smtp is None:
            cls = smtplib.SMTP_SSL if self.config.get("MAIL_USE_SSL") else smtplib.SMTP
            smtp = cls(self.config["MAIL_SERVER"], int(self.config.get("MAIL_PORT") or 25),
                       timeout=smtp_timeout(self.config))
            if self.config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if self.config.get("MAIL_USERNAME"):
                smtp.login(self.config["MAIL_USERNAME"], self.config.get("MAIL_PASSWORD") or "")
            self._smtp = smtp
        try:
            self._smtp.send_message(em)
        except smtplib.SMTPServerDisconnected:
            self._smtp = None
            raise

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except smtplib.SMTPException:
                pass
            self._smtp = None


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 ... minutes, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def new_token() -> str:
    """Who claimed a message: host and pid for people reading the table, random for uniqueness."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:16]}"[:64]


def claim_due(batch: int, token: str) -> list[Claimed]:
    """Claim up to `batch` due messages for `token` in one short transaction; commits.

    Due: queued and next_attempt_at has come, or sending with an expired lease (its worker
    died). Reclaiming an expired lease counts the lost attempt; at MAIL_MAX_ATTEMPTS the
    message fails instead of being claimed again.
    """
    cfg = current_app.config
    now = clock.now()
    lease_until = now + timedelta(seconds=cfg["MAIL_LEASE_SECONDS"])
    rows = db.session.scalars(
        sa.select(OutboxMessage)
        .where(sa.or_(
            sa.and_(OutboxMessage.status == MailStatus.QUEUED, OutboxMessage.next_attempt_at <= now),
            sa.and_(OutboxMessage.status == MailStatus.SENDING, OutboxMessage.lease_expires_at < now),
        ))
        .order_by(OutboxMessage.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    claimed: list[Claimed] = []
    for msg in rows:
        if msg.status is MailStatus.SENDING:
            msg.attempts += 1
            msg.last_error = f"Lease expired: worker {msg.claimed_by} did not report a result"[:2000]
            current_app.logger.warning("outbox: message %d reclaimed from %s", msg.id, msg.claimed_by)
            if msg.attempts >= cfg["MAIL_MAX_ATTEMPTS"]:
                msg.status = MailStatus.FAILED
                msg.claimed_by = msg.lease_expires_at = None
                continue
        msg.status = MailStatus.SENDING
        msg.claimed_by = token
        msg.lease_expires_at = lease_until
        claimed.append(Claimed(msg.id, msg.to_addr, msg.to_name or "", msg.subject, msg.body_text, msg.body_html or "",
                               msg.language, msg.attempts, lease_until, tuple(msg.attachments or ())))
    # The commit ends the transaction and hands the connection back to the pool: nothing is held
    # while we send. (Touching an ORM object after this would begin a new one: we use `claimed`.)
    db.session.commit()
    return claimed


def _ours(msg_id: int, token: str) -> sa.Update:
    return (
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == msg_id, OutboxMessage.claimed_by == token,
               OutboxMessage.status == MailStatus.SENDING)
        .execution_options(synchronize_session=False)
    )


def _record(stmt: sa.Update, msg_id: int, token: str) -> bool:
    """One short transaction per result; False when the claim was no longer ours."""
    done = db.session.execute(stmt).rowcount == 1
    db.session.commit()
    if not done:
        current_app.logger.warning("outbox: message %d is no longer claimed by %s; result not recorded",
                                   msg_id, token)
    return done


def record_sent(msg: Claimed, token: str) -> bool:
    return _record(_ours(msg.id, token).values(
        status=MailStatus.SENT, sent_at=clock.now(), attempts=msg.attempts + 1, last_error="",
        claimed_by=None, lease_expires_at=None,
    ), msg.id, token)


def record_failure(msg: Claimed, token: str, error: str) -> bool:
    attempts = msg.attempts + 1
    values: dict = {"attempts": attempts, "last_error": error[:2000], "claimed_by": None, "lease_expires_at": None}
    if attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        values["status"] = MailStatus.FAILED
    else:
        values["status"] = MailStatus.QUEUED
        values["next_attempt_at"] = clock.now() + backoff(attempts)
    return _record(_ours(msg.id, token).values(**values), msg.id, token)


def release(ids: list[int], token: str) -> None:
    """Give back claims we have not started to send: queued again at once, no attempt counted."""
    if not ids:
        return
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == token,
               OutboxMessage.status == MailStatus.SENDING)
        .values(status=MailStatus.QUEUED, claimed_by=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def send_due(batch: int = 20, transport: Transport | None = None) -> tuple[int, int]:
    """Claim up to `batch` due messages and send them. Returns (sent, failed attempts).

    Commits its own short transactions (the claim, then one per result); none is open while a
    message is being sent.
    """
    cfg = current_app.config
    timeout = smtp_timeout(cfg)
    if cfg["MAIL_LEASE_SECONDS"] <= timeout:
        # Every claim would be given back before its first send: say so instead of idling.
        raise ValueError(f"MAIL_LEASE_SECONDS must be more than the SMTP timeout (MAIL_TIMEOUT, {timeout:g} s)")
    own = transport is None
    transport = transport or Transport(cfg)
    token = new_token()
    claimed: list[Claimed] = []
    started = sent = failed = 0
    try:
        claimed = claim_due(batch, token)
        for msg in claimed:
            if msg.lease_expires_at - clock.now() < timedelta(seconds=timeout):
                break  # a send started now could outlive our claim and go out twice
            started += 1
            try:
                transport.send(build_email(msg, cfg["MAIL_SENDER"]), msg.id)
            except Exception as exc:  # noqa: BLE001 - one bad message must not block the queue
                record_failure(msg, token, f"{type(exc).__name__}: {exc}")
                failed += 1
            else:
                record_sent(msg, token)
                sent += 1
        release([m.id for m in claimed[started:]], token)
    except BaseException:
        # Stopped (Ctrl+C, SIGTERM) or the database went away: what we never started to send
        # goes back to the queue now; the message in flight keeps its claim until the lease ends.
        try:
            db.session.rollback()
            release([m.id for m in claimed[started:]], token)
        except Exception:  # noqa: BLE001 - the leases will return them; keep the first error
            current_app.logger.exception("outbox: could not give back %d claims", len(claimed) - started)
        raise
    finally:
        if own:
            transport.close()
    return sent, failed


# Housekeeping the worker does besides mail, since it is the one process that always runs: pending B2B requests
# past their forum's deadline expire (their e-mails then go out through this same outbox).
EXPIRE_EVERY = timedelta(minutes=1)


def _housekeeping(last: datetime | None, now: datetime | None, every: timedelta, job, failed: str) -> datetime | None:
    """Run job(now) and commit, unless it ran less than `every` ago. Returns when it last ran (to pass back next
    time). A failure is logged and rolled back, never fatal to the mail loop; it is tried again `every` later."""
    now = now or clock.now()
    if last is not None and now - last < every:
        return last
    try:
        job(now)
        db.session.commit()
    except Exception:  # noqa: BLE001 - mail must keep flowing; the next turn tries again
        db.session.rollback()
        current_app.logger.exception(failed)
    return now


def expire_requests(last: datetime | None, now: datetime | None = None) -> datetime | None:
    """Run meetings.requests.expire_due and commit, unless it ran less than EXPIRE_EVERY ago."""
    from forum.meetings import requests

    def job(at: datetime) -> None:
        if n := requests.expire_due(at):
            current_app.logger.info("b2b: %d request(s) expired", n)

    return _housekeeping(last, now, EXPIRE_EVERY, job, "b2b: expiring requests failed")


# The weekly review digest of the documents register: looked at once an hour; each forum's digest goes out from
# Monday 08:00 in its time zone, once per recipient and week (documents.followup.send_weekly_digests).
DIGEST_EVERY = timedelta(hours=1)


def send_digests(last: datetime | None, now: datetime | None = None) -> datetime | None:
    """Queue the documents review digests that are due and commit, unless it ran less than DIGEST_EVERY ago."""
    from forum.documents import followup

    def job(at: datetime) -> None:
        if (result := followup.send_weekly_digests(at)).sent:
            current_app.logger.info("documents: %d review digest(s) queued", result.sent)

    return _housekeeping(last, now, DIGEST_EVERY, job, "documents: queueing the review digests failed")


# B2B meetings at the venue: a meeting nobody confirmed within attendance.rules.NO_SHOW_AFTER of its start becomes
# a no-show (its table and people are freed for walk-ins), looked at every minute; and the day-after reminder to
# record an outcome (outcomes.reminders), looked at every 15 minutes.
NO_SHOWS_EVERY = timedelta(minutes=1)
REMINDERS_EVERY = timedelta(minutes=15)


def mark_no_shows(last: datetime | None, now: datetime | None = None) -> datetime | None:
    """Run attendance.rules.mark_no_shows over every forum and commit, unless it ran less than NO_SHOWS_EVERY ago."""
    from forum.attendance import rules

    def job(at: datetime) -> None:
        if n := rules.mark_no_shows(at):
            current_app.logger.info("b2b: %d meeting(s) became no-shows", n)

    return _housekeeping(last, now, NO_SHOWS_EVERY, job, "b2b: marking no-shows failed")


def send_outcome_reminders(last: datetime | None, now: datetime | None = None) -> datetime | None:
    """Queue the day-after outcome reminders that are due and commit, unless it ran less than REMINDERS_EVERY ago."""
    from forum.outcomes import reminders

    def job(at: datetime) -> None:
        if n := reminders.send_due(at):
            current_app.logger.info("b2b: %d outcome reminder(s) queued", n)

    return _housekeeping(last, now, REMINDERS_EVERY, job, "b2b: queueing the outcome reminders failed")


def run_forever(interval: float = 2.0, batch: int = 20) -> None:
    transport = Transport(current_app.config)
    expired_at: datetime | None = None
    digests_at: datetime | None = None
    no_shows_at: datetime | None = None
    reminders_at: datetime | None = None
    try:
        while True:
            expired_at = expire_requests(expired_at)
            digests_at = send_digests(digests_at)
            no_shows_at = mark_no_shows(no_shows_at)
            reminders_at = send_outcome_reminders(reminders_at)
            sent, failed = send_due(batch, transport)
            if sent or failed:
                current_app.logger.info("outbox: %d sent, %d failed", sent, failed)
            if sent + failed < batch:
                time.sleep(interval)
    finally:
        transport.close()
