"""Read-side queries of the door: who arrived, who is inside, what was refused (the scanner and the dashboard).

Who counts: approved delegates, as on the review overview. A delegate has arrived when their live badge
has a first entry (a reissued badge carries its predecessor's), and is present while it is `inside`.
Team badges (organizers, staff) are not counted anywhere here.

The dashboard costs a fixed number of statements whatever the forum's size: one GROUP BY for the
tables by country and category (and the headline: their sums), one list of first-entry times for the
chart, one GROUP BY for the count per scan result, and the page of refused scans (count + rows, with
badge, registration, company and staff user joined in).

Arrivals per quarter hour are bucketed in Python, not in SQL: truncating to 15 minutes in the forum's
zone needs date_trunc/AT TIME ZONE on PostgreSQL and has no equivalent on SQLite, and a forum's 5,000
first entries are a list Python folds in milliseconds.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from forum import clock
from forum.badges.models import Badge
from forum.checkin.models import FAILED, Result, Scan
from forum.db import db
from forum.forums.models import Forum
from forum.registration import choices
from forum.registration.models import Category, CompanyRegistration, RegState, Registration

QUARTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Arrivals:
    arrived: int  # approved delegates who have entered at least once
    expected: int  # approved delegates
    present: int  # approved delegates inside now

    @property
    def percent(self) -> int:
        """Arrived as a whole percentage of expected (0 when nobody is expected)."""
        return round(100 * self.arrived / self.expected) if self.expected else 0


def _approved(forum: Forum):
    return sa.and_(Registration.forum_id == forum.id, Registration.state == RegState.APPROVED)


def arrivals(forum: Forum) -> Arrivals:
    """"Arrived N of M" for the scanner, and the dashboard's headline: approved delegates only (team badges
    are not counted)."""
    approved = _approved(forum)
    expected = db.session.scalar(sa.select(sa.func.count()).select_from(Registration).where(approved)) or 0
    row = db.session.execute(
        sa.select(sa.func.count(Badge.first_checked_in_at), sa.func.count().filter(Badge.inside))
        .select_from(Badge).join(Registration, Registration.id == Badge.registration_id)
        .where(approved, Badge.revoked_at.is_(None))
    ).one()
    return Arrivals(arrived=row[0] or 0, expected=expected, present=row[1] or 0)


# --- arrived vs expected, by country and by category -------------------------------------------

@dataclass(frozen=True)
class Line(Arrivals):
    key: str = ""  # a country code or a category value
    label: str = ""  # in the reader's language


@dataclass(frozen=True)
class Presence:
    total: Arrivals
    by_country: list[Line]  # the most expected first; ties by name
    by_category: list[Line]  # every category, in the fixed order (an empty one shows 0 of 0)


def presence(forum: Forum) -> Presence:
    """Arrived, expected and present now per country and per category, from one GROUP BY."""
    rows = db.session.execute(
        sa.select(CompanyRegistration.country, Registration.category, sa.func.count(Registration.id),
                  sa.func.count(Badge.first_checked_in_at), sa.func.count(Badge.id).filter(Badge.inside))
        .select_from(Registration).join(Registration.company)
        .outerjoin(Badge, sa.and_(Badge.registration_id == Registration.id, Badge.revoked_at.is_(None)))
        .where(_approved(forum))
        .group_by(CompanyRegistration.country, Registration.category)
    ).all()
    countries: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    categories: dict[str, list[int]] = {c.value: [0, 0, 0] for c in Category}
    total = [0, 0, 0]
    for country, category, expected, arrived, present in rows:
        for acc in (countries[country], categories[category.value], total):
            acc[0] += expected
            acc[1] += arrived or 0
            acc[2] += present or 0

    def line(key: str, label: str, n: list[int]) -> Line:
        return Line(expected=n[0], arrived=n[1], present=n[2], key=key, label=label)

    by_country = sorted((line(k, choices.country_name(k), n) for k, n in countries.items()),
                        key=lambda ln: (-ln.expected, ln.label.casefold()))
    by_category = [line(k, choices.category_label(k), n) for k, n in categories.items()]
    return Presence(total=Arrivals(expected=total[0], arrived=total[1], present=total[2]),
                    by_country=by_country, by_category=by_category)


# --- arrivals per quarter hour -------------------------------------------------------------------

@dataclass(frozen=True)
class Quarter:
    start: datetime  # the UTC instant the quarter hour begins (on the forum's clock: :00, :15, :30, :45)
    count: int


@dataclass(frozen=True)
class Curve:
    day: date | None  # the forum-local day shown; None when nobody has arrived yet
    days: list[date]  # the forum-local days with arrivals, oldest first
    quarters: list[Quarter]  # that day's quarters, from the first with an arrival to the last, empty ones too

    @property
    def total(self) -> int:
        return sum(q.count for q in self.quarters)

    @property
    def peak(self) -> Quarter | None:
        return max(self.quarters, key=lambda q: q.count, default=None)


def quarter_start(at: datetime, tz: tzinfo) -> datetime:
    """The start of the quarter hour `at` falls in, on the wall clock of `tz` (UTC).

    Counted on the local clock, not in UTC: today's offsets are whole quarter hours, so the quarters agree,
    but the hours and days they fall in are the forum's (in Kathmandu, UTC+05:45, the forum's 09:00 is 03:15
    UTC and its midnight 18:15 UTC). Subtracting the minutes past the local quarter from the instant keeps
    both halves of a daylight-saving fall-back hour apart.
    """
    local = at.astimezone(tz)
    return at - timedelta(minutes=local.minute % 15, seconds=local.second, microseconds=local.microsecond)


def quarters_by_day(times: list[datetime], tz: tzinfo) -> dict[date, list[Quarter]]:
    """First entries -> per forum-local day, the quarters from the day's first arrival to its last (pure)."""
    counts: dict[datetime, int] = defaultdict(int)
    for at in times:
        counts[quarter_start(at, tz)] += 1
    per_day: dict[date, list[datetime]] = defaultdict(list)
    for start in counts:
        per_day[start.astimezone(tz).date()].append(start)
    out: dict[date, list[Quarter]] = {}
    for day in sorted(per_day):
        starts = per_day[day]
        first, last = min(starts), max(starts)
        quarters, at = [], first
        while at <= last:
            quarters.append(Quarter(start=at, count=counts.get(at, 0)))
            at += QUARTER
        out[day] = quarters
    return out


