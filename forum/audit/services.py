from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from forum.accounts.models import User
from forum.audit.models import AuditEntry
from forum.db import db


def record(
    *,
    subject_type: str,
    subject_id: int,
    action: str,
    actor: User | None,
    forum_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str = "",
    **details: Any,
) -> AuditEntry:
    entry = AuditEntry(
        subject_type=subject_type,
        subject_id=subject_id,
        action=action,
        actor_id=actor.id if actor is not None and actor.is_authenticated else None,
        forum_id=forum_id,
        from_state=from_state,
        to_state=to_state,
        reason=reason or "",
        details=details,
    )
    db.session.add(entry)
    return entry


def trail(subject_type: str, subject_ids: list[int]) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry).options(joinedload(AuditEntry.actor))
            .where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id.in_(subject_ids))
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )
