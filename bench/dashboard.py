"""The check-in dashboard and the badge page at scale: a forum of 20,000 registrations (5,000 approved, with
badges), 4,000 of them arrived over a morning, 8,000 scans of which 1,500 refused.

Prints, for each page, the median time of --repeat requests through the app's test client (wall and this
process's CPU) and the number of SQL statements. Run:
    .venv/bin/python bench/dashboard.py [--delegates 20000] [--repeat 5] [--database-url URL]
Default database: a fresh SQLite file in a temp dir; with --database-url (a PostgreSQL database of its own,
made with createdb) the schema is upgraded and a new forum is added beside whatever is there.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.exports import make_app, setup  # noqa: E402


def seed_door(url: str, slug: str) -> tuple[int, str]:
    """Badges for the approved, a morning of arrivals and refusals, inserted in bulk. Returns (arrived, a token)."""
    import sqlalchemy as sa

    from forum.badges import issuing
    from forum.badges.models import Badge
    from forum.checkin.models import Direction, Result, Scan
    from forum.db import db
    from forum.forums.models import Forum
    from tests import factories as f
    from forum.teams.models import Permission

    app = make_app(url)
    with app.app_context():
        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
        issuing.ensure_badges(forum)
        staff = f.member(forum, Permission.CHECKIN, email=f"door-{slug}@example.org")
        badges = list(db.session.execute(sa.select(Badge.id, Badge.token).where(Badge.forum_id == forum.id)))
        rng = random.Random(8)
        arrived = rng.sample(badges, min(4000, len(badges) * 4 // 5))
        opening = forum.starts_at.replace(hour=3, minute=0, second=0, microsecond=0)
        updates, scans = [], []
        for k, (badge_id, token) in enumerate(arrived):
            at = opening + timedelta(minutes=max(0.0, min(239.0, rng.gauss(70, 35))))
            updates.append({"id": badge_id, "first_checked_in_at": at, "inside": k % 6 != 0,
                            "first_checked_in_device": "Gate 1"})
            scans.append(dict(forum_id=forum.id, badge_id=badge_id, result=Result.OK, direction=Direction.IN,
                              code=token, user_id=staff.id, device="Gate 1", nonce=f"ok-{k}", recorded_at=at))
        for k in range(2500):
            badge_id, token = arrived[k]
            scans.append(dict(forum_id=forum.id, badge_id=badge_id, result=Result.ALREADY_CHECKED_IN,
                              direction=Direction.IN, code=token, user_id=staff.id, device="Gate 2",
                              nonce=f"again-{k}", recorded_at=opening + timedelta(hours=4, seconds=k)))
        for k in range(1500):
            scans.append(dict(forum_id=forum.id, badge_id=None, result=Result.INVALID, direction=Direction.IN,
                              code=f"junk {k}", user_id=staff.id, device="Gate 3", nonce=f"junk-{k}",
                              recorded_at=opening + timedelta(hours=2, seconds=k)))
        db.session.execute(sa.update(Badge), updates)  # ORM bulk UPDATE by primary key
        db.session.execute(sa.insert(Scan), scans)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
        return len(arrived), arrived[0][1], staff.id


def measure(url: str, slug: str, staff_id: int, token: str, repeat: int) -> None:
    from sqlalchemy import event

    from forum.accounts.models import User
    from forum.db import db

    app = make_app(url)
    with app.app_context():
        user = db.session.get(User, staff_id)
        client = app.test_client()
        with client.session_transaction() as s:
            s["_user_id"] = user.get_id()
            s["_fresh"] = True
        pages = [("dashboard", f"/manage/{slug}/checkin"),
                 ("dashboard, page 40 of the refused", f"/manage/{slug}/checkin?page=40"),
                 ("dashboard, already checked in", f"/manage/{slug}/checkin?result=already_checked_in"),
                 ("badge page (door staff)", f"/b/{token}")]
        db.session.remove()
        for name, path in pages:
            client.get(path)  # warm up
            statements = []

            def count(*_a):
                statements.append(1)

            event.listen(db.engine, "before_cursor_execute", count)
            r = client.get(path)
            event.remove(db.engine, "before_cursor_execute", count)
            assert r.status_code == 200, (path, r.status_code)
            walls, cpus = [], []
            for _ in range(repeat):
                w, c = time.perf_counter(), time.process_time()
                client.get(path).get_data()
                walls.append(time.perf_counter() - w)
                cpus.append(time.process_time() - c)
            print(f"{name:38s} {statistics.median(walls) * 1000:7.1f} ms wall {statistics.median(cpus) * 1000:7.1f} ms "
                  f"CPU  {len(statements):2d} statements  {len(r.data) // 1024} KiB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--delegates", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--database-url")
    args = ap.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/dashboard.sqlite"
    slug, _org, seconds = setup(url, args.delegates)
    arrived, token, staff_id = seed_door(url, slug)
    print(f"{url.split(':')[0]}: {args.delegates} registrations, {arrived} arrived; seeded in {seconds:.1f} s + door")
    measure(url, slug, staff_id, token, args.repeat)


if __name__ == "__main__":
    main()
