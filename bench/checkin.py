"""Check-in through the JSON API under load, as at a venue's doors: gunicorn (4 sync workers, `wsgi:app`, as
deploy/forum-web.service runs it) on a free local port, 16 concurrent scanning devices.

For each database (PostgreSQL in a fresh database this script creates and drops; SQLite in a temp file):
migrate with `forum db upgrade`, seed a forum with N approved delegates with badges (bulk, through
bench/exports.py) and a device token, start gunicorn, then run these phases, each for a fixed time, 16 client
threads with their own http.client connections:

    ping         GET /api/v1/ping: the trivial JSON endpoint of the same app (no token, no database)
    check-in     POST .../checkins, every request a different badge: "ok"
    repeat       the same badges again: "already_checked_in"
    garbage      codes that are no badge: "invalid"

and print scans per second, p50 and p99 latency, errors (non-2xx, an unexpected result, exceptions), and lost
scans: every answered scan must be in the scans table exactly once (by its nonce), and no scan may be there
that nobody was answered about. Goal: check-in >= 60% of ping's throughput, p99 < 50 ms on PostgreSQL, no
errors and no lost scans on both.

Run (PostgreSQL reached as the `postgres` user, like the test suite's; the database is created and dropped):
    .venv/bin/python bench/checkin.py [--seconds 10] [--clients 16] [--workers 4] [--delegates 20000]
        [--admin-url postgresql://postgres@127.0.0.1/postgres] [--only postgresql|sqlite]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

VENV_BIN = Path(sys.executable).parent


def _env(url: str, instance: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env.update(FORUM_DATABASE_URL=url, FORUM_INSTANCE_PATH=instance, FORUM_SECRET_KEY=secrets.token_hex(32),
               FORUM_BASE_URL="http://127.0.0.1")
    return env


def migrate(url: str, instance: str) -> None:
    subprocess.run([str(VENV_BIN / "forum"), "db", "upgrade"], cwd=ROOT, env=_env(url, instance), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def seed(url: str, n: int) -> tuple[str, str, list[str]]:
    """A forum of n approved delegates with badges (bulk insert of bench/exports.py, then every registration
    approved and badged), a door keeper with the check-in permission and their device token."""
    import sqlalchemy as sa

    import exports  # bench/exports.py: realistic names in Japanese, Kazakh and Uzbek, inserted in bulk

    from forum.api import tokens
    from forum.badges import issuing
    from forum.badges.models import Badge
    from forum.db import db
    from forum.forums.models import Forum
    from forum.registration.models import RegState, Registration
    from forum.teams.models import Permission
    from tests import factories as f

    slug, _org, _s = exports.setup(url, n)
    app = exports.make_app(url)
    with app.app_context():
        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
        db.session.execute(sa.update(Registration).where(Registration.forum_id == forum.id)
                           .values(state=RegState.APPROVED))
        issuing.ensure_badges(forum)
        staff = f.member(forum, Permission.CHECKIN, name="Door Staff", email=f"door-{uuid.uuid4().hex[:8]}@example.org")
        secret = tokens.create(staff, label="Bench gate", forum=forum, by=None).secret
        codes = list(db.session.scalars(sa.select(Badge.token).where(Badge.forum_id == forum.id).order_by(Badge.id)))
        db.session.commit()
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        db.engine.dispose()
    return slug, secret, codes


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids) -> dict[int, float]:
    """User + system CPU of each process (Linux /proc), by pid; processes gone are left out."""
    out = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return out


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


class CpuMeter:
    """CPU spent by the app (gunicorn's master and workers), the database (PostgreSQL's backends serving this
    database; nothing for SQLite, which runs inside the workers) and this client, over one phase: the cost of
    a request whatever else the shared machine is doing."""

    def __init__(self, server_pid: int, url: str) -> None:
        self.server_pid, self.url = server_pid, url
        self.engine = None
        if url.startswith("postgresql"):
            import sqlalchemy as sa

            self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)

    def _db_pids(self) -> list[int]:
        if self.engine is None:
            return []
        import sqlalchemy as sa

        with self.engine.connect() as conn:
            return list(conn.scalars(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                             "AND pid <> pg_backend_pid()")))

    def snapshot(self) -> tuple[dict, dict, float]:
        app = cpu_seconds([self.server_pid, *children(self.server_pid)])
        return app, cpu_seconds(self._db_pids()), time.process_time()

    @staticmethod
    def delta(before: tuple, after: tuple) -> tuple[float, float, float]:
        def spent(a: dict, b: dict) -> float:
            return sum(v - a.get(pid, 0.0) for pid, v in b.items())

        return spent(before[0], after[0]), spent(before[1], after[1]), after[2] - before[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, url: str, instance: str, workers: int) -> None:
        self.port = free_port()
        self.log = open(Path(instance) / "gunicorn.log", "w+b")  # a file, never a pipe nobody reads (it fills)
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
             "--timeout", "60", "wsgi:app"],
            cwd=ROOT, env=_env(url, instance), stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/api/v1/ping")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.log.seek(0)
                raise RuntimeError("gunicorn did not start: " + self.log.read().decode()[-2000:])
            time.sleep(0.2)
        self.warm()

    def warm(self) -> None:
        # Each worker loads the app lazily on its first requests: not part of the measurement.
        for _ in range(50):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            conn.request("GET", "/api/v1/openapi.json")
            conn.getresponse().read()
            conn.close()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.seek(0)
        self.output = self.log.read().decode(errors="replace")
        self.log.close()


@dataclass
class Phase:
    name: str
    expect: str | None  # the result every answer should carry (None: ping)
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    answered: list[str] = field(default_factory=list)  # nonces of scans answered 200
    seconds: float = 0.0
    cpu: tuple[float, float, float] = (0.0, 0.0, 0.0)  # app, database, client: CPU seconds over the phase

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    @property
    def count(self) -> int:
        return len(self.latencies)

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def cpu_ms(self, which: int) -> float:
        return self.cpu[which] / self.count * 1000 if self.count else float("nan")

    @property
    def server_ms(self) -> float:
        """App and database CPU per request."""
        return self.cpu_ms(0) + self.cpu_ms(1)


def run_phase(port: int, phase: Phase, seconds: float, clients: int, request_for, meter: CpuMeter) -> None:
    """`clients` threads, each with its own keep-alive connection (gunicorn's sync workers close it after each
    answer; http.client then opens a new one), sending request_for(i) until the time is up."""
    lock = threading.Lock()
    counter = iter(range(10**12))
    stop_at = time.perf_counter() + seconds
    start = threading.Barrier(clients + 1)

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        lat, answered, errors = [], [], {}
        start.wait()
        while time.perf_counter() < stop_at:
            with lock:
                i = next(counter)
            req = request_for(i)
            if req is None:  # out of badges: this phase ends early
                break
            method, path, body, nonce = req
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=HEADERS if body else {})
                resp = conn.getresponse()
                data = resp.read()
            except Exception as e:  # noqa: BLE001 - counted, the run goes on
                errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            lat.append(time.perf_counter() - t0)
            if resp.status != 200:
                errors[f"HTTP {resp.status}"] = errors.get(f"HTTP {resp.status}", 0) + 1
                continue
            if phase.expect is not None:
                answer = json.loads(data)
                answered.append(nonce)
                if answer.get("status") != phase.expect:
                    key = f"status {answer.get('status')}"
                    errors[key] = errors.get(key, 0) + 1
        conn.close()
        with lock:
            phase.latencies.extend(lat)
            phase.answered.extend(answered)
            for k, v in errors.items():
                phase.errors[k] = phase.errors.get(k, 0) + v

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    before = meter.snapshot()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    phase.seconds = time.perf_counter() - t0
    phase.cpu = meter.delta(before, meter.snapshot())


HEADERS: dict = {}


def bench(backend: str, url: str, args) -> dict:
    instance = tempfile.mkdtemp(prefix="forum-bench-instance-")
    try:
        t0 = time.perf_counter()
        migrate(url, instance)
        slug, secret, codes = seed(url, args.delegates)
        print(f"[{backend}] migrated and seeded {len(codes)} badges in {time.perf_counter() - t0:.1f} s", flush=True)
        HEADERS.clear()
        HEADERS.update({"Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
        path = f"/api/v1/forums/{slug}/checkins"
        run_id = uuid.uuid4().hex[:6]
        server = Server(url, instance, args.workers)
        meter = CpuMeter(server.proc.pid, url)
        try:
            phases: list[Phase] = []
            warmups: list[Phase] = []

            def measure(name: str, expect: str | None, request_for) -> None:
                # Untimed first: each worker compiles its statements and prepares them on its connections.
                warmups.append(Phase(name, expect))
                run_phase(server.port, warmups[-1], args.warmup, args.clients, request_for, meter)
                phases.append(Phase(name, expect))
                run_phase(server.port, phases[-1], args.seconds, args.clients, request_for, meter)

            measure("ping", None, lambda i: ("GET", "/api/v1/ping", None, None))

            admitted: list[str] = []
            next_badge = iter(range(len(codes)))

            def distinct(_i: int):
                i = next(next_badge, None)
                if i is None:
                    return None  # every badge is in: the phase ends early (use more --delegates)
                admitted.append(codes[i])
                return "POST", path, json.dumps({"code": codes[i], "nonce": f"{run_id}-d-{i}"}).encode(), f"{run_id}-d-{i}"

            measure("check-in", "ok", distinct)

            def repeat(i: int):
                code = admitted[i % len(admitted)]
                return "POST", path, json.dumps({"code": code, "nonce": f"{run_id}-r-{i}"}).encode(), f"{run_id}-r-{i}"

            measure("repeat", "already_checked_in", repeat)

            def garbage(i: int):
                junk = ["https://example.org/not-a-badge", "1" + "A" * 124, "hello " * 20, ""][i % 4] + str(i)
                return "POST", path, json.dumps({"code": junk, "nonce": f"{run_id}-g-{i}"}).encode(), f"{run_id}-g-{i}"

            measure("garbage", "invalid", garbage)
            # ping again: how much the shared machine's load moved during the run
            phases.append(Phase("ping-end", None))
            run_phase(server.port, phases[-1], args.seconds, args.clients,
                      lambda i: ("GET", "/api/v1/ping", None, None), meter)
        finally:
            server.stop()
        noise = [line for line in server.output.splitlines() if line.strip() and "[INFO]" not in line]
        if noise:
            print(f"[{backend}] gunicorn said ({len(noise)} lines), e.g.:\n  " + "\n  ".join(noise[:8]), flush=True)
        lost, extra, inside = audit_scans(url, slug, phases + warmups, admitted)
        return {"backend": backend, "phases": phases, "lost": lost, "extra": extra, "not_inside": inside}
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def audit_scans(url: str, slug: str, phases: list[Phase], admitted: list[str]) -> tuple[int, int, int]:
    """Answered scans missing from the table (or there twice), scans nobody was answered about, and admitted
    badges not marked inside."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        forum_id = conn.scalar(sa.text("SELECT id FROM forums WHERE slug = :s"), {"s": slug})
        rows = conn.execute(sa.text("SELECT nonce, count(*) FROM checkin_scans WHERE forum_id = :f GROUP BY nonce"),
                            {"f": forum_id}).all()
        outside = conn.scalar(sa.text("SELECT count(*) FROM badges WHERE forum_id = :f AND NOT inside AND "
                                      "token IN :t").bindparams(sa.bindparam("t", expanding=True)),
                              {"f": forum_id, "t": admitted or [""]}) if admitted else 0
    engine.dispose()
    stored = {nonce: n for nonce, n in rows}
    answered = [n for p in phases for n in p.answered]
    lost = sum(1 for n in answered if stored.get(n) != 1)
    extra = len(set(stored) - set(answered))
    return lost, extra, outside


def postgres_db(admin_url: str):
    import sqlalchemy as sa

    name = f"forum_bench_checkin_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def report(results: list[dict], load: tuple[float, float]) -> None:
    print()
    print("CPU per request: ms of CPU time spent by the app (gunicorn workers), the database (PostgreSQL backends)")
    print("and the client threads, measured from /proc: the cost whatever else the machine runs. 'fits' is how")
    print(f"many requests per second {os.cpu_count()} cores would do on that cost alone (cores / (app + db + client)).")
    print(f"Load average (1 min) before and after the run: {load[0]:.1f}, {load[1]:.1f}.")
    print()
    print(f"{'database':<11}{'phase':<10}{'requests':>9}{'per s':>8}{'p50 ms':>8}{'p99 ms':>8}"
          f"{'app ms':>8}{'db ms':>7}{'client':>7}{'fits/s':>8}  errors")
    for res in results:
        for p in res["phases"]:
            errs = ", ".join(f"{k}: {v}" for k, v in sorted(p.errors.items())) or "0"
            total = p.server_ms + p.cpu_ms(2)
            fits = (os.cpu_count() or 1) * 1000 / total if total else float("nan")
            print(f"{res['backend']:<11}{p.name:<10}{p.count:>9}{p.rate:>8.0f}{p.pct(50):>8.1f}{p.pct(99):>8.1f}"
                  f"{p.cpu_ms(0):>8.2f}{p.cpu_ms(1):>7.2f}{p.cpu_ms(2):>7.2f}{fits:>8.0f}  {errs}")
    print()
    for res in results:
        pings = [p for p in res["phases"] if p.name.startswith("ping")]
        checkin = next(p for p in res["phases"] if p.name == "check-in")
        ping_rate = statistics.mean(p.rate for p in pings)
        ping_ms = statistics.mean(p.server_ms for p in pings)
        ratio = checkin.rate / ping_rate if ping_rate else 0
        cost_ratio = ping_ms / checkin.server_ms if checkin.server_ms else 0
        errors = sum(sum(p.errors.values()) for p in res["phases"])
        worst_p99 = max(p.pct(99) for p in res["phases"] if not p.name.startswith("ping"))
        print(f"{res['backend']}: check-in {checkin.rate:.0f}/s = {ratio:.0%} of ping ({ping_rate:.0f}/s, both runs) "
              f"[server CPU per request: ping {ping_ms:.2f} ms, check-in {checkin.server_ms:.2f} ms, "
              f"{cost_ratio:.0%}]; worst scan p99 {worst_p99:.1f} ms; errors {errors}; lost scans {res['lost']}, "
              f"stored but unanswered {res['extra']}, admitted but not inside {res['not_inside']}")
        goals = [f"no errors: {'yes' if errors == 0 else 'NO'}", f"no lost scans: {'yes' if res['lost'] == 0 else 'NO'}"]
        if res["backend"] == "postgresql":
            goals += [f">= 60% of ping: {'yes' if ratio >= 0.6 else 'NO'}",
                      f"p99 < 50 ms: {'yes' if worst_p99 < 50 else 'NO'}"]
        print("  goals: " + "; ".join(goals))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=2.0, help="untimed seconds before each phase")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--delegates", type=int, default=20_000)
    ap.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1/postgres")
    ap.add_argument("--only", choices=["postgresql", "sqlite"])
    args = ap.parse_args()
    print(f"{args.clients} clients, gunicorn {args.workers} workers, {args.seconds:g} s per phase, "
          f"{os.cpu_count()} CPUs", flush=True)
    results = []
    load_before = os.getloadavg()[0]
    if args.only in (None, "postgresql"):
        url, drop = postgres_db(args.admin_url)
        try:
            results.append(bench("postgresql", url, args))
        finally:
            drop()
    if args.only in (None, "sqlite"):
        folder = tempfile.mkdtemp(prefix="forum-bench-sqlite-")
        try:
            results.append(bench("sqlite", f"sqlite:///{folder}/bench.sqlite", args))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    report(results, (load_before, os.getloadavg()[0]))


if __name__ == "__main__":
    main()
