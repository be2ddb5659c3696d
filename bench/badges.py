"""Badge PDFs at scale: 5,000 badges, long and mixed-script names, through the same renderer as the app.

1. The renderer alone (forum/badges/render.py): 5,000 BadgeContent made one by one by a generator and drawn
   into a file, as A4 sheets (four per page, cut marks) and as A6 pages.
2. The badge desk's service on a SQLite database (forum/badges/printing.py): a forum with 5,000 approved
   delegates (bulk-inserted), their badges issued (ensure_badges: 5,000 Ed25519 signatures), then one
   print_batch: the query, the contents, the PDF and marking all 5,000 printed, as the desk's download does.
   Also the desk's list page (its counts need every row).

Each measurement runs in a fresh process and prints the wall time, this process's CPU time, the peak
resident memory of that process (ru_maxrss: the app, the font, the database rows and the PDF being built)
and, in a second run under tracemalloc, the peak of the Python heap. Goal: under 20 s and 300 MB.
Run:
    .venv/bin/python bench/badges.py [--badges 5000] [--skip-db]
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

LONG = [  # (native, Latin): the names that wrap and shrink
    ("Дінмұхамед Құдайбергенов-Иманғалиев", "Dinmukhamed Kudaibergenov-Imangaliyev"),
    ("Шаһизада Нұрпейісова-Сәрсенбаева", "Shakhizada Nurpeissova-Sarsenbayeva"),
    ("Oʻgʻiloy Qoʻchqorova-Yoʻldosheva", "Oʻgʻiloy Qoʻchqorova-Yoʻldosheva"),
    ("長谷川 真理子左衛門", "HASEGAWA Marikozaemon"),
    ("Meretgeldi Nurmuhammedow-Şyhmyradow", "Meretgeldi Nurmuhammedow-Şyhmyradow"),
    ("Кубанычбек Абдыкадыров Төрөбекович", "Kubanychbek Abdykadyrov Torobekovich"),
]
MIXED = [("Әлия YAMADA", "Aliya YAMADA"), ("山田 Gʻayrat", "YAMADA Gʻayrat"), ("张伟", "Zhang Wei")]
LABELS = {"delegate": "Delegate", "speaker": "Speaker", "press": "Press", "vip": "VIP"}


def contents(n: int):
    """n badge contents, made one at a time: demo names in six countries, one in ten long, one in fifty mixed."""
    from forum.badges import render, tokens
    from forum.demo import names
    from forum.registration.choices import FORUM_COUNTRIES

    rng = random.Random(8)
    pair = tokens.new_key_pair()
    country_names = {"KZ": "Kazakhstan", "UZ": "Uzbekistan", "KG": "Kyrgyzstan", "TJ": "Tajikistan",
                     "TM": "Turkmenistan", "JP": "Japan"}
    for i in range(n):
        country = FORUM_COUNTRIES[i % len(FORUM_COUNTRIES)]
        p = names.person(country, rng)
        full, latin = p.full_name, p.latin_name
        if i % 10 == 0:
            full, latin = LONG[i // 10 % len(LONG)]
        elif i % 50 == 1:
            full, latin = MIXED[i // 50 % len(MIXED)]
        sector = rng.choice(list(names.SECTOR_WORDS[country]))
        company = names.company_name(country, sector, rng)
        category = rng.choice(["delegate"] * 8 + ["speaker", "press", "vip"])
        yield render.BadgeContent(
            forum_title="Central Asia + Japan Business Forum 2026", dates="7–9 December 2026 · Astana",
            full_name=full, latin_name=latin, position=names.position(country, rng), company=company.legal_name,
            company_latin=company.name_en, country=country_names[country], category=category,
            category_label=LABELS[category],
            qr_url=f"https://forum.example.org/b/{tokens.sign(pair, tokens.new_badge_id())}")


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(work, trace: bool) -> dict:
    if trace:
        tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    info = work()
    result = {"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "rss": _maxrss_mb(), **info}
    if trace:
        result["heap"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return result


def render_job(n: int, layout: str, trace: bool, queue) -> None:
    from forum.badges import render

    render.font()  # the font is loaded once per process, like the app's first download
    path = os.path.join(tempfile.mkdtemp(), f"badges-{layout}.pdf")

    def work():
        with open(path, "wb") as out:
            count = render.render(contents(n), out, layout=layout)
        return {"badges": count, "bytes": os.path.getsize(path)}

    queue.put({"base": _maxrss_mb(), **_measure(work, trace)})


def setup_db(url: str, n: int) -> str:
    """A forum with n approved delegates (bulk inserts, not the form service) and their badges."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from forum import clock, create_app
    from forum.db import db
    from forum.organisations.models import Organisation
    from forum.registration.models import Category, CompanyRegistration, RegState, Registration
    from forum.search import search_key
    from tests import factories as f

    gen = contents(n)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "MAIL_FOLDER": tempfile.mkdtemp(),
                      "BASE_URL": "https://forum.example.org"})
    with app.app_context():
        upgrade()
        forum = f.forum(slug=f"bench-{uuid.uuid4().hex[:8]}", capacity=n)
        now = clock.now()
        codes = {v: k for k, v in {"KZ": "Kazakhstan", "UZ": "Uzbekistan", "KG": "Kyrgyzstan", "TJ": "Tajikistan",
                                   "TM": "Turkmenistan", "JP": "Japan"}.items()}
        companies, people = [], []
        for i, c in enumerate(gen):
            companies.append(dict(forum_id=forum.id, legal_name=c.company, name_en=c.company_latin,
                                  country=codes[c.country], city="Astana", sector="it", contact_name="Contact",
                                  contact_email=f"c{i}@example.org", privacy_accepted_at=now, created_at=now))
            people.append(dict(forum_id=forum.id, full_name=c.full_name, latin_name=c.latin_name,
                               position=c.position, email=f"d{i}@example.org", languages=["en"],
                               category=Category(c.category), state=RegState.APPROVED, created_at=now,
                               state_changed_at=now, search_key=search_key(c.full_name, c.latin_name)))
        org_ids = db.session.scalars(sa.insert(Organisation).returning(Organisation.id, sort_by_parameter_order=True), [
            dict(legal_name=c["legal_name"], name_en=c["name_en"], country=c["country"], city="Astana", sector="it",
                 name_key=f"k{i}", name_en_key=f"e{i}", search_key="") for i, c in enumerate(companies)]).all()
        for c, org_id in zip(companies, org_ids):
            c["organisation_id"] = org_id
        ids = db.session.scalars(sa.insert(CompanyRegistration).returning(CompanyRegistration.id,
                                                                          sort_by_parameter_order=True),
                                 companies).all()
        for p, company_id in zip(people, ids):
            p["company_id"] = company_id
        db.session.execute(sa.insert(Registration), people)
        db.session.commit()
        return forum.slug


