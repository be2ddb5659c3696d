"""`make run` sends mail: the worker runs beside the server, and stops with it.

Runs the real `make run` (SQLite in a temporary instance folder, a free port), asks for a password
reset over HTTP, and waits for the .eml file. Heavy (the demo takes a few seconds), so it is one test.
"""
from __future__ import annotations

import email
import email.policy
import http.cookiejar
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer

from tests.notifications.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 180  # seconds: a liveness bound for install checks, migrations and the demo, not a timing


def wait_for(what: str, check, proc: subprocess.Popen, log: Path, limit: float = LIMIT):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        assert proc.poll() is None, f"make run ended early while waiting for {what}:\n{log.read_text()[-3000:]}"
        time.sleep(0.25)
    pytest.fail(f"no {what} after {limit} s:\n{log.read_text()[-3000:]}")


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(shutil.which("make") is None or not (ROOT / ".venv" / "bin" / "forum").exists(),
                    reason="needs make and the project's .venv (as `make test` creates)")
def test_make_run_serves_and_sends_mail_to_the_instance_mail_folder(tmp_path):
    instance = tmp_path / "instance"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}  # SQLite, default mail
    env["FORUM_INSTANCE_PATH"] = str(instance)
    log = tmp_path / "make-run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(["make", "--no-print-directory", "run", f"PORT={port}"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

        def forgot_page() -> str | None:
            try:
                with opener.open(f"{base}/password/forgot", timeout=10) as r:
                    return r.read().decode()
            except (urllib.error.URLError, ConnectionError):
                return None

        page = wait_for("web server", forgot_page, proc, log)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"csrf_token": token, "email": "delegate@example.org"}).encode()
        with opener.open(f"{base}/password/forgot", data=form, timeout=30) as r:
            assert r.status == 200 and "/login" in r.url  # redirected to sign-in, with the flash message

        mail = instance / "mail"

        def to_delegate() -> list:
            # The worker may also send the demo's weekly documents digest (from Monday 08:00 in the forum's time
            # zone) to the organizers; the reset link is the one mail to the delegate.
            found = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                     for p in sorted(mail.glob("*.eml"))]
            return [m for m in found if m["To"].addresses[0].addr_spec == "delegate@example.org"]

        [msg] = wait_for(".eml file to delegate@example.org", to_delegate, proc, log, limit=60)
        body = msg.get_body(("plain",)).get_content()
        assert f"{base}/password/set/" in body  # links carry the port served
        # No key configured: make run generated one into the instance folder and signs with it.
        key = (instance / "secret_key").read_text().strip()
        token = re.search(r"/password/set/(\S+)", body).group(1)
        assert URLSafeTimedSerializer(key, salt="forum.password").loads(token)["u"]

        output = log.read_text()
        assert f"links in mail use {base}" in output
        assert f".eml files in {mail}" in output
    finally:
        # Ctrl+C: the terminal signals the whole group. The worker, a background job of make's
        # shell, ignores SIGINT; the shell's trap must stop it.
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
            deadline = time.monotonic() + 30
            while group_alive(proc.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            left = group_alive(proc.pid)
        finally:
            if group_alive(proc.pid):
                os.killpg(proc.pid, signal.SIGKILL)
    assert not left, "a process of `make run` (the worker?) outlived Ctrl+C"
