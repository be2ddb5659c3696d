"""Everyone is told exactly once: every e-mail is queued in the postponing transaction, and two real worker
processes sending the outbox at once deliver each person's postponement e-mail once. Two organizers postponing
at the same moment make one postponement (PostgreSQL, real threads)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from forum.accounts.models import User
from forum.forums.models import Forum
from forum.notifications.models import MailStatus, OutboxMessage
from forum.postponements.models import Postponement, PostponementReply
from tests import factories as f
from tests.concurrency import postgres_only, race
from tests.postponements.helpers import do_postpone, new_dates, setup_forum

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 120  # seconds: a liveness bound for two processes sending a few mails, not a timing

WORKER = """
import json, os, sys
from forum import create_app
from forum.notifications.worker import send_due
app = create_app(json.loads(os.environ["POSTPONE_TEST_CONFIG"]))
with app.app_context():
    total = 0
    while True:
        sent, failed = send_due(batch=2)
        assert failed == 0, failed
        if sent == 0:
            break
        total += sent
print(total)
"""


def test_two_worker_processes_deliver_each_persons_postponement_mail_once(app, app_config, db, smtp):
    forum, org, c1, c2 = setup_forum(db)
    # more people, so that both workers have something to claim
    for i in range(4):
        f.company(forum, 2, language=["kk", "uz", "ja", "ru"][i])
    db.session.execute(sa.delete(OutboxMessage))  # the registrations' own mails: only the postponement's remain
    do_postpone(forum, org, reasons={"ru": "Ремонт.", "en": "Repairs."})
    db.session.commit()
    queued = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == "postponed")).all()
    addresses = sorted(m.to_addr for m in queued)
    assert len(addresses) == len(set(addresses)) == 6 + 4 * 3  # queued once each, in the postponing transaction
    db.session.commit()  # end the read: on SQLite the workers would wait for it

    smtp.delay = 0.01  # a slow server widens any race between the two workers
    config = {k: v for k, v in app_config.items()}
    config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env.update(POSTPONE_TEST_CONFIG=json.dumps(config), PYTHONPATH=str(ROOT))
    procs = [subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=LIMIT)
        assert p.returncode == 0, err[-3000:]
        outs.append(int(out.strip().splitlines()[-1]))
    assert sum(outs) == len(addresses)
    assert {m.template for m in db.session.scalars(sa.select(OutboxMessage))} == {"postponed"}
    received = Counter(rcpt for rcpts, _msg in smtp.received for rcpt in rcpts)
    assert received == Counter({a: 1 for a in addresses})
    db.session.expire_all()
    assert {m.status for m in db.session.scalars(sa.select(OutboxMessage))} == {MailStatus.SENT}


def test_two_organizers_postponing_at_once_make_one_postponement(app, db):
    postgres_only(db)
    forum, org, *_rest = setup_forum(db)
    forum_id, org_id = forum.id, org.id
    starts, ends = new_dates(forum)
    db.session.commit()

    def work(_i):
        fo, by = db.session.get(Forum, forum_id), db.session.get(User, org_id)
        do_postpone(fo, by, new_starts_at=starts, new_ends_at=ends)

    errors, codes = race(app, 2, work)
    assert errors == [] and codes == ["dates_unchanged"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Postponement)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PostponementReply)) == 5
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 6
