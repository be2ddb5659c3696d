"""The check-in dashboard (issue 8, section 4): arrived vs expected by country and category, present now,
arrivals per quarter hour on the forum's clock, the refused scans with their reasons; a fixed number of
SQL statements whatever the size."""
from __future__ import annotations

import html as html_mod
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from forum.badges import issuing
from forum.checkin import queries, services
from forum.registration import states
from forum.registration.models import RegState
from forum.teams.models import Permission
from tests import factories as f
from tests.test_query_counts import statements_for

_n = iter(range(10**9))


def scan(forum, code, by, **kw):
    kw.setdefault("nonce", f"d-{next(_n)}")
    kw.setdefault("device", "Gate 1")
    return services.check_in(forum, code, by=by, **kw)


def badge(forum, **kw):
    """A live badge; a privileged category (speaker, press, VIP) is entered by an organizer, as at the desk."""
    if kw.get("category", "delegate") != "delegate":
        kw.update(manual=True, by=f.organizer())
    return f.badge(forum, **kw)


def local(tz: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz))


@pytest.fixture()
def door(db):
    forum = f.forum(slug="astana")
    return forum, f.member(forum, Permission.CHECKIN, name="Door Staff")


def mixed_forum(forum, staff):
    """Delegates in every situation the counts must get right; returns nothing, the test knows the figures."""
    t = f.utc(2026, 12, 7, 3, 0)
    a = f.badge(forum, country="JP")  # arrived, inside
    scan(forum, a.token, staff, now=t)
    b = badge(forum, country="JP", category="speaker")  # arrived, went out
    scan(forum, b.token, staff, now=t)
    scan(forum, b.token, staff, direction="out", now=t + timedelta(minutes=30))
    f.badge(forum, country="JP")  # approved, not arrived
    d = f.badge(forum, country="KZ")  # arrived, then the badge was reissued: counted once, still inside
    scan(forum, d.token, staff, now=t)
    issuing.reissue(d, by=f.member(forum, Permission.REVIEW))
    e = f.badge(forum, country="KZ")  # arrived, then withdrew: no longer expected
    scan(forum, e.token, staff, now=t)
    states.transition(e.registration, RegState.WITHDRAWN, by=None, notify=False)
    badge(forum, country="UZ", category="vip")  # approved, not arrived
    f.registration_(forum, country="JP")  # pending: not expected
    boss = f.member(forum, Permission.MANAGE)
    scan(forum, issuing.team_badge(forum, staff, by=boss).token, staff, now=t)  # a team badge: not counted


def test_arrived_expected_and_present_by_country_and_category(door):
    forum, staff = door
    mixed_forum(forum, staff)
    p = queries.presence(forum)
    assert (p.total.expected, p.total.arrived, p.total.present) == (5, 3, 2)
    assert queries.arrivals(forum) == queries.Arrivals(arrived=3, expected=5, present=2)  # the scanner's headline
    assert [(ln.key, ln.label, ln.expected, ln.arrived, ln.present) for ln in p.by_country] == [
        ("JP", "Japan", 3, 2, 1), ("KZ", "Kazakhstan", 1, 1, 1), ("UZ", "Uzbekistan", 1, 0, 0)]
    assert [(ln.key, ln.expected, ln.arrived, ln.present) for ln in p.by_category] == [
        ("delegate", 3, 2, 2), ("speaker", 1, 1, 0), ("press", 0, 0, 0), ("vip", 1, 0, 0)]
    assert [ln.percent for ln in p.by_country] == [67, 100, 0] and p.total.percent == 60


def test_an_empty_forum_has_zeros_and_no_division_by_zero(door):
    forum, _ = door
    p = queries.presence(forum)
    assert p.total == queries.Arrivals(0, 0, 0) and p.total.percent == 0
    assert p.by_country == [] and [ln.expected for ln in p.by_category] == [0, 0, 0, 0]
    curve = queries.arrival_curve(forum)
    assert curve.day is None and curve.days == [] and curve.quarters == [] and curve.total == 0


# --- quarter hours on the forum's clock -------------------------------------------------------------

@pytest.mark.parametrize("tz", ["Asia/Almaty", "Asia/Kathmandu", "Asia/Kolkata", "Australia/Eucla", "UTC"])
def test_quarters_start_at_00_15_30_45_on_the_forums_clock(tz):
    zone = ZoneInfo(tz)
    for minute, second, start in [(0, 0, 0), (7, 59, 0), (14, 59, 0), (15, 0, 15), (29, 1, 15), (44, 0, 30),
                                  (59, 59, 45)]:
        at = local(tz, 2026, 12, 7, 9, minute, second).astimezone(ZoneInfo("UTC"))
        got = queries.quarter_start(at, zone).astimezone(zone)
        assert (got.hour, got.minute, got.second, got.microsecond) == (9, start, 0, 0), (tz, minute)


def test_kathmandu_days_begin_at_its_own_midnight():
    """UTC+05:45: 00:10 on the 8th in Kathmandu is 18:25 on the 7th in UTC; it is the forum's 8th."""
    zone = ZoneInfo("Asia/Kathmandu")
    at = local("Asia/Kathmandu", 2026, 12, 8, 0, 10).astimezone(ZoneInfo("UTC"))
    assert (at.day, at.hour, at.minute) == (7, 18, 25)
    (day,) = queries.quarters_by_day([at], zone)
    assert day == date(2026, 12, 8)
    start = queries.quarter_start(at, zone)
    assert start.astimezone(zone).strftime("%d %H:%M") == "08 00:00" and (start.hour, start.minute) == (18, 15)


def test_arrivals_are_counted_per_quarter_with_empty_quarters_between_and_split_by_local_day():
    tz = "Asia/Almaty"
    times = [local(tz, 2026, 12, 7, 8, 50), local(tz, 2026, 12, 7, 9, 1), local(tz, 2026, 12, 7, 9, 14),
             local(tz, 2026, 12, 7, 9, 59), local(tz, 2026, 12, 8, 0, 5), local(tz, 2026, 12, 8, 0, 10)]
    per_day = queries.quarters_by_day([t.astimezone(ZoneInfo("UTC")) for t in times], ZoneInfo(tz))
    assert list(per_day) == [date(2026, 12, 7), date(2026, 12, 8)]
    day1 = [(q.start.astimezone(ZoneInfo(tz)).strftime("%H:%M"), q.count) for q in per_day[date(2026, 12, 7)]]
    assert day1 == [("08:45", 1), ("09:00", 2), ("09:15", 0), ("09:30", 0), ("09:45", 1)]
    # 00:05 local on the 8th is still the 7th in UTC: the forum's day decides
    assert [(q.count) for q in per_day[date(2026, 12, 8)]] == [2]
    assert all(q.start.utcoffset() == timedelta(0) for q in per_day[date(2026, 12, 7)])


def test_a_daylight_saving_fall_back_keeps_the_two_one_oclocks_apart():
    tz = ZoneInfo("America/New_York")
    first = datetime(2026, 11, 1, 5, 20, tzinfo=ZoneInfo("UTC"))  # 01:20 EDT
    second = datetime(2026, 11, 1, 6, 20, tzinfo=ZoneInfo("UTC"))  # 01:20 EST, an hour later
    per_day = queries.quarters_by_day([first, second], tz)
    quarters = per_day[date(2026, 11, 1)]
    assert len(quarters) == 5 and [q.count for q in quarters] == [1, 0, 0, 0, 1]
    assert quarters[-1].start - quarters[0].start == timedelta(hours=1)


