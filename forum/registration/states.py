"""The registration state machine. `transition()` is the only code that changes a delegate's state."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy.orm import lazyload

from forum import clock
from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db
from forum.errors import CapacityReached, InvalidInput, InvalidState
from forum.forums.models import Forum, ForumStatus
from forum.registration.models import ACTIVE_STATES, RegState, Registration

S = RegState

# Sent by transition() after every change, inside the transaction and the forum lock, with
# sender=the registration and frm, to, by. Other domains follow a registration's fate through it without
# the state machine knowing them: badges (badges.issuing) issue a badge on approval and revoke it on
# rejection, withdrawal and cancellation. Receivers are connected by the app factory.
signals = Namespace()
state_changed = signals.signal("registration-state-changed")

# transition(reason_code=...): withdrawn because a colleague took the place (registration.substitution).
SUBSTITUTION = "substitution"

ALLOWED: dict[RegState, frozenset[RegState]] = {
    S.PENDING: frozenset({S.APPROVED, S.REJECTED, S.WAITLISTED, S.WITHDRAWN, S.CANCELLED}),
    S.WAITLISTED: frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN, S.CANCELLED}),
    S.APPROVED: frozenset({S.REJECTED, S.WAITLISTED, S.WITHDRAWN, S.CANCELLED}),
    S.REJECTED: frozenset({S.PENDING}),  # reconsidered by a reviewer, with a reason (review.services.reconsider)
    S.WITHDRAWN: frozenset(),
    S.CANCELLED: frozenset(),
}
# Only with restore=True, which only reopening a cancelled forum passes (forums.reopening): a registration
# the cancellation moved to cancelled goes back to the state it had. Not an edge anyone else can take.
RESTORE: frozenset[RegState] = frozenset({S.PENDING, S.WAITLISTED, S.APPROVED})


def lock_forum(forum_id: int) -> Forum:
    """Row-lock the forum: every state change in one forum queues behind this lock.

    On PostgreSQL this is SELECT ... FOR UPDATE; on SQLite the write transaction already holds
    the database lock (BEGIN IMMEDIATE), which serialises just the same.
    """
    forum = db.session.scalars(
        sa.select(Forum).where(Forum.id == forum_id).with_for_update().execution_options(populate_existing=True)
        .options(lazyload(Forum.texts))  # taken once per state change: its texts load only if a page shows them
    ).one()
    return forum


def approved_count(forum_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Registration)
        .where(Registration.forum_id == forum_id, Registration.state == RegState.APPROVED)
    ) or 0


def transition(
    reg: Registration,
    to: RegState,
    *,
    by: User | None,
    reason: str = "",
    override_capacity: bool = False,
    now: datetime | None = None,
    notify: bool = True,
    restore: bool = False,
    frees_place: bool = True,
    reason_code: str = "",
    audit_details: dict | None = None,
) -> None:
    """Move one registration to `to`, or raise. Logs an audit entry and queues the e-mail.

    reason_code: why, in a word, recorded in the audit entry, e.g. SUBSTITUTION: a withdrawal whose place a
        substitute took (registration.substitution). That withdrawal promotes nobody without a flag: the
        substitute is already counted, so no place is free (waitlist.fill_free_places gives at most the free ones).

    restore: take a cancelled registration back to the state it had (RESTORE); only reopening a
        cancelled forum does this, and then only this.
    frees_place: when an approved registration leaves APPROVED, its place is free and goes to the
        waiting list (registration.waitlist, in the forum's waitlist mode), in this transaction and
        under this forum lock. Pass False when the place is not given up but handed over, e.g. a
        delegate withdrawn because a colleague replaces them (a substitution), or when the forum
        itself is cancelled.
    audit_details: more facts for the audit entry (e.g. that the system promoted from the waitlist).
    """
    now = now or clock.now()
    reason = (reason or "").strip()
    forum = lock_forum(reg.forum_id)
    # Re-read under the lock: another worker may have decided this one a moment ago.
    db.session.refresh(reg)
    frm = reg.state
    if to is frm:
        raise InvalidState(_("This registration is already %(state)s.", state=state_label(to)), code="same_state")
    allowed = (RESTORE if frm is S.CANCELLED else frozenset()) if restore else ALLOWED[frm]
    if to not in allowed:
        raise InvalidState(
            _("A registration that is %(from_)s cannot become %(to)s.", from_=state_label(frm), to=state_label(to)),
            code="transition_not_allowed",
        )
    if forum.status is ForumStatus.CANCELLED and to in ACTIVE_STATES:
        # Checked under the lock: no one is pending, approved or waitlisted in a cancelled forum.
        raise InvalidState(_("This forum is cancelled."), code="forum_cancelled")
    if to is S.REJECTED and not reason:
        raise InvalidInput(_("Give a reason for the rejection: the company receives it."),
                           code="reason_required", field="reason")
    if frm is S.REJECTED and not reason:
        raise InvalidInput(_("Give a reason for reconsidering the rejection."), code="reason_required",
                           field="reason")
    overridden = False
    if to is S.APPROVED:
        taken = approved_count(forum.id)
        if taken >= forum.capacity:
            if not override_capacity:
                raise CapacityReached(
                    _("The forum is full: %(taken)d of %(capacity)d places are approved. Waitlist the delegate, "
                      "or override the capacity with a reason.", taken=taken, capacity=forum.capacity),
                    code="capacity_reached",
                )
            if not reason:
                raise InvalidInput(_("Overriding the capacity needs a reason."), code="override_reason_required",
                                   field="reason")
            overridden = True

    reg.state = to
    reg.state_changed_at = now
    reg.decision_reason = reason
    extra = {"capacity_override": True} if overridden else {}
    if reason_code:
        extra["reason_code"] = reason_code
    extra.update(audit_details or {})
    if restore:
        extra["restored"] = True
    audit.record(subject_type="registration", subject_id=reg.id, action="state_change", actor=by,
                 forum_id=forum.id, from_state=frm.value, to_state=to.value, reason=reason, **extra)
    db.session.flush()
    state_changed.send(reg, frm=frm, to=to, by=by, now=now)
    if notify:
        from forum.registration.mails import decision_mail

        decision_mail(reg, to)

    # --- a place given up goes to the waiting list: after the change, inside the same forum lock ---
    if frm is S.APPROVED and frees_place:
        from forum.registration import waitlist

        waitlist.fill_free_places(forum, places=1, skip=reg, place_of=reg.id)


def state_label(state: RegState) -> str:
    return {
        S.PENDING: _("pending"),
        S.APPROVED: _("approved"),
        S.REJECTED: _("rejected"),
        S.WAITLISTED: _("waitlisted"),
        S.WITHDRAWN: _("withdrawn"),
        S.CANCELLED: _("cancelled"),
    }[state]