def issue_job(url: str, slug: str, trace: bool, queue) -> None:
    import sqlalchemy as sa

    from forum import create_app
    from forum.badges import issuing
    from forum.db import db
    from forum.forums.models import Forum

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "BASE_URL": "https://forum.example.org"})
    with app.app_context():
        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))

        def work():
            n = issuing.ensure_badges(forum)
            # The plain run (first) rolls back, so that the traced run issues the same 5,000; that one keeps
            # them for the batches below (which would otherwise issue them, and measure that too).
            db.session.commit() if trace else db.session.rollback()
            return {"badges": n}

        queue.put({"base": _maxrss_mb(), **_measure(work, trace)})


def batch_job(url: str, slug: str, layout: str, trace: bool, queue) -> None:
    import sqlalchemy as sa
    from flask_babel import force_locale

    from forum import create_app
    from forum.badges import printing, render
    from forum.db import db
    from forum.forums.models import Forum

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "BASE_URL": "https://forum.example.org"})
    render.font()
    path = os.path.join(tempfile.mkdtemp(), "batch.pdf")
    with app.test_request_context("/"), force_locale("en"):
        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))

        def work():
            with open(path, "wb") as out:
                n = printing.print_batch(forum, printing.Filters(), out, by=None, layout=layout, mark=True)
            db.session.rollback()  # leave the badges unprinted for the next run
            return {"badges": n, "bytes": os.path.getsize(path)}

        queue.put({"base": _maxrss_mb(), **_measure(work, trace)})


def desk_job(url: str, slug: str, trace: bool, queue) -> None:
    from forum import create_app
    from forum.accounts import services
    from forum.db import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "BASE_URL": "https://forum.example.org"})
    with app.app_context():
        org = services.create_user(f"desk-{uuid.uuid4().hex[:6]}@example.org", "Desk", "correct horse battery",
                                   "en", is_admin=True)
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as s:
            s["_user_id"] = org.get_id()
            s["_fresh"] = True
        client.get(f"/manage/{slug}/badges/")  # warm up the templates

        def work():
            r = client.get(f"/manage/{slug}/badges/?page=3")
            assert r.status_code == 200, r.status_code
            return {"bytes": len(r.get_data())}

        queue.put({"base": _maxrss_mb(), **_measure(work, trace)})


def run(target, *args) -> dict:
    """Once plainly (time, RSS) and once under tracemalloc (heap), each in a fresh process."""
    ctx = mp.get_context("spawn")
    out = {}
    for trace in (False, True):
        q = ctx.Queue()
        p = ctx.Process(target=target, args=(*args, trace, q))
        p.start()
        result = q.get()
        p.join()
        if trace:
            out["heap"] = result["heap"]
        else:
            out.update(result)
    return out


def line(label: str, r: dict) -> str:
    size = f", {r['bytes'] / 2**20:.1f} MB file" if "bytes" in r and r["bytes"] > 2**20 else ""
    per = f", {r['wall'] / r['badges'] * 1000:.2f} ms/badge" if r.get("badges") else ""
    return (f"{label:<44} {r['wall']:6.2f} s wall {r['cpu']:6.2f} s CPU{per}; peak RSS {r['rss']:5.0f} MB "
            f"(idle {r['base']:3.0f} MB); Python heap peak {r['heap']:5.1f} MB{size}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--badges", type=int, default=5000)
    ap.add_argument("--skip-db", action="store_true", help="only the renderer")
    a = ap.parse_args()
    n = a.badges
    print(f"{n} badges (one in ten a long name, one in fifty mixed scripts); {os.cpu_count()} CPUs")
    print(line(f"renderer, A4 sheets (4 per page)", run(render_job, n, "a4")))
    print(line(f"renderer, A6 pages", run(render_job, n, "a6")))
    if a.skip_db:
        return
    url = f"sqlite:///{os.path.join(tempfile.mkdtemp(), 'bench.sqlite')}"
    t0 = time.perf_counter()
    slug = setup_db(url, n)
    print(f"SQLite: {n} approved delegates inserted in {time.perf_counter() - t0:.1f} s")
    print(line("ensure_badges (issue and sign all)", run(issue_job, url, slug)))
    print(line("print_batch A4 (query, PDF, mark printed)", run(batch_job, url, slug, "a4")))
    print(line("print_batch A6", run(batch_job, url, slug, "a6")))
    print(line("the desk's list page (page 3 of all)", run(desk_job, url, slug)))


if __name__ == "__main__":
    main()