def test_the_curve_counts_first_entries_of_approved_delegates_only_in_a_kathmandu_forum(db):
    forum = f.forum(tz="Asia/Kathmandu")
    staff = f.member(forum, Permission.CHECKIN)
    k = lambda *a: local("Asia/Kathmandu", *a).astimezone(ZoneInfo("UTC"))  # noqa: E731
    first, second, third = (f.badge(forum) for _ in range(3))
    scan(forum, first.token, staff, now=k(2026, 12, 7, 9, 5))
    scan(forum, first.token, staff, direction="out", now=k(2026, 12, 7, 9, 20))
    scan(forum, first.token, staff, now=k(2026, 12, 7, 9, 40))  # a re-entry: not an arrival
    scan(forum, second.token, staff, now=k(2026, 12, 7, 9, 14))
    scan(forum, third.token, staff, now=k(2026, 12, 7, 9, 50))
    boss = f.member(forum, Permission.MANAGE)
    scan(forum, issuing.team_badge(forum, staff, by=boss).token, staff, now=k(2026, 12, 7, 8, 0))  # team: no
    curve = queries.arrival_curve(forum, now=k(2026, 12, 9, 12, 0))
    assert curve.day == date(2026, 12, 7)  # nobody arrived today: the last day with arrivals
    shown = [(q.start.astimezone(forum.tz).strftime("%H:%M"), q.count) for q in curve.quarters]
    assert shown == [("09:00", 2), ("09:15", 0), ("09:30", 0), ("09:45", 1)]
    assert curve.total == queries.presence(forum).total.arrived == 3
    assert curve.peak.count == 2


def test_the_chart_marks_the_forums_full_hours_in_kathmandu(client, db, login):
    """Many quarters: only full hours get a label, and they are Kathmandu's (09:00 there is 03:15 UTC); hours
    counted in UTC would be labelled 08:45, 09:45 ..."""
    forum = f.forum(tz="Asia/Kathmandu", slug="kathmandu")
    staff = f.member(forum, Permission.CHECKIN)
    for minute in range(0, 430, 15):  # 07:50 to 14:50 local: 29 quarters, too narrow to label each
        at = local("Asia/Kathmandu", 2026, 12, 7, 7, 50) + timedelta(minutes=minute)
        scan(forum, f.badge(forum).token, staff, now=at.astimezone(ZoneInfo("UTC")))
    login(staff)
    html = _text(client.get("/manage/kathmandu/checkin"))
    svg = html[html.index("<svg"):html.index("</svg>")]
    marks = re.findall(r'class="chart-text chart-x">([^<]+)<', svg)
    assert marks == ["08:00", "09:00", "10:00", "11:00", "12:00", "13:00", "14:00"]
    assert len(re.findall(r"<rect ", svg)) == 29 and "07:45–08:00: 1 arrival" in svg
    assert "UTC+05:45" in svg  # the axis names the zone


def test_the_curve_shows_today_when_someone_arrived_today_else_the_day_asked_for(door):
    forum, staff = door
    a, b = f.badge(forum), f.badge(forum)
    scan(forum, a.token, staff, now=local("Asia/Almaty", 2026, 12, 7, 9, 0))
    scan(forum, b.token, staff, now=local("Asia/Almaty", 2026, 12, 8, 9, 0))
    on_7th = local("Asia/Almaty", 2026, 12, 7, 18, 0)
    assert queries.arrival_curve(forum, now=on_7th).day == date(2026, 12, 7)
    assert queries.arrival_curve(forum, now=on_7th + timedelta(days=5)).day == date(2026, 12, 8)
    assert queries.arrival_curve(forum, date(2026, 12, 7), now=on_7th).days == [date(2026, 12, 7), date(2026, 12, 8)]
    assert queries.arrival_curve(forum, date(2026, 12, 1)).quarters == []


# --- the page ---------------------------------------------------------------------------------------

def _text(r) -> str:
    return r.get_data(as_text=True)


def _row(html: str, table_id: str, key: str) -> list[str]:
    table = html[html.index(f'id="{table_id}"'):]
    row = table[table.index(f'data-key="{key}"'):]
    row = row[:row.index("</tr>")]
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]


