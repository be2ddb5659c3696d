"""The B2B day at scale (issue 12), on the demo: central-asia-japan (450 delegates, ~1,500 meeting requests, ~600
published meetings in 48 slots at 50 tables, eleven interpreters) and the almaty-b2b-day under way.

Loads the demo into a fresh SQLite file (or --database-url, a database of its own made with createdb), then prints
the median wall time (and this process's CPU time) over --repeat runs, through the app's test client:
- the delegate's agenda page (8 meetings), his .ics download and the subscription URL, his agenda PDF;
- the organizers' agenda index, a table sign, and the help desk bundle of the whole forum (pages, bytes);
- the live board of a slot with 50 tables;
- the results page (the funnel by country pair and sector over every request), its CSV and XLSX exports;
- the worker's no-show pass over every forum (attendance.rules.mark_no_shows) and its reminder pass.
Run:
    .venv/bin/python bench/b2b_day.py [--repeat 3] [--database-url URL]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

MAIN, DAY, DELEGATE = "central-asia-japan", "almaty-b2b-day", "delegate@example.org"


def measure(label: str, repeat: int, fn) -> object:
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    extra = f"  {result}" if isinstance(result, str) else ""
    print(f"{label:<58} {statistics.median(walls) * 1000:9.1f} ms wall {statistics.median(cpus) * 1000:9.1f} ms CPU{extra}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
    os.environ["FORUM_DATABASE_URL"] = url
    from flask_migrate import upgrade
    import sqlalchemy as sa

    from forum import create_app
    from forum.accounts.models import User
    from forum.db import db
    from forum.extensions import limiter

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "MAIL_FOLDER": tmp,
                      "WTF_CSRF_ENABLED": False})
    limiter.enabled = False
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        from forum import demo

        demo.load(echo=lambda _s: None)
        print(f"demo loaded in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})")

        from forum.agendas import subscription
        from forum.attendance import rules
        from forum.forums.models import Forum
        from forum.meetings.models import Meeting, MeetingState
        from forum.outcomes import reminders
        from forum.registration.models import Registration

        main_forum = db.session.scalar(sa.select(Forum).where(Forum.slug == MAIN))
        tanaka = db.session.scalar(sa.select(Registration).where(Registration.forum_id == main_forum.id,
                                                                 Registration.email == DELEGATE))
        n_meetings = db.session.scalar(sa.select(sa.func.count()).select_from(Meeting).where(
            Meeting.forum_id == main_forum.id, Meeting.state == MeetingState.SCHEDULED))
        busiest = db.session.scalar(sa.select(Meeting.slot_id).where(Meeting.forum_id == main_forum.id)
                                    .group_by(Meeting.slot_id).order_by(sa.func.count().desc()).limit(1))
        with app.test_request_context():
            feed = subscription.url_for_reg(tanaka).split("://", 1)[1].split("/", 1)[1]
        print(f"{MAIN}: {n_meetings} published meetings; the delegate has "
              f"{sum(1 for _ in db.session.scalars(sa.select(Meeting.id).where(Meeting.state == MeetingState.SCHEDULED, sa.or_(Meeting.a_id == tanaka.id, Meeting.b_id == tanaka.id))))}")

    def client_for(email: str):
        c = app.test_client()
        with app.app_context():
            user = db.session.scalar(sa.select(User).where(User.email == email))
            uid = user.get_id()
        with c.session_transaction() as s:
            s["_user_id"], s["_fresh"] = uid, True
        return c

    delegate, organizer = client_for(DELEGATE), client_for("organizer@example.org")

    def get(client, path: str, what: str = "size") -> str:
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code)
        body = r.get_data()
        if what == "pages":
            return f"{len(body) / 1024:.0f} KB, {body.count(b'/Type /Page') - body.count(b'/Type /Pages')} pages"
        return f"{len(body) / 1024:.0f} KB"

    r = args.repeat
    measure("delegate: agenda page", r, lambda: get(delegate, f"/forums/{MAIN}/b2b/agenda"))
    measure("delegate: agenda.ics", r, lambda: get(delegate, f"/forums/{MAIN}/b2b/agenda/agenda.ics"))
    measure("calendar app: subscription URL", r, lambda: get(app.test_client(), "/" + feed))
    measure("delegate: agenda.pdf", r, lambda: get(delegate, f"/forums/{MAIN}/b2b/agenda/agenda.pdf", "pages"))
    measure("organizer: agendas index", r, lambda: get(organizer, f"/manage/{MAIN}/b2b/agendas/"))
    measure("organizer: table 1 sign PDF", r, lambda: get(organizer, f"/manage/{MAIN}/b2b/agendas/tables/1.pdf",
                                                         "pages"))
    measure("organizer: help desk bundle PDF (whole forum)", 1,
            lambda: get(organizer, f"/manage/{MAIN}/b2b/agendas/bundle.pdf", "pages"))
    measure("organizer: live board of the busiest slot", r,
            lambda: get(organizer, f"/manage/{MAIN}/b2b/live/?slot={busiest}"))
    measure("organizer: live board now (almaty-b2b-day)", r, lambda: get(organizer, f"/manage/{DAY}/b2b/live/"))
    measure("organizer: results page (funnel)", r, lambda: get(organizer, f"/manage/{MAIN}/b2b/results/"))
    measure("organizer: results.csv", r, lambda: get(organizer, f"/manage/{MAIN}/b2b/results/results.csv"))
    measure("organizer: results.xlsx", r, lambda: get(organizer, f"/manage/{MAIN}/b2b/results/results.xlsx"))

    def worker_pass(fn):
        with app.app_context():
            n = fn()
            db.session.rollback()
            return f"{n} changed"

    measure("worker: no-show pass over every forum", r, lambda: worker_pass(lambda: rules.mark_no_shows()))
    measure("worker: reminder pass", r, lambda: worker_pass(lambda: reminders.send_due()))


if __name__ == "__main__":
    main()
