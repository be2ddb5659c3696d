"""The outbox worker: sends queued mail, retries with backoff, safe as several processes.

On PostgreSQL each batch is claimed with FOR UPDATE SKIP LOCKED, so two workers never take
the same message; on SQLite the batch transaction holds the write lock (BEGIN IMMEDIATE), so
workers take turns. A message is marked sent in the same transaction that claimed it.
"""
from __future__ import annotations

import smtplib
import time
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from forum import clock
from forum.db import db
from forum.notifications.models import MailStatus, OutboxMessage


def build_email(msg: OutboxMessage, sender: str) -> EmailMessage:
    em = EmailMessage()
    em["From"] = sender
    em["To"] = msg.to_addr
    em["Subject"] = msg.subject
    em["Date"] = formatdate(localtime=False)
    em["Message-ID"] = make_msgid(idstring=f"outbox-{msg.id}")
    em.set_content(msg.body_text)  # utf-8 by default: Cyrillic and Japanese survive
    if msg.body_html:
        em.add_alternative(msg.body_html, subtype="html")
    em["Content-Language"] = msg.language  # after set_content(), which clears Content-* headers
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
            smtp = cls(self.config["MAIL_SERVER"], int(self.config.get("MAIL_PORT") or 25), timeout=30)
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


def send_due(batch: int = 20, transport: Transport | None = None) -> tuple[int, int]:
    """Send up to `batch` due messages. Returns (sent, failed attempts). Commits."""
    cfg = current_app.config
    own = transport is None
    transport = transport or Transport(cfg)
    now = clock.now()
    rows = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.status == MailStatus.QUEUED, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    sent = failed = 0
    try:
        for msg in rows:
            try:
                transport.send(build_email(msg, cfg["MAIL_SENDER"]), msg.id)
            except Exception as exc:  # noqa: BLE001 - one bad message must not block the queue
                msg.attempts += 1
                msg.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if msg.attempts >= cfg["MAIL_MAX_ATTEMPTS"]:
                    msg.status = MailStatus.FAILED
                else:
                    msg.next_attempt_at = now + backoff(msg.attempts)
                failed += 1
            else:
                msg.attempts += 1
                msg.status = MailStatus.SENT
                msg.sent_at = clock.now()
                msg.last_error = ""
                sent += 1
        db.session.commit()
    finally:
        if own:
            transport.close()
    return sent, failed


def run_forever(interval: float = 2.0, batch: int = 20) -> None:
    transport = Transport(current_app.config)
    try:
        while True:
            sent, failed = send_due(batch, transport)
            if sent or failed:
                current_app.logger.info("outbox: %d sent, %d failed", sent, failed)
            if sent + failed < batch:
                time.sleep(interval)
    finally:
        transport.close()
