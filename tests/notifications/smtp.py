"""A real SMTP server on loopback (aiosmtpd) that records what it receives, and outbox helpers."""
from __future__ import annotations

import asyncio
import email
import email.policy
import re
import socket
import threading

import sqlalchemy as sa

from forum.notifications.models import OutboxMessage


class Recorder:
    """An SMTP handler that keeps what it receives; refuses the addresses in `refuse`.

    `hold(addr)` keeps a message to `addr` in the middle of its DATA command until `gate` is set:
    the worker sits inside an SMTP conversation for as long as the test needs. `inside` is set
    when a held message arrives.
    """

    def __init__(self) -> None:
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []
        self.refuse: set[str] = set()
        self.held: set[str] = set()
        self.gate = threading.Event()
        self.inside = threading.Event()
        self.delay = 0.0
        self.quits = 0
        self._lock = threading.Lock()

    def hold(self, address: str) -> None:
        self.held.add(address)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)  # a slow server widens any race between workers
        if self.held & set(envelope.rcpt_tos):
            self.inside.set()
            await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, 60)
        parsed = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self._lock:
            self.received.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, server, session, envelope):
        with self._lock:
            self.quits += 1
        return "221 Bye"

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        with self._lock:
            return [m for _rcpt, m in self.received]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def outbox_id(msg: email.message.EmailMessage) -> int:
    m = re.search(r"outbox-(\d+)", msg["Message-ID"])
    assert m, msg["Message-ID"]
    return int(m.group(1))


def rows() -> list[OutboxMessage]:
    from forum.db import db

    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
