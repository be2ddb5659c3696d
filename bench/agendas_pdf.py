"""The help desk's agenda bundle at scale (issue 12): a synthetic forum in a temporary SQLite database with N
delegates (default 450) in 8 meetings each (round-robin pairings: N/2 tables, one meeting in four interpreted,
30 interpreters), names in every script of the demo (one in ten long), then forum.agendas.pdf.bundle written
to a file as the view does.

Each measurement runs in a fresh process: wall time, CPU time, the peak resident memory of that process
(ru_maxrss: the app, the font, the rows and the PDF being built) and, in a second run under tracemalloc, the
peak of the Python heap; and the file's size and pages. Run with two sizes to see how memory grows with the
forum: reportlab keeps each finished page's compressed operators until the file is written (a few kilobytes
a page), the agendas are loaded 100 delegates at a time.
Run:
    .venv/bin/python bench/agendas_pdf.py [--delegates 450] [--also 150]
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

MEETINGS_EACH = 8
INTERPRETERS = 30
LONG = [("Дінмұхамед Құдайбергенов-Иманғалиев", "Dinmukhamed Kudaibergenov-Imangaliyev"),
        ("Oʻgʻiloy Qoʻchqorova-Yoʻldosheva", "Oʻgʻiloy Qoʻchqorova-Yoʻldosheva"),
        ("長谷川 真理子左衛門", "HASEGAWA Marikozaemon")]
CONFIG = {"SECRET_KEY": "bench", "BASE_URL": "https://forum.example.org"}


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rounds(n: int, k: int) -> list[list[tuple[int, int]]]:
    """k rounds of the circle method: each a perfect matching of n (even) people, no pair twice."""
    people = list(range(n))
    out = []
    for _ in range(k):
        out.append([(people[i], people[n - 1 - i]) for i in range(n // 2)])
        people = [people[0], people[-1], *people[1:-1]]
    return out


def setup_db(url: str, n: int) -> str:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from forum import clock, create_app
    from forum.db import db
    from forum.demo import names
    from forum.meetings.models import (Interpreter, Meeting, MeetingRequest, MeetingState, MeetingTable,
                                       RequestState)
    from forum.organisations.models import Organisation
    from forum.registration.choices import FORUM_COUNTRIES
    from forum.registration.models import Category, CompanyRegistration, RegState, Registration
    from forum.search import search_key
    from tests import factories as f

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MAIL_FOLDER": tempfile.mkdtemp(), **CONFIG})
    rng = random.Random(12)
    with app.app_context():
        upgrade()
        forum = f.forum(slug=f"bench-{uuid.uuid4().hex[:8]}", capacity=n)
        now = clock.now()
        companies, people = [], []
        for i in range(n):
            country = FORUM_COUNTRIES[i % len(FORUM_COUNTRIES)]
            p = names.person(country, rng)
            full, latin = LONG[i // 10 % len(LONG)] if i % 10 == 0 else (p.full_name, p.latin_name)
            c = names.company_name(country, rng.choice(list(names.SECTOR_WORDS[country])), rng)
            companies.append(dict(forum_id=forum.id, legal_name=c.legal_name, name_en=c.name_en, country=country,
                                  city="Astana", sector="it", contact_name="Contact", contact_email=f"c{i}@example.org",
                                  privacy_accepted_at=now, created_at=now))
            people.append(dict(forum_id=forum.id, full_name=full, latin_name=latin, position="Director",
                               email=f"d{i}@example.org", languages=["en"], category=Category.DELEGATE,
                               state=RegState.APPROVED, created_at=now, state_changed_at=now,
                               search_key=search_key(full, latin)))
        org_ids = db.session.scalars(sa.insert(Organisation).returning(Organisation.id, sort_by_parameter_order=True), [
            dict(legal_name=c["legal_name"], name_en=c["name_en"], country=c["country"], city="Astana", sector="it",
                 name_key=f"k{i}", name_en_key=f"e{i}", search_key="") for i, c in enumerate(companies)]).all()
        for c, org_id in zip(companies, org_ids):
            c["organisation_id"] = org_id
        company_ids = db.session.scalars(sa.insert(CompanyRegistration).returning(
            CompanyRegistration.id, sort_by_parameter_order=True), companies).all()
        for p, company_id in zip(people, company_ids):
            p["company_id"] = company_id
        reg_ids = db.session.scalars(sa.insert(Registration).returning(Registration.id, sort_by_parameter_order=True),
                                     people).all()
        session = f.session(forum, "2027-05-20 09:00", "2027-05-20 12:00", slot_minutes=20)
        table_ids = db.session.scalars(sa.insert(MeetingTable).returning(MeetingTable.id, sort_by_parameter_order=True),
                                       [dict(forum_id=forum.id, number=t + 1, label=f"Hall {'ABC'[t % 3]}")
                                        for t in range(n // 2)]).all()
        interpreter_ids = db.session.scalars(sa.insert(Interpreter).returning(Interpreter.id,
                                                                              sort_by_parameter_order=True),
                                             [dict(forum_id=forum.id, name=f"Переводчик {i}", languages=["ja", "ru"])
                                              for i in range(INTERPRETERS)]).all()
        pairs = [(slot, t, a, b) for slot, matching in zip(session.slots, rounds(n, MEETINGS_EACH))
                 for t, (a, b) in enumerate(matching)]
        request_ids = db.session.scalars(sa.insert(MeetingRequest).returning(MeetingRequest.id,
                                                                             sort_by_parameter_order=True), [
            dict(forum_id=forum.id, requester_id=reg_ids[a], recipient_id=reg_ids[b],
                 target_company_id=company_ids[b], state=RequestState.ACCEPTED) for _s, _t, a, b in pairs]).all()
        db.session.execute(sa.insert(Meeting), [
            dict(forum_id=forum.id, request_id=rid, a_id=reg_ids[a], b_id=reg_ids[b], slot_id=slot.id,
                 table_id=table_ids[t], state=MeetingState.SCHEDULED,
                 interpreter_id=interpreter_ids[(t // 4) % INTERPRETERS] if t % 4 == 0 and t // 4 < INTERPRETERS
                 else None)
            for (slot, t, a, b), rid in zip(pairs, request_ids)])
        db.session.commit()
        return forum.slug


def bundle_job(url: str, slug: str, trace: bool, queue) -> None:
    import sqlalchemy as sa
    from flask_babel import force_locale

    from forum import create_app
    from forum.agendas import pdf
    from forum.badges import render
    from forum.db import db
    from forum.forums.models import Forum

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, **CONFIG})
    render.font()
    path = os.path.join(tempfile.mkdtemp(), "bundle.pdf")
    with app.test_request_context("/"), force_locale("en"):
        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
        base = _maxrss_mb()
        if trace:
            tracemalloc.start()
        t0, c0 = time.perf_counter(), time.process_time()
        with open(path, "wb") as out:
            pages = pdf.bundle(forum, out)
        result = {"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "rss": _maxrss_mb(),
                  "base": base, "pages": pages, "bytes": os.path.getsize(path)}
        if trace:
            result["heap"] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
    queue.put(result)


def run(url: str, slug: str) -> dict:
    ctx = mp.get_context("spawn")
    out: dict = {}
    for trace in (False, True):
        q = ctx.Queue()
        p = ctx.Process(target=bundle_job, args=(url, slug, trace, q))
        p.start()
        result = q.get()
        p.join()
        if trace:
            out["heap"] = result["heap"]
        else:
            out.update(result)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--delegates", type=int, default=450)
    ap.add_argument("--also", type=int, nargs="*", default=[], help="other forum sizes to compare")
    a = ap.parse_args()
    print(f"{MEETINGS_EACH} meetings per delegate; {os.cpu_count()} CPUs")
    for n in [*a.also, a.delegates]:
        n -= n % 2
        url = f"sqlite:///{os.path.join(tempfile.mkdtemp(), 'bench.sqlite')}"
        t0 = time.perf_counter()
        slug = setup_db(url, n)
        setup = time.perf_counter() - t0
        r = run(url, slug)
        print(f"{n} delegates, {n * MEETINGS_EACH // 2} meetings, {n // 2} tables (set up in {setup:.1f} s): "
              f"bundle {r['pages']} pages, {r['bytes'] / 2**20:.1f} MB in {r['wall']:.2f} s wall "
              f"{r['cpu']:.2f} s CPU ({r['wall'] / r['pages'] * 1000:.1f} ms/page); peak RSS {r['rss']:.0f} MB "
              f"(before {r['base']:.0f} MB); Python heap peak {r['heap']:.1f} MB")


if __name__ == "__main__":
    main()
