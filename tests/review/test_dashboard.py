"""The organizer's overview: every figure equals a hand count, and links to a list showing exactly that many."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from forum import clock
from forum.registration import states
from forum.registration.models import Category, RegState
from forum.review import dashboard
from forum.review import services as review
from forum.teams.models import Permission
from tests import factories as f
from tests.test_query_counts import statements_for

A, P, R, W, X = "approved", "pending", "rejected", "waitlisted", "withdrawn"


@pytest.fixture()
def fixture(db):
    """Built by hand, so every count below is a hand count.

    KZ  energy  Kaz One:   approved; pending (VIP)
    KZ  it      Kaz Two:   rejected
    UZ  energy  Uzb One:   approved; approved (speaker); waitlisted
    JP  trade   Jpn One:   withdrawn
    JP  it      Jpn Late:  pending, pending, rejected: a late request 36 hours ago (3 delegates)
    and another forum's delegates, which count nowhere here.
    """
    now = clock.now()
    forum = f.forum(phase="late", capacity=10, slug="astana")
    on_time = forum.registration_closes_at - timedelta(days=5)
    org = f.organizer()

    def company(country, sector, n, **kw):
        return f.company(forum, n, country=country, sector=sector, now=kw.pop("now", on_time), **kw).delegates

    kz1 = company("KZ", "energy", 2, name_en="Kaz One")
    kz2 = company("KZ", "it", 1, name_en="Kaz Two")
    uz1 = company("UZ", "energy", 3, name_en="Uzb One")
    jp1 = company("JP", "trade", 1, name_en="Jpn One")
    late = company("JP", "it", 3, name_en="Jpn Late", late_reason="Visa came late", now=now - timedelta(hours=36))
    for reg in (kz1[0], uz1[0], uz1[1]):
        review.decide(reg, "approve", by=org)
    review.decide(kz2[0], "reject", by=org, reason="Duplicate of another registration")
    review.decide(uz1[2], "waitlist", by=org)
    review.decide(late[2], "reject", by=org, reason="No visa")
    states.transition(jp1[0], RegState.WITHDRAWN, by=None)
    kz1[1].category = Category.VIP
    uz1[1].category = Category.SPEAKER
    assert all(r.is_late for r in late) and not any(r.is_late for r in kz1 + kz2 + uz1 + jp1)

    other = f.forum(slug="other", capacity=5)
    review.decide(f.company(other, 3, country="KZ", sector="energy").delegates[0], "approve", by=org)
    f.company(other, 1, country="TJ", sector="it", late_reason="x")
    db.session.commit()
    return dict(forum=forum, org=org, late=late)


def rows_of(t: dashboard.Crosstab) -> dict[str, dict]:
    return {r.key: {s: n for s, n in r.counts.items() if n} | {"total": r.total} for r in t.rows}


def test_every_count_equals_the_hand_count(fixture):
    o = dashboard.overview(fixture["forum"])
    assert rows_of(o.by_country) == {
        "KZ": {A: 1, P: 1, R: 1, "total": 3},
        "UZ": {A: 2, W: 1, "total": 3},
        "JP": {X: 1, P: 2, R: 1, "total": 4},
    }
    assert [r.label for r in o.by_country.rows] == ["Japan", "Kazakhstan", "Uzbekistan"]  # biggest, then by name
    assert rows_of(o.by_sector) == {
        "energy": {A: 3, P: 1, W: 1, "total": 5},
        "it": {R: 2, P: 2, "total": 4},
        "trade": {X: 1, "total": 1},
    }
    assert [r.key for r in o.by_sector.rows] == ["energy", "it", "trade"]  # the biggest first
    assert rows_of(o.by_category) == {
        "delegate": {A: 2, P: 2, R: 2, W: 1, X: 1, "total": 8},
        "speaker": {A: 1, "total": 1},
        "press": {"total": 0},
        "vip": {P: 1, "total": 1},
    }
    for t in (o.by_country, o.by_sector, o.by_category):
        assert {s: n for s, n in t.totals.items() if n} == {A: 3, P: 3, R: 2, W: 1, X: 1}
        assert t.total == 10
        assert [s.value for s in t.states] == [P, A, R, W, X]  # no column for 'cancelled': nobody is
    assert (o.approved, o.capacity, o.capacity_percent, o.waitlisted) == (3, 10, 30, 1)
    # Active: Kaz One, Uzb One, Jpn Late (Kaz Two was rejected, Jpn One withdrew).
    assert (o.active_companies, o.active_delegates) == (3, 7)
    # The late request counts both ways: once as a company, twice as delegates (its third was rejected).
    assert (o.late_companies, o.late_delegates) == (1, 2)
    assert o.late_waiting == 2
    assert o.oldest_late_at == min(r.created_at for r in fixture["late"])


def test_an_empty_forum_has_zeros_and_no_crash(db):
    o = dashboard.overview(f.forum())
    assert (o.by_country.rows, o.by_country.total, o.active_companies, o.late_waiting, o.oldest_late_at) == (
        [], 0, 0, 0, None)
    assert [r.key for r in o.by_category.rows] == ["delegate", "speaker", "press", "vip"]


FIGURE = re.compile(r'<a class="figure" data-figure="(\w+)" href="([^"]+)"[^>]*>(\d+)</a>')
LIST_TOTAL = re.compile(r'class="list-total" data-total="(\d+)" data-companies="(\d+)"')


def figures(page: str) -> list[tuple[str, str, int]]:
    return [(kind, html.unescape(href), int(n)) for kind, href, n in FIGURE.findall(page)]


def test_each_figure_links_to_a_list_showing_exactly_that_many(client, login, fixture):
    login(fixture["org"])
    page = client.get("/manage/astana/").get_data(as_text=True)
    found = figures(page)
    # Every non-zero figure is a link: the cards 7 (capacity 1, companies 4, late 1, waitlist 1); by country
    # 8 cells + 3 row totals + 5 state totals + 1 = 17; by sector 6 + 3 + 6 = 15; by category 7 + 3 + 6 = 16.
    assert len(found) == 7 + 17 + 15 + 16, len(found)
    checked = set()
    for kind, href, n in found:
        if href in checked and kind == "delegates":
            continue
        checked.add(href)
        listing = client.get(href)
        assert listing.status_code == 200, href
        total, companies = map(int, LIST_TOTAL.search(listing.get_data(as_text=True)).groups())
        assert (companies if kind == "companies" else total) == n, (href, kind, n, total, companies)
        if kind == "delegates":  # and the printout of that filter has exactly those rows
            printed = client.get(href + ("&" if "?" in href else "?") + "print=1").get_data(as_text=True)
            assert printed.count('<tr class="print-row">') == n, href


def test_the_dashboard_shows_the_figures_where_a_person_reads_them(client, login, fixture):
    login(fixture["org"])
    page = client.get("/manage/astana/").get_data(as_text=True)
    kazakhstan = re.search(r'<th scope="row" class="fw-normal">Kazakhstan</th>(.*?)</tr>', page, re.S).group(1)
    assert [int(n) for n in re.findall(r">(\d+)</", kazakhstan)] == [3, 1, 1, 1, 0, 0]  # total first; P A R W X
    assert 'href="/manage/astana/registrations?state=pending&amp;country=KZ"' in kazakhstan
    assert "3 of 10 places approved (30%)" in page
    assert '<progress class="capacity-bar w-100" max="10" value="3"' in page
    assert "The oldest has waited 1 day, 12 hours." in page
    late_card = re.search(r'id="late-waiting">(.*?)</p>', page).group(1)
    assert figures(late_card) == [("delegates", "/manage/astana/registrations?state=pending&late=yes", 2)]
    companies = re.search(r'id="companies">(.*?)</section>', page, re.S).group(1)
    assert figures(companies) == [
        ("companies", "/manage/astana/registrations?state=active", 3),
        ("delegates", "/manage/astana/registrations?state=active", 7),
        ("companies", "/manage/astana/registrations?state=active&late=yes", 1),
        ("delegates", "/manage/astana/registrations?state=active&late=yes", 2),
    ]
    late_line = re.sub(r"<[^>]+>|\s+", " ", re.search(r'id="late-both-ways">(.*?)</p>', page, re.S).group(1))
    assert " ".join(late_line.split()) == "Late entries among them: 1 company · 2 delegates"
    assert figures(re.search(r'id="waitlist">(.*?)</p>', page).group(1)) == [
        ("delegates", "/manage/astana/registrations?state=waitlisted", 1)]


def test_country_names_are_in_the_readers_language(client, login, fixture):
    org = fixture["org"]
    org.language = "ja"
    login(org)
    page = client.get("/manage/astana/").get_data(as_text=True)
    assert "カザフスタン" in page and "ウズベキスタン" in page and "日本" in page
    org.language = "ru"
    page = client.get("/manage/astana/").get_data(as_text=True)
    assert "Казахстан" in page and "Узбекистан" in page and "Япония" in page


def test_the_list_says_which_filter_it_shows(client, login, fixture):
    login(fixture["org"])
    page = client.get("/manage/astana/registrations?country=kz&state=active&late=no").get_data(as_text=True)
    active = re.search(r'id="active-filter">(.*?)</p>', page, re.S).group(1)
    assert "State: active (pending, approved or waitlisted)" in active
    assert "Late: On time" in active and "Country: Kazakhstan" in active
    assert LIST_TOTAL.search(page).groups() == ("2", "1")  # Kaz One's two; Kaz Two was rejected
    assert 'id="active-filter"' not in client.get("/manage/astana/registrations").get_data(as_text=True)


def test_the_dashboard_is_the_forums_landing_page(client, login, fixture):
    login(fixture["org"])
    assert client.get("/manage/astana/dashboard").status_code == 200
    assert client.get("/manage/astana").status_code in (301, 308)
    forums = client.get("/manage/").get_data(as_text=True)
    assert re.search(r'<a class="fw-semibold" href="/manage/astana/">Central Asia', forums)
    nav = client.get("/manage/astana/registrations").get_data(as_text=True)
    assert re.search(r'<a class="nav-link [^"]*" *href="/manage/astana/">Overview</a>', nav)
    assert re.search(r'<a class="nav-link active" aria-current="page" href="/manage/astana/">Overview</a>',
                     client.get("/manage/astana/").get_data(as_text=True))


@pytest.mark.parametrize("url", ["/manage/astana/", "/manage/astana/dashboard", "/manage/astana/participants",
                                 "/manage/astana/registrations?print=1"])
def test_only_the_forums_reviewers_see_the_overview_and_printouts(client, login, fixture, url):
    forum = fixture["forum"]
    assert client.get(url).status_code == 302  # anonymous: to the sign-in page
    login(f.member(forum, Permission.CHECKIN))
    assert client.get(url).status_code == 403
    login(f.member(f.forum(), Permission.MANAGE))  # manages another forum
    assert client.get(url).status_code == 403
    login(f.user())
    assert client.get(url).status_code == 403
    login(f.member(forum, Permission.REVIEW))
    page = client.get(url)
    assert page.status_code == 200 and "Central Asia + Japan Business Forum" in page.get_data(as_text=True)


def test_the_dashboard_runs_the_same_statements_for_1_and_50_registrations(client, login, db):
    org = f.organizer()
    counts = []
    for n in (1, 50):
        forum = f.forum(phase="late")
        on_time = forum.registration_closes_at - timedelta(days=1)
        for i in range(n):
            late = i % 5 == 4
            c = f.company(forum, 1, country=("KZ", "UZ", "JP", "KG")[i % 4], sector=("it", "energy", "trade")[i % 3],
                          **({"late_reason": "Visa"} if late else {"now": on_time}))
            if i % 3 == 0:
                review.decide(c.delegates[0], ("approve", "waitlist", "reject")[i % 9 // 3], by=org,
                              reason="Not this time")
        login(org)
        counts.append(statements_for(client, f"/manage/{forum.slug}/"))
    assert counts[0] == counts[1], f"{counts[0]} statements with 1 registration, {counts[1]} with 50"


@pytest.mark.parametrize("page", ["registrations?print=1", "participants"])
def test_printouts_run_the_same_statements_for_1_and_50_rows(client, login, db, page):
    org = f.organizer()
    counts = []
    for n in (1, 50):
        forum = f.forum()
        for i in range(n):
            review.decide(f.company(forum, 1, country=("KZ", "JP")[i % 2]).delegates[0], "approve", by=org)
        login(org)
        counts.append(statements_for(client, f"/manage/{forum.slug}/{page}"))
    assert counts[0] == counts[1], f"{page}: {counts[0]} statements with 1 row, {counts[1]} with 50"


@pytest.mark.parametrize("who, lands_on", [
    ("reviewer of one forum", "/manage/astana/"),
    ("manager of one forum", "/manage/astana/"),
    ("check-in staff of one forum", "/manage/astana/scan"),  # no overview for them: the door scanner
    ("on two forums' teams", "/manage/"),
    ("administrator", "/manage/"),
    ("delegate", "/my"),
])
def test_signing_in_leads_an_organizer_of_one_forum_to_its_overview(client, db, post, who, lands_on):
    forum = f.forum(slug="astana")
    email = "person@example.org"
    if who == "reviewer of one forum":
        f.member(forum, Permission.REVIEW, email=email)
    elif who == "manager of one forum":
        f.member(forum, Permission.MANAGE, email=email)
    elif who == "check-in staff of one forum":
        f.member(forum, Permission.CHECKIN, email=email)
    elif who == "on two forums' teams":
        from forum.teams import services as teams

        teams.grant(f.forum(), f.member(forum, Permission.REVIEW, email=email), [Permission.REVIEW], by=None)
    elif who == "administrator":  # of a site with two forums (with one, its overview)
        f.organizer(email=email)
        f.forum()
    else:
        f.user(email=email)
    r = post("/login", {"email": email, "password": f.PASSWORD}, token_from="/login")
    assert r.status_code == 302
    assert r.headers["Location"] == lands_on


def test_a_printout_past_the_cap_says_so(client, login, fixture, monkeypatch):
    from forum.review import views

    monkeypatch.setattr(views, "PRINT_MAX_ROWS", 4)
    login(fixture["org"])
    page = client.get("/manage/astana/registrations?print=1").get_data(as_text=True)
    assert page.count('<tr class="print-row">') == 4
    assert "Only the first 4 of 10 rows are here." in page
    page = client.get("/manage/astana/registrations?print=1&country=KZ").get_data(as_text=True)
    assert page.count('<tr class="print-row">') == 3 and "Only the first" not in page
