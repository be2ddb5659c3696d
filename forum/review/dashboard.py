"""The organizer's overview of one forum: a few GROUP BY queries, folded into plain tables.

Every figure here is a count of registrations (delegates) or of company registrations that the
registration list can show with a filter (queries.Filters); the dashboard links each one there.
Three statements whatever the forum's size: the counts per (country, sector, category, state, late),
the companies with an active delegate, and the oldest late entry still waiting.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

import sqlalchemy as sa

from forum.db import db
from forum.forums.models import Forum
from forum.registration import choices
from forum.registration.models import ACTIVE_STATES, Category, CompanyRegistration, RegState, Registration

STATES = tuple(RegState)


@dataclass
class Row:
    key: str  # the filter value: a country code, a sector key, a category value
    label: str  # in the reader's language
    counts: dict[str, int]  # state value -> delegates
    total: int


@dataclass
class Crosstab:
    """Delegates by one property (rows) and state (columns), with the totals of both."""

    param: str  # the registration list's filter for the rows: country, sector or category
    rows: list[Row]
    totals: dict[str, int]  # per state
    total: int

    @property
    def states(self) -> list[RegState]:
        """The columns: the states some delegate of the forum is in (a column of zeros says nothing)."""
        return [s for s in STATES if self.totals[s.value]]


@dataclass
class Overview:
    by_country: Crosstab
    by_sector: Crosstab
    by_category: Crosstab
    capacity: int
    approved: int
    waitlisted: int
    # Active = pending, approved or waitlisted: what still takes or may take a place.
    active_delegates: int
    active_companies: int  # company registrations with at least one active delegate
    late_delegates: int  # active delegates who came in as late requests (or by invitation)
    late_companies: int  # company registrations with at least one such delegate
    late_waiting: int  # late entries still pending a decision
    oldest_late_at: datetime | None  # when the longest-waiting of those came in
    by_state: dict[str, int] = field(default_factory=dict)

    @property
    def capacity_percent(self) -> int:
        return round(100 * self.approved / self.capacity) if self.capacity else 0


def overview(forum: Forum) -> Overview:
    """The forum's figures, in the reader's language (labels), from three queries."""
    facts = db.session.execute(
        sa.select(CompanyRegistration.country, CompanyRegistration.sector, Registration.category,
                  Registration.state, Registration.is_late, sa.func.count())
        .join(Registration.company)
        .where(Registration.forum_id == forum.id)
        .group_by(CompanyRegistration.country, CompanyRegistration.sector, Registration.category,
                  Registration.state, Registration.is_late)
    ).all()
    active = Registration.state.in_(ACTIVE_STATES)
    companies, late_companies = db.session.execute(
        sa.select(sa.func.count(sa.distinct(Registration.company_id)),
                  sa.func.count(sa.distinct(sa.case((Registration.is_late.is_(True), Registration.company_id)))))
        .where(Registration.forum_id == forum.id, active)
    ).one()
    oldest = db.session.scalar(
        sa.select(sa.func.min(Registration.created_at))
        .where(Registration.forum_id == forum.id, Registration.is_late.is_(True),
               Registration.state == RegState.PENDING)
    )

    country, sector, category = defaultdict(_zeros), defaultdict(_zeros), defaultdict(_zeros)
    by_state = _zeros()
    late_delegates = late_waiting = 0
    for c, s, cat, state, is_late, n in facts:
        country[c][state.value] += n
        sector[s][state.value] += n
        category[cat.value][state.value] += n
        by_state[state.value] += n
        if is_late and state in ACTIVE_STATES:
            late_delegates += n
        if is_late and state is RegState.PENDING:
            late_waiting += n
    for cat in Category:  # every category is a row, even an empty one: the four are a fixed list
        category[cat.value]

    return Overview(
        by_country=_crosstab("country", country, choices.country_name, by_state),
        by_sector=_crosstab("sector", sector, lambda k: str(choices.SECTORS.get(k, k)), by_state),
        by_category=_crosstab("category", category, choices.category_label, by_state,
                              order=[c.value for c in Category]),
        capacity=forum.capacity,
        approved=by_state[RegState.APPROVED.value],
        waitlisted=by_state[RegState.WAITLISTED.value],
        active_delegates=sum(by_state[s.value] for s in ACTIVE_STATES),
        active_companies=companies or 0,
        late_delegates=late_delegates,
        late_companies=late_companies or 0,
        late_waiting=late_waiting,
        oldest_late_at=oldest,
        by_state=by_state,
    )


def _zeros() -> dict[str, int]:
    return {s.value: 0 for s in STATES}


def _crosstab(param: str, counts: dict[str, dict[str, int]], label: Callable[[str], str], by_state: dict[str, int],
              order: list[str] | None = None) -> Crosstab:
    rows = [Row(key, label(key), per_state, sum(per_state.values())) for key, per_state in counts.items()]
    if order is not None:
        rows.sort(key=lambda r: order.index(r.key))
    else:  # the biggest first: what an organizer reads at a glance; ties by name
        rows.sort(key=lambda r: (-r.total, r.label.casefold()))
    return Crosstab(param=param, rows=rows, totals=dict(by_state), total=sum(by_state.values()))
