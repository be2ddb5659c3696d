"""Forums: creating and editing them, and what the public sees."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

import sqlalchemy as sa
from flask_babel import gettext as _

from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db, nfc
from forum.errors import InvalidInput, NotAllowed
from forum.forums.models import Forum, ForumStatus

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TIMEZONES = frozenset(available_timezones())


@dataclass
class ForumInput:
    """Times are naive forum-local wall-clock times, as typed in the form."""

    slug: str
    title: str
    city: str
    country: str
    timezone: str
    starts_local: datetime
    ends_local: datetime
    opens_local: datetime
    closes_local: datetime
    capacity: int
    venue: str = ""
    description: str = ""
    status: str = ForumStatus.DRAFT.value


def to_utc(local: datetime, zone: str) -> datetime:
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(ZoneInfo("UTC"))


def validate(data: ForumInput, existing: Forum | None) -> dict[str, str]:
    """Every rule the input breaks, as {field name: message}. Saves nothing."""
    return _validate(data, existing)


def _validate(data: ForumInput, existing: Forum | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    data.slug = (data.slug or "").strip().lower()
    data.title, data.city, data.venue = nfc(data.title) or "", nfc(data.city) or "", nfc(data.venue) or ""
    data.description = nfc(data.description) or ""
    if not SLUG_RE.match(data.slug):
        errors["slug"] = _("Use lower-case Latin letters, digits and single hyphens, e.g. astana-2025.")
    else:
        clash = db.session.scalar(sa.select(Forum.id).where(Forum.slug == data.slug))
        if clash is not None and (existing is None or clash != existing.id):
            errors["slug"] = _("Another forum already uses this address.")
    for name in ("title", "city"):
        if not getattr(data, name):
            errors[name] = _("This field is required.")
    if data.timezone not in TIMEZONES:
        errors["timezone"] = _("Choose a time zone from the list, e.g. Asia/Almaty.")
    if data.status not in {s.value for s in ForumStatus}:
        errors["status"] = _("Choose a status from the list.")
    if data.capacity is None or data.capacity < 1:
        errors["capacity"] = _("Capacity must be at least 1.")
    if data.starts_local and data.ends_local and data.ends_local < data.starts_local:
        errors["ends_local"] = _("The forum cannot end before it starts.")
    if data.opens_local and data.closes_local and data.closes_local < data.opens_local:
        errors["closes_local"] = _("Registration cannot close before it opens.")
    if data.closes_local and data.ends_local and data.closes_local > data.ends_local:
        errors["closes_local"] = _("Registration must close before the forum ends.")
    return errors


class ForumFormError(InvalidInput):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_("Please correct the marked fields."), code="invalid_forum")
        self.errors = errors


def save_forum(data: ForumInput, *, by: User, forum: Forum | None = None) -> Forum:
    """Create (forum=None) or update a forum. Local times are converted with the forum's own zone."""
    if not by.is_organizer:
        raise NotAllowed(_("Only organizers can edit forums."), code="not_organizer")
    errors = _validate(data, forum)
    if errors:
        raise ForumFormError(errors)
    creating = forum is None
    before = None if creating else {"status": forum.status.value, "capacity": forum.capacity}
    if creating:
        forum = Forum()
        db.session.add(forum)
    forum.slug, forum.title, forum.city, forum.venue = data.slug, data.title, data.city, data.venue
    forum.country, forum.timezone, forum.capacity = data.country.upper(), data.timezone, data.capacity
    forum.description, forum.status = data.description, ForumStatus(data.status)
    forum.starts_at = to_utc(data.starts_local, data.timezone)
    forum.ends_at = to_utc(data.ends_local, data.timezone)
    forum.registration_opens_at = to_utc(data.opens_local, data.timezone)
    forum.registration_closes_at = to_utc(data.closes_local, data.timezone)
    db.session.flush()
    audit.record(subject_type="forum", subject_id=forum.id, action="created" if creating else "updated",
                 actor=by, forum_id=forum.id, from_state=before["status"] if before else None,
                 to_state=forum.status.value)
    if before and before["status"] != ForumStatus.CANCELLED.value and forum.status is ForumStatus.CANCELLED:
        cancel_registrations(forum, by=by)
    return forum


def cancel_registrations(forum: Forum, *, by: User) -> int:
    """The forum is cancelled: every active registration becomes cancelled, and every delegate and
    contact person is told once, in their own language, through the outbox. Returns how many."""
    from forum.notifications import services as mail
    from forum.registration import states
    from forum.registration.models import ACTIVE_STATES, RegState, Registration
    from forum.urls import external_url

    regs = db.session.scalars(
        sa.select(Registration).where(Registration.forum_id == forum.id, Registration.state.in_(ACTIVE_STATES))
    ).all()
    recipients: dict[str, str] = {}
    for reg in regs:
        states.transition(reg, RegState.CANCELLED, by=by, reason=_("The forum has been cancelled."), notify=False)
        recipients.setdefault(reg.email, reg.user.language if reg.user else "en")
        contact = reg.company.contact_user
        recipients.setdefault(reg.company.contact_email, contact.language if contact else "en")
    link = external_url("forums.detail", slug=forum.slug)
    for addr, lang in recipients.items():
        mail.queue("forum_cancelled", to=addr, language=lang, forum_id=forum.id, forum=forum, link=link)
    return len(regs)


def public_forums() -> list[Forum]:
    return list(db.session.scalars(
        sa.select(Forum).where(Forum.status != ForumStatus.DRAFT).order_by(Forum.starts_at)
    ))


def all_forums() -> list[Forum]:
    return list(db.session.scalars(sa.select(Forum).order_by(Forum.starts_at.desc())))


def get_public(slug: str, viewer: User | None) -> Forum | None:
    forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
    if forum is None:
        return None
    if not forum.is_public and not (viewer is not None and viewer.is_authenticated and viewer.is_organizer):
        return None
    return forum