def arrival_times(forum: Forum) -> list[datetime]:
    """When each approved delegate first entered (one per delegate who has arrived)."""
    return list(db.session.scalars(
        sa.select(Badge.first_checked_in_at).join(Registration, Registration.id == Badge.registration_id)
        .where(_approved(forum), Badge.revoked_at.is_(None), Badge.first_checked_in_at.is_not(None))
    ))


def arrival_curve(forum: Forum, day: date | None = None, now: datetime | None = None) -> Curve:
    """Arrivals (first entries of approved delegates) per quarter hour of one forum-local day.

    First entries only, so the bars add up to the headline's "arrived": re-entries after an exit are door
    traffic, not arrivals. The day: the one asked for, else today when someone arrived today, else the last
    day anyone arrived.
    """
    tz = forum.tz
    per_day = quarters_by_day(arrival_times(forum), tz)
    days = list(per_day)
    if day is None and days:
        today = (now or clock.now()).astimezone(tz).date()
        day = today if today in per_day else days[-1]
    return Curve(day=day, days=days, quarters=per_day.get(day, []) if day else [])


# --- scans by result, and the refused ones -------------------------------------------------------

# What the list of failed scans may show: every result but ok. By default the refusals (red).
LISTABLE = tuple(r for r in Result if r is not Result.OK)
DEFAULT_LISTED = frozenset(FAILED)


def scan_counts(forum: Forum) -> dict[Result, int]:
    """How many scans ended with each result (every result is a key, 0 included)."""
    counts = {r: 0 for r in Result}
    for result, n in db.session.execute(
        sa.select(Scan.result, sa.func.count()).where(Scan.forum_id == forum.id).group_by(Scan.result)
    ):
        counts[result] = n
    return counts


def failed_scans(forum: Forum, results: frozenset[Result] | None = None) -> sa.Select:
    """The forum's scans with these results (default: the refused ones), newest first, each with its badge,
    the badge's delegate and company or team member, and the staff user: for db.paginate, no N+1."""
    results = results or DEFAULT_LISTED
    return (
        sa.select(Scan)
        .options(joinedload(Scan.user),
                 joinedload(Scan.badge).joinedload(Badge.registration).joinedload(Registration.company),
                 joinedload(Scan.badge).joinedload(Badge.user))
        .where(Scan.forum_id == forum.id, Scan.result.in_(sorted(results, key=lambda r: r.value)))
        .order_by(Scan.recorded_at.desc(), Scan.id.desc())
    )


def own_scan(badge: Badge, nonce: str | None, user) -> Scan | None:
    """The scan this user recorded of this badge with this nonce (the badge page shows its verdict again
    after the redirect, and on every reload, without recording anything)."""
    if not nonce or len(nonce) > 100 or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(sa.select(Scan).where(Scan.forum_id == badge.forum_id, Scan.nonce == nonce,
                                                   Scan.user_id == user.id, Scan.badge_id == badge.id))


# --- offline conflicts (issue 11) ----------------------------------------------------------------

def conflicts(forum: Forum, *, reviewed: bool = False) -> sa.Select:
    """The forum's offline conflicts, newest first: the open ones, or with `reviewed` all of them; each with its
    scan, the other scan, the badge's delegate and company or team member: for db.paginate, no N+1."""
    from sqlalchemy.orm import aliased

    from forum.checkin.models import Conflict

    other = aliased(Scan)
    stmt = (sa.select(Conflict)
            .options(joinedload(Conflict.scan).joinedload(Scan.badge).joinedload(Badge.registration)
                     .joinedload(Registration.company),
                     joinedload(Conflict.scan).joinedload(Scan.badge).joinedload(Badge.user),
                     joinedload(Conflict.scan).joinedload(Scan.user),
                     joinedload(Conflict.other_scan.of_type(other)), joinedload(Conflict.reviewed_by))
            .where(Conflict.forum_id == forum.id)
            .order_by(Conflict.created_at.desc(), Conflict.id.desc()))
    return stmt if reviewed else stmt.where(Conflict.reviewed_at.is_(None))


def open_conflicts(forum: Forum) -> int:
    from forum.checkin.models import Conflict

    return db.session.scalar(sa.select(sa.func.count()).select_from(Conflict)
                             .where(Conflict.forum_id == forum.id, Conflict.reviewed_at.is_(None))) or 0
