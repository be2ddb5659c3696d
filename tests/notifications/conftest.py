"""A real SMTP server for the worker, one that refuses connections, one that never answers, and a clock
moved by hand."""
from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from forum import clock
from tests.notifications.smtp import Recorder, SilentServer, free_port


@pytest.fixture()
def smtp(app, monkeypatch):
    handler = Recorder()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    handler.port = port
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    try:
        yield handler
    finally:
        handler.gate.set()  # never leave a held conversation (and its worker) hanging
        controller.stop()


@pytest.fixture()
def smtp_down(app, monkeypatch):
    """A port with nothing listening: bound but not listening, so connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", s.getsockname()[1])
        yield


@pytest.fixture()
def silent_smtp(app, monkeypatch):
    """An SMTP server that accepts the connection and never answers (a hung server)."""
    server = SilentServer()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
    try:
        yield server
    finally:
        server.drop_all()  # a worker still waiting on it is let go
        server.stop()


@pytest.fixture()
def frozen(monkeypatch):
    """Move the worker's clock by hand: frozen.now = ...; starts a little after the real now."""

    class Clock:
        now = clock.now().replace(microsecond=0) + timedelta(seconds=5)

    monkeypatch.setattr(clock, "now", lambda: Clock.now)
    return Clock
