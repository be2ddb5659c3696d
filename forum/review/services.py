"""Organizer decisions on registrations: approve, reject, waitlist, one or many at once."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from forum.teams import permissions
from forum.teams.models import Permission
from forum.accounts.models import User
from forum.db import db
from forum.errors import DomainError, InvalidInput, NotAllowed
from forum.forums.models import Forum, ForumStatus
from forum.registration import states
from forum.audit import services as audit
from forum.registration.models import RegState, Registration

ACTIONS = {"approve": RegState.APPROVED, "reject": RegState.REJECTED, "waitlist": RegState.WAITLISTED,
           "reconsider": RegState.PENDING}  # reconsider: a rejection reverted, back to pending (with a reason)


def allowed_actions(reg: Registration) -> list[str]:
    """The decisions that make sense from this registration's state (the buttons an organizer sees)."""
    if reg.forum.status is ForumStatus.CANCELLED:
        return []  # nothing becomes active again in a cancelled forum (only reopening restores)
    return [name for name, state in ACTIONS.items() if state in states.ALLOWED[reg.state]]


def is_full(forum: Forum) -> bool:
    """Every place is approved: an approval now needs the capacity override (with a reason)."""
    return states.approved_count(forum.id) >= forum.capacity


@dataclass
class BulkResult:
    done: list[Registration] = field(default_factory=list)
    refused: list[tuple[Registration, DomainError]] = field(default_factory=list)


def decide(reg: Registration, action: str, *, by: User, reason: str = "", override_capacity: bool = False) -> None:
    permissions.require(by, reg.forum_id, Permission.REVIEW)
    if action not in ACTIONS:
        raise InvalidInput(_("Unknown action."), code="bad_action")
    states.transition(reg, ACTIONS[action], by=by, reason=reason, override_capacity=override_capacity)


def reconsider(reg: Registration, *, by: User, reason: str) -> None:
    """Revert a rejection: rejected -> pending, with a reason (audited); the delegate is told in their language.

    Not in a cancelled forum (the state machine refuses it under the forum lock)."""
    decide(reg, "reconsider", by=by, reason=reason)


def decide_many(forum: Forum, ids: list[int], action: str, *, by: User, reason: str = "",
                at_most: int = 50) -> BulkResult:
    """Apply one decision to many registrations of this forum, oldest first; at most `at_most` (a page) at once.

    Each is decided on its own rules: those that cannot be (full, already decided) are reported
    back with the reason and left as they were; the others are changed. A rejection without a
    reason is refused for all before anything changes.
    """
    permissions.require(by, forum, Permission.REVIEW)
    if action not in ACTIONS:
        raise InvalidInput(_("Unknown action."), code="bad_action")
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise InvalidInput(_("Select at least one registration."), code="nothing_selected")
    if len(ids) > at_most:
        raise InvalidInput(ngettext("Select at most %(num)d registration at once.",
                                    "Select at most %(num)d registrations at once.", at_most),
                           code="too_many_selected")
    if ACTIONS[action] is RegState.REJECTED and not reason.strip():
        raise InvalidInput(_("Give a reason for the rejection: the company receives it."), code="reason_required",
                           field="reason")
    regs = db.session.scalars(
        sa.select(Registration)
        .where(Registration.forum_id == forum.id, Registration.id.in_(ids))
        .order_by(Registration.created_at, Registration.id)
    ).all()
    result = BulkResult()
    for reg in regs:
        try:
            with db.session.begin_nested():
                states.transition(reg, ACTIONS[action], by=by, reason=reason)
        except DomainError as e:
            result.refused.append((reg, e))
        else:
            result.done.append(reg)
    return result


def confirm_category(reg: Registration, *, by: User) -> None:
    """Grant the privileged category asked for on the public form (speaker, press, VIP); audited."""
    _category_request(reg, by=by, grant=True)


def decline_category(reg: Registration, *, by: User) -> None:
    """Keep the delegate a delegate and drop the request; audited."""
    _category_request(reg, by=by, grant=False)


def _category_request(reg: Registration, *, by: User, grant: bool) -> None:
    permissions.require(by, reg.forum_id, Permission.REVIEW)
    states.lock_forum(reg.forum_id)
    db.session.refresh(reg)  # another organizer may have decided it a moment ago
    requested = reg.requested_category
    if requested is None:
        raise InvalidInput(_("This registration asks for no other category."), code="no_category_request")
    before = reg.category
    if grant:
        reg.category = requested
    reg.requested_category = None
    audit.record(subject_type="registration", subject_id=reg.id,
                 action="category_confirmed" if grant else "category_declined", actor=by, forum_id=reg.forum_id,
                 from_category=before.value, to_category=reg.category.value, requested=requested.value)
