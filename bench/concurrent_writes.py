"""Several processes (like gunicorn workers) write to one database at once: submissions and approvals.

Prints throughput, errors and lost writes. Run:
    .venv/bin/python bench/concurrent_writes.py [--processes 4] [--threads 4] [--per-thread 25] [--database-url URL]
        [--with-worker [--smtp-delay 0.05]]
Default database: a fresh SQLite file in a temp dir (the embedded default, WAL + BEGIN IMMEDIATE).
--with-worker runs the mail worker (send_due in a loop) in another process while the writers
write, against a local SMTP sink (aiosmtpd, from the test extra) that takes --smtp-delay seconds
per message: a slow mail server must not slow down the writers.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import socket
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_app(url: str, **overrides):
    from forum import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "MAIL_FOLDER": tempfile.mkdtemp(),
                       **overrides})


class SlowSink:
    """An SMTP server that accepts everything, `delay` seconds per message, and counts."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        await asyncio.sleep(self.delay)
        self.count += 1
        return "250 OK"


def mail_worker(url: str, smtp_port: int, stop, out: mp.Queue) -> None:
    """What `forum worker` does, polling faster, until told to stop; reports what it sent."""
    from forum.notifications.worker import Transport, send_due

    app = make_app(url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_port)
    sent = failed = batches = 0
    with app.app_context():
        transport = Transport(app.config)
        try:
            while not stop.is_set():
                s, f = send_due(batch=20, transport=transport)
                sent, failed, batches = sent + s, failed + f, batches + (1 if s or f else 0)
                if s + f == 0:
                    time.sleep(0.1)
        finally:
            transport.close()
    out.put((sent, failed, batches))


def setup(url: str, capacity: int) -> tuple[int, int]:
    from flask_migrate import upgrade

    from forum.db import db
    from tests import factories as f

    app = make_app(url)
    with app.app_context():
        upgrade()
        forum = f.forum(slug="bench", capacity=capacity)
        org = f.organizer(email="bench-org@example.org")
        ids = forum.id, org.id
        db.session.commit()
        return ids


def worker(url: str, forum_id: int, org_id: int, proc: int, threads: int, per_thread: int, out: mp.Queue) -> None:
    from forum.accounts.models import User
    from forum.db import db
    from forum.errors import CapacityReached
    from forum.forums.models import Forum
    from forum.registration import services
    from forum.review import services as review
    from tests import factories as f

    app = make_app(url)
    latencies: list[float] = []
    errors: list[str] = []
    done = [0]
    full = [0]
    lock = threading.Lock()

    def run(t: int) -> None:
        with app.app_context():
            for k in range(per_thread):
                start = time.perf_counter()
                try:
                    data = f.company_input(1)
                    data.contact_email = f"c{proc}-{t}-{k}@bench.kz"
                    data.delegates[0].email = f"d{proc}-{t}-{k}@bench.kz"
                    company = services.submit(db.session.get(Forum, forum_id), data)
                    db.session.commit()
                    try:
                        review.decide(company.delegates[0], "approve", by=db.session.get(User, org_id))
                        db.session.commit()
                    except CapacityReached:
                        db.session.rollback()
                        with lock:
                            full[0] += 1
                    with lock:
                        done[0] += 1
                        latencies.append(time.perf_counter() - start)
                except Exception as e:  # noqa: BLE001 - counted and reported
                    db.session.rollback()
                    with lock:
                        errors.append(f"{type(e).__name__}: {str(e)[:80]}")
            db.session.remove()

    ts = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put((done[0], full[0], errors, latencies))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--processes", type=int, default=4)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--per-thread", type=int, default=25)
    ap.add_argument("--capacity", type=int, default=250)
    ap.add_argument("--database-url")
    ap.add_argument("--with-worker", action="store_true", help="send the queued mail at the same time")
    ap.add_argument("--smtp-delay", type=float, default=0.05, help="seconds the SMTP sink takes per message")
    args = ap.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    forum_id, org_id = setup(url, args.capacity)

    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(url, forum_id, org_id, p, args.threads, args.per_thread, out))
             for p in range(args.processes)]
    sink = controller = mailer = None
    if args.with_worker:
        from aiosmtpd.controller import Controller

        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            smtp_port = free.getsockname()[1]
        sink = SlowSink(args.smtp_delay)
        controller = Controller(sink, hostname="127.0.0.1", port=smtp_port, ready_timeout=10)
        controller.start()
        stop = ctx.Event()
        mail_out: mp.Queue = ctx.Queue()
        mailer = ctx.Process(target=mail_worker, args=(url, smtp_port, stop, mail_out))
        mailer.start()
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - t0
    if mailer is not None:
        stop.set()
        mail_sent, mail_failed, batches = mail_out.get()
        mailer.join()
        controller.stop()

    done = sum(r[0] for r in results)
    full = sum(r[1] for r in results)
    errors = [e for r in results for e in r[2]]
    lat = sorted(x for r in results for x in r[3])

    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    with eng.connect() as c:
        regs = c.execute(text("SELECT count(*) FROM registrations WHERE forum_id = :f"), {"f": forum_id}).scalar()
        approved = c.execute(text("SELECT count(*) FROM registrations WHERE forum_id = :f AND state = 'approved'"),
                             {"f": forum_id}).scalar()
        by_status = dict(c.execute(text("SELECT status, count(*) FROM outbox GROUP BY status")).all())
    attempted = args.processes * args.threads * args.per_thread
    print(f"database            {url.split('://')[0]}")
    print(f"writers             {args.processes} processes x {args.threads} threads")
    print(f"operations          {attempted} (submit + approve each)")
    print(f"completed           {done}")
    print(f"errors              {len(errors)}" + (f"  e.g. {errors[0]}" if errors else ""))
    print(f"rows written        {regs} (lost: {done - regs})")
    print(f"approved / capacity {approved} / {args.capacity} (refused as full: {full})")
    print(f"elapsed             {elapsed:.2f} s, {done / elapsed:.1f} ops/s")
    if lat:
        print(f"latency ms          median {statistics.median(lat) * 1000:.1f}, p95 {lat[int(len(lat) * 0.95) - 1] * 1000:.1f}, max {lat[-1] * 1000:.1f}")
    if mailer is not None:
        print(f"mail worker         1 process, SMTP sink {args.smtp_delay * 1000:.0f} ms per message")
        print(f"mails sent          {mail_sent} during the run ({mail_sent / elapsed:.1f}/s, {batches} batches), "
              f"failed attempts {mail_failed}, received by the sink {sink.count}")
    print("outbox              " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())))


if __name__ == "__main__":
    main()
