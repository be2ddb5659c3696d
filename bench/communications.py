"""Reaching everyone at once (issue 13), on the demo's central-asia-japan forum (about 450 delegates in five
languages, ~600 published B2B meetings).

Loads the demo into a fresh SQLite file (or --database-url, a database of its own made with createdb), then prints
the median wall time (and this process's CPU time) over --repeat runs. Each mass action runs in the organizer's
one transaction, as the app does, and is rolled back afterwards so that every repeat starts from the same data:
- a message's reach ("this will reach N people: ... ja, ... ru ...") for every approved delegate;
- sending that message: one recipient row and one rendered e-mail per person, in their language;
- the cancellation's preview page, and the cancellation itself (every registration, meeting and badge, each
  person's e-mail with their calendar attached);
- the postponement by two weeks (the B2B grid moved, every meeting re-issued, one reply and one e-mail per
  delegate with their calendar);
- one worker draining the postponement's e-mails into the developer mail folder (.eml files), as `make run` does.
Run:
    .venv/bin/python bench/communications.py [--repeat 3] [--database-url URL]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

MAIN = "central-asia-japan"


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

    from forum import clock, create_app
    from forum.accounts.models import User
    from forum.db import db
    from forum.extensions import limiter

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "MAIL_FOLDER": tmp + "/mail",
                      "WTF_CSRF_ENABLED": False, "BASE_URL": "https://forum.example"})
    limiter.enabled = False
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        from forum import demo

        demo.load(echo=lambda _s: None)
        print(f"demo loaded in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})")

    from forum.announcements import services as messages
    from forum.announcements import targeting
    from forum.forums import cancellation
    from forum.forums.models import Forum
    from forum.notifications import worker
    from forum.notifications.models import MailStatus, OutboxMessage
    from forum.postponements import services as postponing
    from forum.registration.models import RegState

    def forum_and_organizer():
        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == MAIN))
        organizer = db.session.scalar(sa.select(User).where(User.email == "organizer@example.org"))
        return forum, organizer

    everyone = targeting.Filter(states=(RegState.APPROVED,))

    def in_request(fn):
        def run():
            with app.test_request_context():
                try:
                    return fn(*forum_and_organizer())
                finally:
                    db.session.rollback()
        return run

    def reach(forum, _organizer):
        return targeting.reach(forum.id, everyone).sentence()

    def send(forum, organizer):
        ann = messages.save_draft(forum, subjects={"en": "Shuttle times", "ja": "シャトルバスの時刻"},
                                  bodies={"en": "From 8:00 every 20 minutes.", "ja": "8時から20分ごと。"},
                                  flt=everyone, by=organizer)
        sent = messages.send(ann, confirmed=True, by=organizer)
        return f"{sent.total} e-mails queued"

    def cancel(forum, organizer):
        done = cancellation.cancel(forum, reasons={"en": "Force majeure.", "ru": "Форс-мажор."}, confirmed=True,
                                   by=organizer)
        return f"{done.registrations} registrations, {done.people} people told"

    def postpone(forum, organizer):
        p = postponing.postpone(forum, new_starts_at=forum.starts_at + timedelta(days=14),
                                new_ends_at=forum.ends_at + timedelta(days=14), reasons={"en": "The hall is flooded."},
                                answer_by=clock.now() + timedelta(days=7), confirmed=True, by=organizer)
        db.session.flush()
        mails = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.template == "postponed", OutboxMessage.forum_id == forum.id))
        with_calendar = sum(1 for a in db.session.scalars(sa.select(OutboxMessage.attachments).where(
            OutboxMessage.template == "postponed", OutboxMessage.forum_id == forum.id)) if a)  # JSON null is None
        replies = sum(postponing.counts(p).values())
        return f"{replies} replies, {mails} e-mails ({with_calendar} with a calendar)"

    def client_for(email: str):
        c = app.test_client()
        with app.app_context():
            uid = db.session.scalar(sa.select(User).where(User.email == email)).get_id()
        with c.session_transaction() as s:
            s["_user_id"], s["_fresh"] = uid, True
        return c

    organizer_client = client_for("organizer@example.org")

    def page(path: str) -> str:
        r = organizer_client.get(path)
        assert r.status_code == 200, (path, r.status_code)
        return f"{len(r.get_data()) / 1024:.0f} KB"

    r = args.repeat
    # Pages first, each request in its own context (as in production), before this script pushes one of its own.
    measure("organizer: message compose page with the count", r,
            lambda: page(f"/manage/{MAIN}/messages/new?state=approved"))
    measure("organizer: cancellation preview page", r, lambda: page(f"/manage/{MAIN}/cancel"))
    measure("organizer: who still comes (no postponement yet)", r, lambda: page(f"/manage/{MAIN}/postponement"))
    with app.app_context():
        measure("message: reach of every approved delegate", r, in_request(reach))
        measure("message: send to every approved delegate", r, in_request(send))
        measure("cancel the forum (everything, everyone told)", r, in_request(cancel))
        measure("postpone the forum by two weeks", r, in_request(postpone))

        # Delivery: postpone for real, then one worker writes every e-mail to the mail folder.
        with app.test_request_context():
            db.session.execute(sa.update(OutboxMessage).values(status=MailStatus.SENT))
            forum, organizer = forum_and_organizer()
            postponing.postpone(forum, new_starts_at=forum.starts_at + timedelta(days=14),
                                new_ends_at=forum.ends_at + timedelta(days=14), reasons={"en": "The hall is flooded."},
                                answer_by=clock.now() + timedelta(days=7), confirmed=True, by=organizer)
            db.session.commit()
        total = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status == MailStatus.QUEUED))

        def drain() -> str:
            sent = 0
            while True:
                ok, failed = worker.send_due(batch=50)
                sent += ok
                if ok + failed == 0:
                    return f"{sent} of {total} e-mails written"

        measure("worker: deliver the postponement's e-mails", 1, drain)


if __name__ == "__main__":
    main()
