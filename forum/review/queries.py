"""Read-side queries for the organizer's registration list: filters, search, counts."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from forum.db import db
from forum.registration.models import Category, CompanyRegistration, LateInvitation, RegState, Registration
from forum.search import matches_all_words


@dataclass
class Filters:
    state: str = ""
    late: str = ""  # "", "yes", "no"
    country: str = ""
    sector: str = ""
    category: str = ""
    disputed: str = ""  # "yes": withdrawn by the address's owner ("this wasn't me")
    changed: str = ""  # "yes": corrected or substituted since the approval, not yet acknowledged
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
        if f.disputed != "yes":
            f.disputed = ""
        if f.changed != "yes":
            f.changed = ""
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
        stmt = stmt.where(CompanyRegistration.country == f.country.upper())
    if f.sector:
        stmt = stmt.where(CompanyRegistration.sector == f.sector)
    if f.category:
        stmt = stmt.where(Registration.category == Category(f.category))
    if f.disputed:
        stmt = stmt.where(Registration.disputed_at.is_not(None))
    if f.changed:
        stmt = stmt.where(Registration.changed_since_approval_at.is_not(None))
    if f.q:
        stmt = stmt.where(matches_all_words(Registration.search_key, f.q))
    if f.state == RegState.WAITLISTED.value:
        # The waiting list in its own order: first in line first (registration.waitlist.ORDER).
        return stmt.order_by(Registration.state_changed_at, Registration.id)
    return stmt.order_by(Registration.created_at.desc(), Registration.id.desc())


def state_counts(forum_id: int) -> dict[str, int]:
    """{state: count} for one forum, plus 'late_waiting' (late entries still pending)."""
    return state_counts_by_forum([forum_id])[forum_id]


def state_counts_by_forum(forum_ids: list[int]) -> dict[int, dict[str, int]]:
    """The same for many forums in one query (the organizer's list of forums)."""
    late_pending = sa.and_(Registration.is_late.is_(True), Registration.state == RegState.PENDING)
    rows = db.session.execute(
        sa.select(Registration.forum_id, Registration.state, sa.func.count(),
                  sa.func.count().filter(late_pending))
        .where(Registration.forum_id.in_(forum_ids))
        .group_by(Registration.forum_id, Registration.state)
    ).all() if forum_ids else []
    counts = {fid: {**{s.value: 0 for s in RegState}, "late_waiting": 0} for fid in forum_ids}
    for forum_id, state, n, late in rows:
        counts[forum_id][state.value] = n
        counts[forum_id]["late_waiting"] += late
    return counts


def late_queue(forum_id: int) -> list[Registration]:
    """Late entries waiting for a decision, oldest first."""
    return list(db.session.scalars(
        sa.select(Registration).join(Registration.company).options(contains_eager(Registration.company))
        .where(Registration.forum_id == forum_id, Registration.is_late.is_(True),
               Registration.state.in_((RegState.PENDING, RegState.WAITLISTED)))
        .order_by(Registration.created_at, Registration.id)
    ))


def invitations(forum_id: int) -> list[LateInvitation]:
    """The forum's late-entry invitations, newest first, with who created each."""
    return list(db.session.scalars(
        sa.select(LateInvitation).options(joinedload(LateInvitation.created_by))
        .where(LateInvitation.forum_id == forum_id).order_by(LateInvitation.created_at.desc())
    ))
