"""Several processes (like gunicorn workers) write to one database at once: submissions and approvals.

Prints throughput, errors and lost writes. Run:
    .venv/bin/python bench/concurrent_writes.py [--processes 4] [--threads 4] [--per-thread 25] [--database-url URL]
Default database: a fresh SQLite file in a temp dir (the embedded default, WAL + BEGIN IMMEDIATE).
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_app(url: str):
    from forum import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "MAIL_FOLDER": tempfile.mkdtemp()})


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
    args = ap.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    forum_id, org_id = setup(url, args.capacity)

    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(url, forum_id, org_id, p, args.threads, args.per_thread, out))
             for p in range(args.processes)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - t0

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


if __name__ == "__main__":
    main()