def test_the_dashboard_shows_the_headline_tables_and_chart(client, door, login):
    forum, staff = door
    mixed_forum(forum, staff)
    login(staff)
    r = client.get("/manage/astana/checkin")
    html = _text(r)
    assert r.status_code == 200
    assert "3 of 5 approved delegates have arrived (60%)" in html
    assert re.search(r'id="present">2<', html)
    assert _row(html, "by-country", "JP")[1:] == ["2", "3", "67%", "1"]
    assert _row(html, "by-country", "UZ")[1:] == ["0", "1", "0%", "0"]
    assert _row(html, "by-category", "speaker")[1:] == ["1", "1", "100%", "0"]
    # the chart: an SVG with its title, one bar for the three arrivals, and the same figures as a table
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert "<title id=\"arrivals-wide-title\">Arrivals per 15 minutes</title>" in svg
    assert re.findall(r'data-value="(\d+)"', svg) == ["3"]
    assert "style=" not in svg and "<script" not in svg
    assert "<details" in html and 'id="arrivals-table"' in html
    # the tab is there and current
    assert re.search(r'aria-current="page" href="/manage/astana/checkin"', html)


def test_refused_scans_are_listed_with_their_reasons_in_plain_words(client, door, login):
    forum, staff = door
    login(staff)
    old = f.badge(forum, full_name="Әлия Нұрланқызы", latin_name="Aliya Nurlankyzy", legal_name="Қазақ Тау ЖШС")
    issuing.reissue(old, by=f.member(forum, Permission.REVIEW))
    waiting = f.badge(forum, full_name="Oʻktam Gʻulomov", latin_name="Uktam Gulomov")
    states.transition(waiting.registration, RegState.WAITLISTED, by=None, notify=False)
    other = f.forum()
    inside = f.badge(forum, full_name="山田 太郎", latin_name="YAMADA Taro")
    scan(forum, old.token, staff, device="Gate 2")
    scan(forum, waiting.token, staff)
    scan(forum, f.badge(other).token, staff)
    scan(forum, "WIFI:S:venue;;", staff, device="Side door")
    scan(forum, inside.token, staff)
    scan(forum, inside.token, staff, device="Gate 3")  # already checked in: amber, not listed by default
    html = _text(client.get("/manage/astana/checkin"))
    table = html[html.index('id="failed-scans"'):html.index("</table>", html.index('id="failed-scans"'))]
    rows = table.split("<tr>")[2:]
    assert len(rows) == 4
    text = [html_mod.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r))).strip() for r in rows]
    invalid, wrong, waitlisted, revoked = text  # newest first
    # the scanner's words (checkin/messages.py): the title as the pill, the reason as the door gave it
    assert "Not a valid badge" in invalid and "Unknown" in invalid and "WIFI:S:venue;;" in invalid and "Side door" in invalid
    assert "The code is not a badge of this forum: unreadable, incomplete or forged." in invalid
    assert "Badge of another forum" in wrong and "This is a genuine badge, but of another forum." in wrong
    assert "Registration not approved" in waitlisted
    assert "The registration is on the waiting list, not approved. Send them to the registration desk." in waitlisted
    assert "Oʻktam Gʻulomov" in waitlisted and "Uktam Gulomov" in waitlisted
    assert "Badge no longer valid" in revoked and "Әлия Нұрланқызы" in revoked
    assert "This badge was replaced by a newer one. Only the newest badge admits its holder." in revoked
    assert "Қазақ Тау ЖШС" in revoked and "Gate 2" in revoked and "Door Staff" in revoked
    assert "山田 太郎" not in table
    # the count per result, and a filter on one of them
    counts = html[html.index('id="result-counts"'):]
    counts = counts[:counts.index("</ul>")]
    for label, n in [("Checked in", 1), ("Already checked in", 1), ("Not a valid badge", 1),
                     ("Badge no longer valid", 1), ("Registration not approved", 1), ("Badge of another forum", 1),
                     ("Forum cancelled", 0)]:
        assert f"{label}: {n}" in counts, label
    assert re.search(r'id="refused">.*?>4<', html, re.S)
    amber = _text(client.get("/manage/astana/checkin?result=already_checked_in"))
    table = amber[amber.index('id="failed-scans"'):]
    assert "山田 太郎" in table and "Әлия" not in table
    assert re.search(r"Already checked in at \d\d:\d\d by Gate 1\.", table)


