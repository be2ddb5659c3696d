"""Cancelling a forum: its own confirmed action, because it tells every registrant at once.

The organizer first sees what will happen (`preview`), gives a reason and confirms; `cancel` then
cancels every active registration through the state machine and queues one e-mail per person, in
that person's language, all in the organizer's one transaction.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from forum import clock
from forum.teams import permissions
from forum.teams.models import Permission
from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db, nfc
from forum.errors import InvalidInput, InvalidState, NotAllowed
from forum.forums.models import Forum, ForumStatus
from forum.notifications import services as mail
from forum.registration import states
from forum.registration.models import ACTIVE_STATES, RegState, Registration
from forum.urls import external_url

REASON_MAX = 2000


@dataclass
class Preview:
    registrations: int = 0
    # address -> language: each person once, whether delegate, contact person or both
    recipients: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # address -> the name for the To header

    @property
    def people(self) -> int:
        return len(self.recipients)

    @property
    def by_language(self) -> list[tuple[str, int]]:
        return Counter(self.recipients.values()).most_common()


def _active(forum: Forum) -> list[Registration]:
    return list(db.session.scalars(
        sa.select(Registration).options(joinedload(Registration.company))
        .where(Registration.forum_id == forum.id, Registration.state.in_(ACTIVE_STATES))
        .order_by(Registration.id)
    ).unique())


def _preview(regs: list[Registration]) -> Preview:
    p = Preview(registrations=len(regs))
    for reg in regs:
        for addr, lang, name in ((reg.email, reg.language, reg.full_name),
                                 (reg.company.contact_email, reg.company.contact_language, reg.company.contact_name)):
            p.recipients.setdefault(addr, lang)
            p.names.setdefault(addr, name)
    return p


def preview(forum: Forum) -> Preview:
    """How many registrations a cancellation would cancel, and who would be e-mailed in which language."""
    return _preview(_active(forum))


def cancel(forum: Forum, *, reason: str, confirmed: bool, by: User) -> Preview:
    """Cancel the forum and every active registration; tell each person once. Returns what was done."""
    permissions.require(by, forum, Permission.MANAGE)
    reason = nfc(reason) or ""
    if not reason:
        raise InvalidInput(_("Give the reason: every registrant receives it."), code="reason_required", field="reason")
    if len(reason) > REASON_MAX:
        raise InvalidInput(_("At most %(n)d characters.", n=REASON_MAX), code="reason_too_long", field="reason")
    if not confirmed:
        raise InvalidInput(_("Tick the box to confirm the cancellation."), code="not_confirmed", field="confirm")
    forum = states.lock_forum(forum.id)  # registrations and decisions of this forum wait for us
    if forum.status is ForumStatus.CANCELLED:
        raise InvalidState(_("This forum is already cancelled."), code="already_cancelled")
    if forum.status is ForumStatus.HELD:
        raise InvalidState(_("This forum has already taken place."), code="forum_held")
    before = forum.status
    now = clock.now()
    regs = _active(forum)
    done = _preview(regs)
    forum.status, forum.cancelled_at, forum.cancellation_reason = ForumStatus.CANCELLED, now, reason
    forum.status_before_cancellation = before  # what reopening (forums.reopening) goes back to
    for reg in regs:
        was = reg.state  # read under the forum lock: it is what transition() finds too
        # frees_place=False: the forum is going, so no place goes to its waiting list.
        states.transition(reg, RegState.CANCELLED, by=by, reason=_("The forum has been cancelled."), now=now,
                          notify=False, frees_place=False)
        reg.state_before_cancellation = was
    link = external_url("forums.detail", slug=forum.slug)
    for addr, lang in done.recipients.items():
        mail.queue("forum_cancelled", to=addr, to_name=done.names[addr], language=lang, forum_id=forum.id,
                   forum=forum, link=link)
    audit.record(subject_type="forum", subject_id=forum.id, action="cancelled", actor=by, forum_id=forum.id,
                 from_state=before.value, to_state=ForumStatus.CANCELLED.value, reason=reason,
                 registrations=done.registrations, people=done.people)
    return done


__all__ = ["Preview", "preview", "cancel"]
