"""Read-side queries of the door: who arrived, who is inside, what was refused (the scanner and the dashboard)."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from forum.badges.models import Badge
from forum.db import db
from forum.forums.models import Forum
from forum.registration.models import RegState, Registration


@dataclass(frozen=True)
class Arrivals:
    arrived: int  # approved delegates who have entered at least once
    expected: int  # approved delegates
    present: int  # approved delegates inside now


def arrivals(forum: Forum) -> Arrivals:
    """"Arrived N of M" for the scanner, and the dashboard's headline: approved delegates only (team badges
    are not counted)."""
    approved = sa.and_(Registration.forum_id == forum.id, Registration.state == RegState.APPROVED)
    expected = db.session.scalar(sa.select(sa.func.count()).select_from(Registration).where(approved)) or 0
    row = db.session.execute(
        sa.select(sa.func.count(Badge.first_checked_in_at), sa.func.count().filter(Badge.inside))
        .select_from(Badge).join(Registration, Registration.id == Badge.registration_id)
        .where(approved, Badge.revoked_at.is_(None))
    ).one()
    return Arrivals(arrived=row[0] or 0, expected=expected, present=row[1] or 0)
