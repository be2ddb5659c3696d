"""Reopening a cancelled forum: the cancellation undone, person by person, once confirmed.

The organizer first sees who would be restored and to what (`preview`), gives a reason and confirms;
`reopen` then, in the organizer's one transaction and under the forum lock, puts the forum back in the
status it had, takes each registration the cancellation cancelled back to the state it had through the
state machine (restore=True), and queues one e-mail per person, in that person's language.

`preview` and `reopen` follow the same plan (`_plan`), so the list the organizer confirmed is the list
that is restored. Capacity still holds: an approved delegate for whom there is no place any more (the
capacity was lowered meanwhile) comes back on the waiting list, and the page and the e-mail say so.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from forum import clock
from forum.accounts.models import User
from forum.audit import services as audit
from forum.audit.models import AuditEntry
from forum.db import db, nfc
from forum.errors import InvalidInput, InvalidState
from forum.forums.models import Forum, ForumStatus
from forum.notifications import services as mail
from forum.registration import states
from forum.registration.models import ACTIVE_STATES, RegState, Registration
from forum.teams import permissions
from forum.teams.models import Permission
from forum.urls import external_url

REASON_MAX = 2000


@dataclass
class Restore:
    reg: Registration
    before: RegState  # what it was when the forum was cancelled
    to: RegState  # what it becomes: `before`, or waitlisted when an approved one finds no place

    @property
    def no_place(self) -> bool:
        return self.before is RegState.APPROVED and self.to is RegState.WAITLISTED


@dataclass
class Plan:
    status: ForumStatus  # what the forum goes back to
    restores: list[Restore] = field(default_factory=list)
    # Cancelled with the forum but staying cancelled: the same person is registered again meanwhile.
    kept: list[Registration] = field(default_factory=list)
    recipients: dict[str, str] = field(default_factory=dict)  # address -> language, each person once
    names: dict[str, str] = field(default_factory=dict)  # address -> the name for the To header
    concerns: dict[str, list[Restore]] = field(default_factory=dict)  # address -> the restores it is told of

    @property
    def people(self) -> int:
        return len(self.recipients)

    @property
    def by_language(self) -> list[tuple[str, int]]:
        return Counter(self.recipients.values()).most_common()

    def count(self, to: RegState) -> int:
        return sum(1 for r in self.restores if r.to is to)

    @property
    def no_place(self) -> int:
        return sum(1 for r in self.restores if r.no_place)


def _cancelled_with_the_forum(forum: Forum) -> list[Registration]:
    # Only what the cancellation cancelled carries state_before_cancellation; a withdrawn or rejected
    # registration was never touched by it, and stays as it is.
    return list(db.session.scalars(
        sa.select(Registration).options(joinedload(Registration.company))
        .where(Registration.forum_id == forum.id, Registration.state == RegState.CANCELLED,
               Registration.state_before_cancellation.is_not(None))
        .order_by(Registration.id)
    ).unique())


def _plan(forum: Forum) -> Plan:
    plan = Plan(status=forum.status_before_cancellation or ForumStatus.PUBLISHED)
    taken = set(db.session.scalars(sa.select(Registration.email).where(
        Registration.forum_id == forum.id, Registration.state.in_(ACTIVE_STATES))))
    places = forum.capacity - states.approved_count(forum.id)
    for reg in _cancelled_with_the_forum(forum):
        if reg.email in taken:
            plan.kept.append(reg)  # the once-per-forum rule: they are registered again already
            continue
        taken.add(reg.email)
        before = reg.state_before_cancellation
        to = before
        if before is RegState.APPROVED:
            if places > 0:
                places -= 1
            else:
                to = RegState.WAITLISTED
        restore = Restore(reg=reg, before=before, to=to)
        plan.restores.append(restore)
        for addr, lang, name in ((reg.email, reg.language, reg.full_name),
                                 (reg.company.contact_email, reg.company.contact_language, reg.company.contact_name)):
            plan.recipients.setdefault(addr, lang)
            plan.names.setdefault(addr, name)
            concerns = plan.concerns.setdefault(addr, [])
            if restore not in concerns:
                concerns.append(restore)
    return plan


def preview(forum: Forum) -> Plan:
    """Who reopening would restore, to which state, and who would be e-mailed in which language."""
    return _plan(forum)


def _waitlisted_at(regs: list[Registration]) -> dict[int, datetime]:
    """When each was last waitlisted before the cancellation, from the audit trail: a waitlisted
    delegate who comes back keeps their place in the line."""
    if not regs:
        return {}
    rows = db.session.execute(
        sa.select(AuditEntry.subject_id, sa.func.max(AuditEntry.at))
        .where(AuditEntry.subject_type == "registration", AuditEntry.subject_id.in_([r.id for r in regs]),
               AuditEntry.action == "state_change", AuditEntry.to_state == RegState.WAITLISTED.value)
        .group_by(AuditEntry.subject_id))
    return {reg_id: at for reg_id, at in rows if at is not None}


def reopen(forum: Forum, *, reason: str, confirmed: bool, by: User) -> Plan:
    """Undo the forum's cancellation: the forum and each registration it cancelled back to what they were."""
    permissions.require(by, forum, Permission.MANAGE)
    reason = nfc(reason) or ""
    if not reason:
        raise InvalidInput(_("Give the reason: everyone restored receives it."), code="reason_required",
                           field="reason")
    if len(reason) > REASON_MAX:
        raise InvalidInput(_("At most %(n)d characters.", n=REASON_MAX), code="reason_too_long", field="reason")
    if not confirmed:
        raise InvalidInput(_("Tick the box to confirm the reopening."), code="not_confirmed", field="confirm")
    forum = states.lock_forum(forum.id)  # registrations and decisions of this forum wait for us
    if forum.status is not ForumStatus.CANCELLED:
        raise InvalidState(_("This forum is not cancelled."), code="not_cancelled")
    now = clock.now()
    if now >= forum.ends_at:
        raise InvalidState(_("This forum's dates are past. Change them first (Edit forum), then reopen it."),
                           code="forum_over")
    plan = _plan(forum)
    cancelled_at, cancellation_reason = forum.cancelled_at, forum.cancellation_reason
    cancellation_reasons = forum.cancellation_reasons
    forum.status, forum.status_before_cancellation = plan.status, None
    # The forum's page stops saying it is cancelled, in every language.
    forum.cancelled_at, forum.cancellation_reason, forum.cancellation_reasons = None, "", None
    db.session.flush()  # transition() re-reads the forum row under its lock: it must find it reopened
    waitlisted_at = _waitlisted_at([r.reg for r in plan.restores if r.to is RegState.WAITLISTED and not r.no_place])
    for r in plan.restores:
        # A waitlisted delegate keeps their place in the line (state_changed_at is the waitlisting time);
        # an approved one without a place joins the end of it.
        states.transition(r.reg, r.to, by=by, reason=reason, restore=True, notify=False, frees_place=False,
                          now=waitlisted_at.get(r.reg.id, now),
                          audit_details={"before_cancellation": r.before.value, **({"no_place": True} if r.no_place else {})})
        r.reg.state_before_cancellation = None
    link = external_url("forums.detail", slug=forum.slug)
    for addr, lang in plan.recipients.items():
        mail.queue("forum_reopened", to=addr, to_name=plan.names[addr], language=lang, forum_id=forum.id,
                   forum=forum, restores=plan.concerns[addr], reason=reason, name=plan.names[addr],
                   link=link)
    audit.record(subject_type="forum", subject_id=forum.id, action="reopened", actor=by, forum_id=forum.id,
                 from_state=ForumStatus.CANCELLED.value, to_state=plan.status.value, reason=reason,
                 restored=len(plan.restores), no_place=plan.no_place, kept=[r.id for r in plan.kept],
                 people=plan.people, cancelled_at=cancelled_at.isoformat() if cancelled_at else None,
                 cancellation_reason=cancellation_reason, cancellation_reasons=cancellation_reasons)
    return plan


__all__ = ["Plan", "Restore", "preview", "reopen"]
