"""The demo as an organizer first sees it: the forum's overview, counts per country at a glance."""
from __future__ import annotations

import html
import re
from collections import Counter

import sqlalchemy as sa

from forum.demo import load
from forum.demo.seed import LOGINS, MAIN_SLUG, SECOND_SLUG
from forum.forums.models import Forum
from forum.registration.models import RegState, Registration

COUNTRIES = {"KZ": "Kazakhstan", "UZ": "Uzbekistan", "KG": "Kyrgyzstan", "TJ": "Tajikistan", "TM": "Turkmenistan",
             "JP": "Japan"}


def sign_in(client, post, kind: str):
    login = next(x for x in LOGINS if x.kind == kind)
    with client.session_transaction() as session:  # signed out
        session.clear()
    return post("/login", {"email": login.email, "password": login.password}, token_from="/login")


def test_the_demo_organizers_read_counts_per_country_at_a_glance(client, db, post):
    load(echo=lambda *a: None)
    main = db.session.scalars(sa.select(Forum).where(Forum.slug == MAIN_SLUG)).one()
    regs = list(db.session.scalars(sa.select(Registration).where(Registration.forum_id == main.id)))

    # The administrator has two forums: the list, each forum's title leading to its overview.
    assert sign_in(client, post, "admin").headers["Location"] == "/manage/"
    forums = client.get("/manage/").get_data(as_text=True)
    assert f'href="/manage/{MAIN_SLUG}/"' in forums and f'href="/manage/{SECOND_SLUG}/"' in forums

    page = client.get(f"/manage/{MAIN_SLUG}/").get_data(as_text=True)
    by_country = re.search(r'id="by-country-table">(.*?)</table>', page, re.S).group(1)
    per_country = Counter(r.company.country for r in regs)
    for code, name in COUNTRIES.items():
        row = re.search(rf'<th scope="row" class="fw-normal">{name}</th>(.*?)</tr>', by_country, re.S).group(1)
        total = int(re.findall(r">(\d+)</a>", row)[0])  # the first column after the name
        assert total == per_country[code], name
        assert f'href="/manage/{MAIN_SLUG}/registrations?country={code}"' in html.unescape(row).replace("&amp;", "&")
    assert sum(per_country.values()) == len(regs) and len(per_country) == 6
    approved = sum(r.state is RegState.APPROVED for r in regs)
    assert f"{approved} of {main.capacity} places approved" in page
    late_waiting = sum(r.is_late and r.state is RegState.PENDING for r in regs)
    assert late_waiting >= 8
    assert re.search(rf'id="late-waiting"><a [^>]*>{late_waiting}</a>', page)
    assert "The oldest has waited" in page

    # The participant list: every approved delegate, printed.
    printed = client.get(f"/manage/{MAIN_SLUG}/participants").get_data(as_text=True)
    assert printed.count('<tr class="print-row">') == approved

    # The second organizer manages only Tashkent: signing in opens its overview.
    assert sign_in(client, post, "organizer").headers["Location"] == f"/manage/{SECOND_SLUG}/"
    assert client.get(f"/manage/{SECOND_SLUG}/").status_code == 200
    assert client.get(f"/manage/{MAIN_SLUG}/").status_code == 403
