"""A real SMTP server on loopback (aiosmtpd) that records what it receives, one that never answers,
and outbox helpers."""
from __future__ import annotations

import asyncio
import email
import email.policy
import re
import selectors
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
        self.port: int | None = None  # set by the fixture that serves it
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


class SilentServer:
    """Accepts TCP connections on loopback and never says a word: not even SMTP's greeting.

    A plain socket server on its own thread. `accepted` is set when a client connects; `hung_up`
    when a client closes its end (it gave up waiting). `drop_all()` closes the server's end of
    every connection, which a waiting client sees at once as a disconnection.
    """

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted = threading.Event()
        self.hung_up = threading.Event()
        self._drop = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self.listener, selectors.EVENT_READ)
        conns: list[socket.socket] = []
        try:
            while not self._stop.is_set():
                if self._drop.is_set():
                    for c in conns:
                        sel.unregister(c)
                        c.close()
                    conns.clear()
                    self._drop.clear()
                for key, _ in sel.select(timeout=0.05):
                    if key.fileobj is self.listener:
                        conn, _addr = self.listener.accept()
                        conns.append(conn)
                        sel.register(conn, selectors.EVENT_READ)
                        self.accepted.set()
                    elif not key.fileobj.recv(4096):  # the client closed its end
                        sel.unregister(key.fileobj)
                        conns.remove(key.fileobj)
                        key.fileobj.close()
                        self.hung_up.set()
        finally:
            for c in conns:
                c.close()
            sel.close()
            self.listener.close()

    def drop_all(self) -> None:
        self._drop.set()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


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
