"""The waiting list: its order, and what happens to a place that is given up.

The rule lives in one function, `fill_free_places`: each place given up (an approved delegate withdrawn,
rejected, waitlisted or cancelled on their own; the capacity raised) goes to the first waitlisted
delegate, in the order they were waitlisted (`state_changed_at` while waitlisted, then id), as long as
the forum has a free place, and only in the forum's "auto" mode. Places that were never taken (a forum
that is not full) are not handed out by themselves: they stay for the organizers' review of pending
registrations. In "ask" mode nothing happens by itself: the organizers are shown the free places and
the first in line (`offer`), and promote with one click (`promote`).

It runs after the change that freed the place, in the same transaction and under the same forum lock
(states.transition takes it; so does forums.services.save_forum): two places freed at the same moment
go to two different people, each once.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from forum import clock
from forum.accounts.models import User
from forum.db import db
from forum.errors import InvalidState
from forum.forums.models import Forum, ForumStatus, WaitlistMode
from forum.registration import mails, states
from forum.registration.models import RegState, Registration
from forum.teams import permissions
from forum.teams.models import Permission

# The audit entry of a promotion says so (its actor is None when the system did it).
PROMOTION = "waitlist promotion"
ORDER = (Registration.state_changed_at, Registration.id)


def _queue(forum_id: int) -> sa.Select:
    return (sa.select(Registration)
            .where(Registration.forum_id == forum_id, Registration.state == RegState.WAITLISTED)
            .order_by(*ORDER))


def first_in_line(forum_id: int, *, skip_id: int | None = None) -> Registration | None:
    query = _queue(forum_id)
    if skip_id is not None:
        query = query.where(Registration.id != skip_id)
    return db.session.scalars(query.limit(1)).first()


def waiting(forum_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Registration)
        .where(Registration.forum_id == forum_id, Registration.state == RegState.WAITLISTED)) or 0


def positions(forum_ids: list[int] | set[int]) -> dict[int, int]:
    """{registration id: its place on its forum's waiting list, from 1}, for every waitlisted one, in one query."""
    if not forum_ids:
        return {}
    number = sa.func.row_number().over(partition_by=Registration.forum_id, order_by=ORDER).label("n")
    rows = db.session.execute(
        sa.select(Registration.id, number)
        .where(Registration.forum_id.in_(list(forum_ids)), Registration.state == RegState.WAITLISTED))
    return {reg_id: n for reg_id, n in rows}


def position(reg: Registration) -> int | None:
    """Its place in line, or None when it is not waitlisted (one query either way: pages cost the same)."""
    return positions([reg.forum_id]).get(reg.id)


def free_places(forum: Forum) -> int:
    return max(0, forum.capacity - states.approved_count(forum.id))


def _gives_places(forum: Forum) -> bool:
    """A forum that is cancelled, has taken place or is over has no place to give."""
    return forum.status not in (ForumStatus.CANCELLED, ForumStatus.HELD) and clock.now() < forum.ends_at


def fill_free_places(forum: Forum, *, places: int, skip: Registration | None = None,
                     **cause: object) -> list[Registration]:
    """Give up to `places` given-up places to the first waitlisted delegates ("auto" mode only); returns them.

    Never more than the forum's free places (a forum approved over its capacity by an override gives
    none); `skip` is the registration that just gave its place up (waitlisted, it is not given it back).
    Each promotion goes through states.transition (capacity checked), is audited with the system as
    the actor, and the delegate and their contact person are told. `cause` goes into the audit entry.
    """
    if places <= 0 or forum.waitlist_mode is not WaitlistMode.AUTO:
        return []
    forum = states.lock_forum(forum.id)  # held already by every caller; taken here so that it always is
    if not _gives_places(forum):
        return []
    promoted: list[Registration] = []
    for _i in range(min(places, free_places(forum))):
        reg = first_in_line(forum.id, skip_id=skip.id if skip is not None else None)
        if reg is None:
            break
        _promote(reg, by=None, **cause)
        promoted.append(reg)
    return promoted


def _promote(reg: Registration, *, by: User | None, **cause: object) -> None:
    states.transition(reg, RegState.APPROVED, by=by, notify=False,
                      reason=_("A place became free: approved from the waiting list."),
                      audit_details={"detail": PROMOTION, **cause})
    mails.promotion_mail(reg)


@dataclass
class Offer:
    """What the organizers of an "ask" forum are shown: free places, and whom to promote first."""

    free: int
    first: Registration
    waiting: int


def offer(forum: Forum) -> Offer | None:
    """'1 place free — promote Ms Tanaka?': only in "ask" mode, with a free place and someone waiting."""
    if forum.waitlist_mode is not WaitlistMode.ASK or not _gives_places(forum):
        return None
    first = first_in_line(forum.id)
    if first is None:
        return None
    free = free_places(forum)
    if free <= 0:
        return None
    return Offer(free=free, first=first, waiting=waiting(forum.id))


def promote(forum: Forum, reg: Registration, *, by: User) -> None:
    """The organizers' one click: the first waitlisted delegate takes a free place, and is told."""
    permissions.require(by, forum, Permission.REVIEW)
    forum = states.lock_forum(forum.id)
    db.session.refresh(reg)
    if reg.forum_id != forum.id or reg.state is not RegState.WAITLISTED:
        raise InvalidState(_("%(name)s is not on the waiting list any more.", name=reg.full_name),
                           code="not_waitlisted")
    first = first_in_line(forum.id)
    if first is not None and first.id != reg.id:
        raise InvalidState(_("The waiting list has changed: %(name)s is first now.", name=first.full_name),
                           code="not_first_in_line")
    _promote(reg, by=by)
