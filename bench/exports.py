"""Exports at scale: one forum with 20,000 delegates; the CSV and XLSX exports, the list page, a search, the
forum's overview (its counts) and the list's print view (every row of the filter, capped at 5,000).

Prints, for each request, the time (median of --repeat runs, through the app's test client,
the streamed body read to the end; wall and this process's CPU, which is steadier on a shared
machine) and the peak memory above the app's idle size: the process's peak RSS (each
measurement runs in a fresh process, warmed up first) and the Python heap's peak (tracemalloc,
in a separate run, since tracing slows everything down). Run:
    .venv/bin/python bench/exports.py [--delegates 20000] [--repeat 3] [--database-url URL]
Default database: a fresh SQLite file in a temp dir. With --database-url (e.g. a PostgreSQL
database of its own, made with createdb) the schema is upgraded and a new forum is added beside
whatever is there.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Realistic names in the forum's three scripts: (native, Latin) pairs.
JAPANESE_SURNAMES = [("佐藤", "SATO"), ("鈴木", "SUZUKI"), ("髙橋", "TAKAHASHI"), ("田中", "TANAKA"),
                     ("伊藤", "ITO"), ("渡辺", "WATANABE"), ("山本", "YAMAMOTO"), ("中村", "NAKAMURA")]
JAPANESE_GIVEN = [("太郎", "Taro"), ("花子", "Hanako"), ("一郎", "Ichiro"), ("美咲", "Misaki"),
                  ("健太", "Kenta"), ("由美", "Yumi"), ("翔", "Sho"), ("陽菜", "Hina")]
KAZAKH_SURNAMES = [("Қасымов", "KASSYMOV"), ("Нұрланұлы", "NURLANULY"), ("Әбенова", "ABENOVA"),
                   ("Жұмағұлов", "ZHUMAGULOV"), ("Сәрсенбаева", "SARSENBAYEVA"), ("Өмірзақов", "OMIRZAKOV"),
                   ("Үсенова", "USSENOVA"), ("Тоқтарұлы", "TOKTARULY"), ("Ғабитов", "GABITOV"),
                   ("Һашимова", "KHASHIMOVA")]
KAZAKH_GIVEN = [("Ерлан", "Yerlan"), ("Әлия", "Aliya"), ("Айгүл", "Aigul"), ("Нұрсұлтан", "Nursultan"),
                ("Дәурен", "Dauren"), ("Гүлнұр", "Gulnur"), ("Қайрат", "Kairat"), ("Іңкәр", "Inkar"),
                ("Жаңыл", "Zhanyl"), ("Өркен", "Orken")]
UZBEK_SURNAMES = [("Oʻrinboyev", "ORINBOYEV"), ("Gʻulomova", "GULOMOVA"), ("Toʻxtayev", "TOKHTAYEV"),
                  ("Qodirova", "KODIROVA"), ("Shoʻxratov", "SHOKHRATOV"), ("Yoʻldosheva", "YULDOSHEVA"),
                  ("Karimov", "KARIMOV")]
UZBEK_GIVEN = [("Gʻayrat", "Gayrat"), ("Oʻktam", "Uktam"), ("Dilnoza", "Dilnoza"), ("Shahzoda", "Shakhzoda"),
               ("Oʻlmas", "Ulmas"), ("Nodira", "Nodira"), ("Jasur", "Jasur")]

# (country, city, phone prefix, surnames, given names, company pattern)
SCRIPTS = [
    ("JP", "Tokyo", "+81 90", JAPANESE_SURNAMES, JAPANESE_GIVEN, "株式会社{}商事"),
    ("KZ", "Алматы", "+7 701", KAZAKH_SURNAMES, KAZAKH_GIVEN, "ТОО «{} Құрылыс»"),
    ("UZ", "Toshkent", "+998 90", UZBEK_SURNAMES, UZBEK_GIVEN, "«{} Savdo» MChJ"),
]
SECTORS = ["it", "energy", "agriculture", "logistics", "finance"]
SEARCH = "қасымов"  # a Kazakh surname, typed in lower case


def make_app(url: str):
    from forum import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "MAIL_FOLDER": tempfile.mkdtemp()})


def setup(url: str, n: int, per_company: int = 4) -> tuple[str, int, float]:
    """A forum with n delegates, inserted in bulk (two INSERT statements, not the form service)."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from forum import clock
    from forum.db import db
    from forum.organisations import keys
    from forum.organisations.models import Organisation
    from forum.search import search_key
    from forum.registration.models import Category, CompanyRegistration, RegState, Registration, Source
    from tests import factories as f

    app = make_app(url)
    with app.app_context():
        upgrade()
        t0 = time.perf_counter()
        tag = uuid.uuid4().hex[:8]
        forum = f.forum(slug=f"bench-{tag}", capacity=n)
        org = f.organizer(email=f"bench-org-{tag}@example.org")
        start = clock.now() - timedelta(days=30)
        companies, people = [], []
        for c in range(-(-n // per_company)):
            country, city, prefix, surnames, given, pattern = SCRIPTS[c % len(SCRIPTS)]
            boss = surnames[c % len(surnames)]
            legal, name_en = pattern.format(boss[0]), f"{boss[1].title()} Trading {c}"
            at = start + timedelta(seconds=c * 97)
            companies.append(dict(
                forum_id=forum.id, legal_name=legal, name_en=name_en, country=country, city=city,
                sector=SECTORS[c % len(SECTORS)], contact_name=f"{boss[0]} {given[c % len(given)][0]}",
                contact_email=f"contact{c}@example.{country.lower()}", privacy_accepted_at=at, source=Source.ONLINE,
                created_at=at, search_key=search_key(legal, name_en)))
            for k in range(min(per_company, n - c * per_company)):
                i = c * per_company + k
                sur, giv = surnames[(i * 7) % len(surnames)], given[(i * 3) % len(given)]
                full, latin = f"{sur[0]} {giv[0]}", f"{sur[1]} {giv[1]}"
                email = f"d{i}@example.{country.lower()}"
                people.append(dict(
                    forum_id=forum.id, company_idx=c, full_name=full, latin_name=latin, position="Director",
                    email=email, phone=f"{prefix} {i:07d}", languages=["en", country.lower()],
                    category=Category.DELEGATE, state=list(RegState)[i % 4], is_late=i % 10 == 0,
                    created_at=at, state_changed_at=at,
                    search_key=search_key(full, latin, email, legal, name_en)))
        # One organisation per country and legal name, as registration would have matched them.
        orgs: dict[tuple[str, str], dict] = {}
        for c in companies:
            key = (c["country"], keys.name_key(c["legal_name"]))
            orgs.setdefault(key, dict(legal_name=c["legal_name"], name_en=c["name_en"], country=c["country"],
                                      city=c["city"], sector=c["sector"], name_key=key[1],
                                      name_en_key=keys.name_key(c["name_en"]), search_key=c["search_key"]))
            c["org_key"] = key
        org_ids = dict(zip(orgs, db.session.scalars(
            sa.insert(Organisation).returning(Organisation.id, sort_by_parameter_order=True), list(orgs.values())
        ).all()))
        for c in companies:
            c["organisation_id"] = org_ids[c.pop("org_key")]
        ids = db.session.scalars(sa.insert(CompanyRegistration).returning(CompanyRegistration.id, sort_by_parameter_order=True),
                                 companies).all()
        for p in people:
            p["company_id"] = ids[p.pop("company_idx")]
        db.session.execute(sa.insert(Registration), people)
        slug, org_id = forum.slug, org.id
        db.session.commit()
        # Fresh statistics, as autovacuum would have by the time a real forum had grown this big:
        # right after a bulk load PostgreSQL plans the join for one company and takes seconds.
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        return slug, org_id, time.perf_counter() - t0


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status (Linux only)")


def _reset_peak_rss() -> None:
    """Start the high-water mark (VmHWM) again from now: process start-up does not count."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def _request(client, url: str) -> int:
    resp = client.get(url, buffered=False)
    assert resp.status_code == 200, (url, resp.status_code)
    size = sum(len(chunk) for chunk in resp.response)  # read the stream to the end, as a browser would
    resp.close()
    return size


def measure(db_url: str, org_id: int, url: str, warm_url: str, repeat: int, traced: bool, out: mp.Queue) -> None:
    """In a fresh process: warm up (imports, templates, the pool), note the idle size, then measure."""
    app = make_app(db_url)
    client = app.test_client()
    with client.session_transaction() as s:
        s["_user_id"] = f"{org_id}:0"  # "<id>:<session generation>"; a fresh organizer has generation 0
        s["_fresh"] = True
    _request(client, warm_url)
    _reset_peak_rss()
    idle = _status_mb("VmRSS")
    if traced:
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        size = _request(client, url)
        out.put((size, [], tracemalloc.get_traced_memory()[1] - base, 0.0))
        return
    times = []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        size = _request(client, url)
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    out.put((size, times, 0, _status_mb("VmHWM") - idle))


def run(ctx, *args) -> tuple:
    out: mp.Queue = ctx.Queue()
    p = ctx.Process(target=measure, args=(*args, out))
    p.start()
    result = out.get()
    p.join()
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--delegates", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--database-url")
    args = ap.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    slug, org_id, setup_s = setup(url, args.delegates)

    base = f"/manage/{slug}/registrations"
    nothing = "?q=no-such-delegate-anywhere"
    cases = [
        ("list page", base, base + nothing),
        (f"search {SEARCH!r}", f"{base}?q={SEARCH}", base + nothing),
        ("CSV export", f"{base}.csv", f"{base}.csv{nothing}"),
        ("XLSX export", f"{base}.xlsx", f"{base}.xlsx{nothing}"),
        ("overview", f"/manage/{slug}/", base + nothing),
        ("print view (5,000)", f"{base}?print=1", f"{base}?print=1&q=no-such-delegate-anywhere"),
    ]
    ctx = mp.get_context("spawn")
    print(f"database            {url.split('://')[0]}")
    print(f"delegates           {args.delegates} in one forum (inserted in {setup_s:.1f} s)")
    print(f"runs                median of {args.repeat}; CPU = this process (app + SQLite, not a PostgreSQL server);"
          " memory = peak above the warmed-up idle process")
    print("                    wall ms (min)    CPU ms   peak RSS  Python heap  body")
    for name, target, warm in cases:
        size, times, _z, rss = run(ctx, url, org_id, target, warm, args.repeat, False)
        _s, _t, heap, _r = run(ctx, url, org_id, target, warm, 1, True)
        wall, cpu = [t[0] for t in times], [t[1] for t in times]
        print(f"{name:<19} {statistics.median(wall) * 1000:6.0f} ({min(wall) * 1000:5.0f})"
              f"   {statistics.median(cpu) * 1000:6.0f}   +{rss:5.1f} MB   +{heap / 2**20:5.1f} MB   {size / 2**20:.2f} MB")


if __name__ == "__main__":
    main()
