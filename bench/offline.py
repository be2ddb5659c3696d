"""Offline scanning and contacts at scale (issue 11): one forum with --delegates approved delegates (default 450,
the Astana forum's size) in Japanese, Kazakh Cyrillic and Uzbek Latin, each with a badge.

Prints, through the app's test client with a device token (the median wall time and this process's CPU time
over --repeat runs):
- GET scanner-data: what a phone downloads every minute, its size raw and gzipped (what nginx sends);
- POST checkins/batch with 500 queued offline scans (a phone that was offline for a long while), then the same
  batch again (every scan replayed: what a retry after a lost answer costs), then a second phone's 500 scans
  of the same badges (every one a duplicate_offline conflict);
- the check-in dashboard with those 500 conflicts listed (first page);
- one delegate's "My contacts" with 200 contacts: the page, a search in Kazakh typed without Kazakh letters,
  and the vCard 4.0 and CSV exports.
Run:
    .venv/bin/python bench/offline.py [--delegates 450] [--repeat 3] [--database-url URL]
Default database: a fresh SQLite file in a temp dir; with --database-url (a database of its own, made with
createdb) the schema is upgraded and a new forum is added beside whatever is there.
"""
from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

NAMES = [("山田 太郎{}", "YAMADA Taro{}", "JP", "株式会社さくら商事{}", "Sakura Trading {}"),
         ("Әлия Нұрланқызы{}", "Aliya NURLANKYZY{}", "KZ", "«Қазақстан Темір Жолы» {} АҚ", "KTZ {} JSC"),
         ("Oʻktam Gʻulomov{}", "Uktam GULOMOV{}", "UZ", "Oʻzbekiston {} Qoʻshma korxonasi", "Uzbek JV {}")]
SEARCH = "казакстан"  # Қазақстан typed on a Russian keyboard


def make_app(url: str):
    from forum import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "MAIL_FOLDER": tempfile.mkdtemp()})


def seed(n: int):
    from forum.api import tokens
    from forum.badges import issuing
    from forum.contacts import services as contacts
    from forum.teams.models import Permission

    from tests import factories as f

    forum = f.forum(slug=f"bench-offline-{uuid.uuid4().hex[:6]}", capacity=n + 10)
    staff = f.member(forum, Permission.CHECKIN, name="Bench Staff")
    regs = []
    for i in range(n):
        full, latin, country, company, company_en = NAMES[i % 3]
        regs.append(f.approved(forum, full_name=full.format(i), latin_name=latin.format(i), country=country,
                               legal_name=company.format(i), name_en=company_en.format(i), directory_consent=True,
                               email=f"bench{i}-{uuid.uuid4().hex[:6]}@example.org"))
    issuing.ensure_badges(forum)
    badges = {b.registration_id: b for b in issuing.live_badges(forum)}
    owner = regs[0]
    for reg in regs[1:201]:
        contacts.save(owner, badges[reg.id], f"Met at stand {reg.id}; follow up")
    secret = tokens.create(staff, label="Bench phone A", forum=forum, by=None).secret
    second = tokens.create(staff, label="Bench phone B", forum=forum, by=None).secret
    return forum, staff, owner, [badges[r.id].token for r in regs], secret, second


def timed(call, repeat: int):
    walls, cpus, last = [], [], None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        last = call()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), last


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--delegates", type=int, default=450)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    app = make_app(url)
    with app.app_context():
        from flask_migrate import upgrade

        from forum import clock
        from forum.db import db

        upgrade(directory=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations"))
        t = time.perf_counter()
        forum, staff, owner, badge_tokens, secret, second = seed(args.delegates)
        db.session.commit()
        slug, staff_id, owner_id = forum.slug, staff.get_id(), owner.user.get_id()
        at = (clock.now() - timedelta(minutes=30)).isoformat()
        db.session.remove()
    print(f"database: {url.split('://')[0]}; seeded {args.delegates} delegates with badges, contacts "
          f"in {time.perf_counter() - t:.1f} s")
    saved = min(200, args.delegates - 1)
    # The requests run outside the seeding's app context: each pushes its own (its own signed-in user).
    client = app.test_client()
    auth = {"Authorization": f"Bearer {secret}"}
    api = f"/api/v1/forums/{slug}"

    def batch(device: str, n: int):
        return [{"code": badge_tokens[i % len(badge_tokens)], "nonce": f"{device}-{i}", "scanned_at": at,
                 "direction": "in"} for i in range(n)]

    print(f"{'request':<52} {'wall s':>8} {'cpu s':>8} {'bytes':>10}")

    def row(label, wall, cpu, size):
        print(f"{label:<52} {wall:>8.3f} {cpu:>8.3f} {size:>10,}")

    wall, cpu, r = timed(lambda: client.get(f"{api}/scanner-data", headers=auth), args.repeat)
    assert r.status_code == 200
    row(f"scanner-data, {args.delegates} badges", wall, cpu, len(r.data))
    print(f"{'  gzipped (level 6)':<52} {'':>8} {'':>8} {len(gzip.compress(r.data, 6)):>10,}")
    # Each batch only once (a batch's second run would be the replay): fresh nonces per repeat.
    first = batch("phone-a", 500)
    w, c = time.perf_counter(), time.process_time()
    r = client.post(f"{api}/checkins/batch", json=first, headers=auth)
    assert r.status_code == 200 and r.get_json()["recorded"] == 500, r.get_data(as_text=True)[:300]
    row("batch upload, 500 offline scans (first time)", time.perf_counter() - w, time.process_time() - c,
        len(r.data))
    wall, cpu, r = timed(lambda: client.post(f"{api}/checkins/batch", json=first, headers=auth), args.repeat)
    assert all(x["replayed"] for x in r.get_json()["results"])
    row("the same batch again (all 500 replayed)", wall, cpu, len(r.data))
    w, c = time.perf_counter(), time.process_time()
    r = client.post(f"{api}/checkins/batch", json=batch("phone-b", 500),
                    headers={"Authorization": f"Bearer {second}"})
    answer = r.get_json()
    row(f"second phone, 500 scans ({sum(bool(x['conflicts']) for x in answer['results'])} conflicts)",
        time.perf_counter() - w, time.process_time() - c, len(r.data))

    with client.session_transaction() as s:
        s["_user_id"], s["_fresh"] = staff_id, True
    wall, cpu, r = timed(lambda: client.get(f"/manage/{slug}/checkin"), args.repeat)
    assert r.status_code == 200
    row("check-in dashboard with the conflicts (first page)", wall, cpu, len(r.data))
    with client.session_transaction() as s:
        s["_user_id"], s["_fresh"] = owner_id, True
    for label, path in ((f"My contacts, {saved} saved (first page)", f"/forums/{slug}/contacts"),
                        (f"My contacts search '{SEARCH}'", f"/forums/{slug}/contacts?q={SEARCH}"),
                        (f"vCard 4.0 export, {saved} contacts", f"/forums/{slug}/contacts/export.vcf?version=4"),
                        (f"CSV export, {saved} contacts", f"/forums/{slug}/contacts/export.csv")):
        wall, cpu, r = timed(lambda: client.get(path), args.repeat)
        assert r.status_code == 200, (path, r.status_code)
        row(label, wall, cpu, len(r.data))


if __name__ == "__main__":
    main()
