"""Read-side queries for the organizer's registration list: filters, search, counts."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager, joinedload

from forum.db import db
from forum.registration import choices
from forum.registration.models import (ACTIVE_STATES, Category, CompanyRegistration, LateInvitation, RegState,
                                       Registration)
from forum.search import matches_all_words

ACTIVE = "active"  # a `state` filter value: pending, approved or waitlisted (what takes or may take a place)


@dataclass
class Filters:
    state: str = ""  # a RegState value, or ACTIVE
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
        if f.state not in {s.value for s in RegState} | {ACTIVE}:
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

    def describe(self) -> list[tuple[str, str]]:
        """The active filter in words, (what, value) in the reader's language: the list and its printout
        say what they show."""
        from forum.registration.states import state_label

        parts = []
        if self.state:
            parts.append((_("State"), _("active (pending, approved or waitlisted)") if self.state == ACTIVE
                          else state_label(RegState(self.state))))
        if self.late:
            parts.append((_("Late"), _("Late entries") if self.late == "yes" else _("On time")))
        if self.country:
            parts.append((_("Country"), choices.country_name(self.country.upper())))
        if self.sector:
            parts.append((_("Sector"), str(choices.SECTORS.get(self.sector, self.sector))))
        if self.category:
            parts.append((_("Category"), choices.category_label(self.category)))
        if self.disputed:
            parts.append((_("Disputed"), _("Disputed by the address owner")))
        if self.changed:
            parts.append((_("Changed"), _("Since approval")))
        if self.q:
            parts.append((_("Search"), self.q))
        return parts


def registrations(forum_id: int, f: Filters) -> sa.Select:
    stmt = (
        sa.select(Registration)
        .join(Registration.company)
        .options(contains_eager(Registration.company))
        .where(Registration.forum_id == forum_id)
    )
    if f.state == ACTIVE:
        stmt = stmt.where(Registration.state.in_(ACTIVE_STATES))
    elif f.state:
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


def totals(forum_id: int, f: Filters) -> tuple[int, int]:
    """(delegates, company registrations) the filter matches, in one query: the list says both."""
    sub = registrations(forum_id, f).order_by(None).with_only_columns(Registration.id, Registration.company_id)
    sub = sub.subquery()
    n, companies = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.distinct(sub.c.company_id)))).one()
    return n, companies


def all_rows(forum_id: int, f: Filters, limit: int) -> list[Registration]:
    """Every row of the filter in the list's order, at most `limit` (the printout)."""
    return list(db.session.scalars(registrations(forum_id, f).limit(limit)))


def participants(forum_id: int, f: Filters, limit: int) -> tuple[list[Registration], int]:
    """Approved delegates matching the filter's other criteria, by country name (in the reader's language)
    then Latin name: the participant list. Returns (at most `limit` of them, how many there are)."""
    f = Filters(**{**f.__dict__, "state": RegState.APPROVED.value})
    total, _companies = totals(forum_id, f)
    rows = db.session.scalars(
        registrations(forum_id, f).order_by(None)
        .order_by(CompanyRegistration.country, Registration.latin_name, Registration.id).limit(limit))
    names = {}
    return sorted(rows, key=lambda r: (names.setdefault(r.company.country, choices.country_name(r.company.country))
                                       .casefold(), r.latin_name.casefold(), r.id)), total


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
