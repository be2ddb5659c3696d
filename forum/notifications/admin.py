"""What organizers see of the outbox, and failed mail put back in the queue.

Mail that exhausted MAIL_MAX_ATTEMPTS stays in the outbox as `failed`, with the last error. An
organizer (the forum's mail page) or an operator (`forum mail retry-failed`) re-queues it: one
message, or every failed one of a kind (its template). Re-queueing starts its count of attempts
afresh, makes it due now and clears any claim; its last error stays visible until it is sent.

The change is one conditional UPDATE (`WHERE status = 'failed'`): a message that is no longer
failed (re-queued by someone else a moment ago) is left alone, and no worker's claim is touched.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from forum import clock
from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db
from forum.errors import InvalidState
from forum.notifications.models import MailStatus, OutboxMessage

# What each mail template is, in words an organizer reads; a template missing here shows its name.
KINDS = {
    "registration_received": _l("Registration received"),
    "delegate_registered": _l("Delegate registered"),
    "registered_approved": _l("Registered and approved"),
    "approved": _l("Registration approved"),
    "rejected": _l("Registration rejected"),
    "waitlisted": _l("Put on the waiting list"),
    "late_received": _l("Late entry received"),
    "late_decided": _l("Late entry decided"),
    "invitation": _l("Late-entry invitation"),
    "forum_cancelled": _l("Forum cancelled"),
    "password_reset": _l("Password link"),
    "announcement": _l("Message to registrants"),
}

STATUS_LABELS = {
    MailStatus.QUEUED: _l("queued"),
    MailStatus.SENDING: _l("sending"),
    MailStatus.SENT: _l("sent"),
    MailStatus.FAILED: _l("failed"),
}


def kind_label(template: str) -> str:
    return str(KINDS.get(template, template))


def status_label(status: MailStatus) -> str:
    return str(STATUS_LABELS[status])


def parse_status(raw: str | None) -> MailStatus | None:
    """?status=failed -> MailStatus.FAILED; anything unknown filters nothing."""
    try:
        return MailStatus(raw) if raw else None
    except ValueError:
        return None


def forum_mail(forum_id: int, status: MailStatus | None = None) -> sa.Select:
    """The forum's mail for its organizers: failed first (they need someone), then the newest."""
    q = sa.select(OutboxMessage).where(OutboxMessage.forum_id == forum_id)
    if status is not None:
        q = q.where(OutboxMessage.status == status)
    failed_first = sa.case((OutboxMessage.status == MailStatus.FAILED, 0), else_=1)
    return q.order_by(failed_first, OutboxMessage.id.desc())


def status_counts(forum_id: int) -> dict[MailStatus, int]:
    counts = dict.fromkeys(MailStatus, 0)
    for status, n in db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count()).where(OutboxMessage.forum_id == forum_id)
        .group_by(OutboxMessage.status)
    ):
        counts[status] = n
    return counts


def failed_kinds(forum_id: int) -> list[tuple[str, int]]:
    """(template, how many failed) for each kind of the forum's mail that has failed messages."""
    return [tuple(row) for row in db.session.execute(
        sa.select(OutboxMessage.template, sa.func.count())
        .where(OutboxMessage.forum_id == forum_id, OutboxMessage.status == MailStatus.FAILED)
        .group_by(OutboxMessage.template).order_by(OutboxMessage.template)
    )]


def _requeue(where: list[Any], *, by: User | None, **details: Any) -> list[int]:
    """Failed -> queued for the messages matching `where`; one audit entry per message. Returns their ids."""
    done = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.status == MailStatus.FAILED, *where)
        .values(status=MailStatus.QUEUED, attempts=0, next_attempt_at=clock.now(), claimed_by=None,
                lease_expires_at=None)
        .returning(OutboxMessage.id, OutboxMessage.forum_id, OutboxMessage.template)
        .execution_options(synchronize_session=False)
    ).all()
    for msg_id, forum_id, template in done:
        audit.record(subject_type="mail", subject_id=msg_id, action="requeued", actor=by, forum_id=forum_id,
                     from_state=MailStatus.FAILED.value, to_state=MailStatus.QUEUED.value, template=template,
                     **details)
    return sorted(msg_id for msg_id, _forum, _template in done)


def requeue(msg: OutboxMessage, *, by: User | None) -> None:
    """One failed message back in the queue, due now, with a fresh count of attempts."""
    if not _requeue([OutboxMessage.id == msg.id], by=by, via="web"):
        raise InvalidState(_("Only failed mail can be queued again."), code="not_failed")
    db.session.expire(msg)


def requeue_failed(*, forum_id: int | None = None, template: str | None = None, by: User | None = None,
                   via: str = "web") -> list[int]:
    """Every failed message (of one forum, of one kind, or both) back in the queue; returns their ids.

    None failed is not an error: there is simply nothing to do (the caller says so).
    """
    where: list[Any] = []
    if forum_id is not None:
        where.append(OutboxMessage.forum_id == forum_id)
    if template:
        where.append(OutboxMessage.template == template)
    ids = _requeue(where, by=by, bulk=True, kind=template or "", via=via)
    if ids:
        db.session.expire_all()  # loaded messages must not show the old state
    return ids
