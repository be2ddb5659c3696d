"""Read-side queries for the organizer's registration list: filters, search, counts."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from forum.db import db
from forum.registration.models import Category, Company, RegState, Registration
from forum.search import matches_all_words


@dataclass
class Filters:
    state: str = ""
    late: str = ""  # "", "yes", "no"
    country: str = ""
    sector: str = ""
    category: str = ""
    q: str = ""

    @classmethod
    def from_args(cls, args) -> "Filters":
        f = cls(**{k: (args.get(k) or "").strip() for k in cls.__dataclass_fields__})
        # Unknown values filter nothing rather than crash or match nothing silently.
        if f.state not in {s.value for s in RegState}:
            f.state = ""
        if f.category not in {c.value for c in Category}:
            f.category = ""
        if f.late not in ("yes", "no"):
            f.late = ""
        f.q = f.q[:200]
        return f

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


def registrations(forum_id: int, f: Filters) -> sa.Select:
    stmt = (
        sa.select(Registration)
        .join(Registration.company)
        .options(contains_eager(Registration.company))
        .where(Registration.forum_id == forum_id)
    )
    if f.state:
        stmt = stmt.where(Registration.state == RegState(f.state))
    if f.late:
        stmt = stmt.where(Registration.is_late.is_(f.late == "yes"))
    if f.country:
        stmt = stmt.where(Company.country == f.country.upper())
    if f.sector:
        stmt = stmt.where(Company.sector == f.sector)
    if f.category:
        stmt = stmt.where(Registration.category == Category(f.category))
    if f.q:
        stmt = stmt.where(matches_all_words(Registration.search_key, f.q))
    return stmt.order_by(Registration.created_at.desc(), Registration.id.desc())


def state_counts(forum_id: int) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Registration.state, sa.func.count()).where(Registration.forum_id == forum_id)
        .group_by(Registration.state)
    ).all()
    counts = {s.value: 0 for s in RegState}
    for state, n in rows:
        counts[state.value] = n
    counts["late_waiting"] = db.session.scalar(
        sa.select(sa.func.count()).select_from(Registration).where(
            Registration.forum_id == forum_id, Registration.is_late.is_(True),
            Registration.state == RegState.PENDING)
    ) or 0
    return counts


def late_queue(forum_id: int) -> list[Registration]:
    """Late entries waiting for a decision, oldest first."""
    return list(db.session.scalars(
        sa.select(Registration).join(Registration.company).options(contains_eager(Registration.company))
        .where(Registration.forum_id == forum_id, Registration.is_late.is_(True),
               Registration.state.in_((RegState.PENDING, RegState.WAITLISTED)))
        .order_by(Registration.created_at, Registration.id)
    ))