def test_each_day_with_arrivals_has_its_link_and_shows_its_own_bars(client, door, login):
    forum, staff = door
    for day, n in ((7, 2), (8, 3)):
        for _ in range(n):
            scan(forum, f.badge(forum).token, staff, now=local("Asia/Almaty", 2026, 12, day, 9, 0))
    login(staff)
    html = _text(client.get("/manage/astana/checkin"))  # the last day, as nobody arrived today
    assert "Arrivals per 15 minutes · 8 December" in html
    assert re.search(r'aria-current="page" href="[^"]*day=2026-12-08">8 December<', html)
    assert 'day=2026-12-07">7 December<' in html
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert re.findall(r'data-value="(\d+)"', svg) == ["3"]
    html = _text(client.get("/manage/astana/checkin?day=2026-12-07"))
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert re.findall(r'data-value="(\d+)"', svg) == ["2"] and "Arrivals per 15 minutes · 7 December" in html


@pytest.mark.parametrize("query", ["?page=abc", "?page=0", "?page=%C2%B2", "?result=ok", "?result=nonsense",
                                   "?day=2026-13-45", "?day=%E2%91%A0", "?day=", "?page=99"])
def test_nonsense_in_the_query_is_ignored(client, door, login, query):
    forum, staff = door
    login(staff)
    scan(forum, "junk", staff)
    r = client.get("/manage/astana/checkin" + query)
    assert r.status_code == 200


def test_a_page_beyond_any_is_not_found(client, door, login):
    forum, staff = door
    login(staff)
    assert client.get("/manage/astana/checkin?page=100001").status_code == 404
    assert client.get("/manage/astana/checkin?page=" + "9" * 30).status_code == 404
    assert client.get("/manage/astana/checkin?page=" + "9" * 5000).status_code == 404


def test_the_refused_scans_are_paged(client, door, login):
    forum, staff = door
    login(staff)
    for i in range(27):
        scan(forum, f"junk {i}", staff)
    first = _text(client.get("/manage/astana/checkin"))
    second = _text(client.get("/manage/astana/checkin?page=2"))
    assert first.count("junk ") == 25 and second.count("junk ") == 2
    assert "junk 26" in first and "junk 0" in second


def test_review_alone_does_not_open_the_dashboard_and_check_in_alone_does(client, door, login):
    forum, staff = door
    login(f.member(forum, Permission.REVIEW))
    assert client.get("/manage/astana/checkin").status_code == 403
    html = _text(client.get("/manage/astana/registrations"))
    assert "/manage/astana/checkin" not in html
    login(staff)
    html = _text(client.get("/manage/astana/checkin"))
    tabs = html[html.index('class="nav nav-tabs'):]
    tabs = tabs[:tabs.index("</ul>")]
    assert "Check-in" in tabs and "/manage/astana/registrations" not in tabs


def test_the_dashboard_asks_as_many_queries_for_20_of_everything_as_for_1(client, db, login):
    counts = []
    for n in (1, 20):
        forum = f.forum()
        staff = f.member(forum, Permission.CHECKIN)
        review = f.member(forum, Permission.REVIEW)
        other = f.forum()
        for i in range(n):
            b = badge(forum, country=["JP", "KZ", "UZ", "KG"][i % 4], category=["delegate", "vip"][i % 2])
            scan(forum, b.token, staff, now=f.utc(2026, 12, 7, 3, i))
            scan(forum, b.token, staff)  # already checked in
            issuing.reissue(b, by=review)
            scan(forum, b.token, staff)  # revoked
            scan(forum, f"junk {i}", staff)  # invalid
            scan(forum, f.badge(other).token, staff)  # wrong forum
        login(staff)
        counts.append(statements_for(client, f"/manage/{forum.slug}/checkin"))
        counts.append(statements_for(client, f"/manage/{forum.slug}/checkin?result=already_checked_in"))
    assert counts[0] == counts[2] and counts[1] == counts[3], counts
