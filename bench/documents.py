"""The documents register at scale: one forum with --documents documents (default 2,000: several years of a
large forum series), three parties each in Japanese, Kazakh Cyrillic and Uzbek Latin, titles in three languages;
100 of them on the ceremony's run-sheet.

Prints, for each request through the app's test client (the streamed body read to the end), the median wall
time and this process's CPU time over --repeat runs, the answer's size, and for the PDFs their page count:
the register's list page (first page, and a search in Kazakh typed without Kazakh letters), the CSV and XLSX
exports of every document, the public page, the API's full view (200 per page), the ceremony's run-sheet PDF
and the outcome report PDF. Run:
    .venv/bin/python bench/documents.py [--documents 2000] [--repeat 3] [--database-url URL]
Default database: a fresh SQLite file in a temp dir; with --database-url (a database of its own, made with
createdb) the schema is upgraded and a new forum is added beside whatever is there.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PARTIES = [
    ("株式会社{}商事", "JP", "private_company", "佐藤 {}", "代表取締役"),
    ("ТОО «{} Құрылыс»", "KZ", "private_company", "Қасымов {}", "Директор"),
    ("«{} Savdo» MChJ", "UZ", "private_company", "Gʻayrat Oʻrinboyev {}", "Direktor"),
    ("Қазақстан Республикасы Энергетика министрлігі {}", "KZ", "government", "Әлихан Сәрсенов {}", "Вице-министр"),
]
KINDS = ["mou", "agreement", "contract", "letter_of_intent", "joint_statement"]
SECTORS = ["energy", "mining", "agriculture", "it", "transport", "environment"]
SEARCH = "касымов"  # Қасымов typed on a Russian keyboard


def make_app(url: str):
    from forum import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "MAIL_FOLDER": tempfile.mkdtemp(),
                       "DOCUMENTS_DIR": tempfile.mkdtemp()})


def seed(n: int):
    from forum import clock
    from forum.db import db
    from forum.documents import numbering, records
    from forum.documents.models import (Capacity, Ceremony, Confidentiality, DocKind, Document, DocumentParty,
                                        DocumentTitle, PartyKind)

    from tests import factories as f

    rng = random.Random(10)
    admin = f.organizer(email=f"bench-{uuid.uuid4().hex[:8]}@example.org")
    forum = f.forum(slug=f"bench-docs-{uuid.uuid4().hex[:6]}")
    start = forum.starts_at
    numbering.ensure_register(forum).languages = ["ru", "ja", "en"]
    for i in range(n):
        kind = rng.choice(KINDS)
        doc = Document(kind=DocKind(kind), authoritative_language="ru", signed_on=forum.local(start).date(),
                       place="Astana", ceremony=Ceremony.MAIN_STAGE, sectors=rng.sample(SECTORS, 2),
                       value_minor=rng.randrange(10**6, 10**10) * 100, currency="USD",
                       confidentiality=rng.choice(list(Confidentiality)), counts_in_tally=True,
                       exchanged_at=clock.now(), ceremony_position=i + 1 if i < 100 else None)
        doc.titles = [DocumentTitle(language="ru", title=f"Меморандум о сотрудничестве № {i} в области энергетики"),
                      DocumentTitle(language="ja", title=f"エネルギー分野における協力覚書 第{i}号"),
                      DocumentTitle(language="en", title=f"Memorandum of cooperation No. {i} in energy")]
        for pos, (org, country, pkind, name, position) in enumerate(rng.sample(PARTIES, 3), start=1):
            proxy = pos == 2 and i % 5 == 0
            doc.parties.append(DocumentParty(
                position=pos, organisation=org.format(i), country=country, kind=PartyKind(pkind),
                signatory_name=name.format(i), signatory_position=position,
                capacity=Capacity.ON_BEHALF if proxy else Capacity.OWN,
                principal_name="Oʻlmas Gʻulomov" if proxy else "", principal_position="Bosh direktor" if proxy else "",
                poa_reference="POA-1" if proxy else "", side="left" if pos % 2 else "right"))
        numbering.assign(doc, forum)
        records.reindex(doc)
        if i % 500 == 499:
            db.session.flush()
    db.session.commit()
    return forum.slug, admin


def measure(client, url: str, repeat: int, headers=None) -> tuple[float, float, int, bytes]:
    walls, cpus, body = [], [], b""
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        r = client.get(url, headers=headers or {})
        body = b"".join(r.response)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
        assert r.status_code == 200, (url, r.status_code)
    return statistics.median(walls), statistics.median(cpus), len(body), body


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--documents", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--database-url")
    args = ap.parse_args()
    url = args.database_url or "sqlite:///" + os.path.join(tempfile.mkdtemp(), "bench.sqlite")
    app = make_app(url)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations"))
        t = time.perf_counter()
        slug, admin = seed(args.documents)
        print(f"{args.documents} documents (3 parties each, 100 on the run-sheet) seeded in "
              f"{time.perf_counter() - t:.1f} s on {url.split(':')[0]}")
        from forum.api import tokens
        from forum.db import db

        token = tokens.create(admin, label="bench", forum=_forum(slug), by=None).secret

        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as s:
            s["_user_id"] = admin.get_id()
            s["_fresh"] = True
        base = f"/manage/{slug}/documents"
        rows = [
            ("register list, first page", f"{base}/", None),
            (f"register search '{SEARCH}'", f"{base}/?q={SEARCH}", None),
            ("CSV export, every document", f"{base}/export.csv?withdrawn=include", None),
            ("XLSX export, every document", f"{base}/export.xlsx?withdrawn=include", None),
            ("public page, first page", f"/forums/{slug}/documents/", None),
            ("API full view, 200 per page", f"/api/v1/forums/{slug}/documents?per_page=200",
             {"Authorization": f"Bearer {token}"}),
            ("run-sheet PDF, 100 documents", f"{base}/ceremony/run-sheet.pdf", None),
            ("outcome report PDF", f"{base}/report.pdf", None),
        ]
        print(f"{'request':<34} {'wall s':>8} {'cpu s':>8} {'bytes':>11}  pages")
        for label, path, headers in rows:
            wall, cpu, size, body = measure(client, path, args.repeat, headers)
            pages = len(re.findall(rb"/Type\s*/Page[^s]", body)) if body[:5] == b"%PDF-" else ""
            print(f"{label:<34} {wall:>8.3f} {cpu:>8.3f} {size:>11,}  {pages}")


def _forum(slug: str):
    import sqlalchemy as sa

    from forum.db import db
    from forum.forums.models import Forum

    return db.session.scalar(sa.select(Forum).where(Forum.slug == slug))


if __name__ == "__main__":
    main()
