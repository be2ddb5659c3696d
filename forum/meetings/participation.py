"""Who takes part in a forum's B2B meetings, and the forum's B2B settings: the one place that decides it.

A delegate takes part when they are approved, their company consented to the directory, and they have not
opted out (`MeetingPrefs.opted_out`), in a forum whose B2B is enabled and not cancelled.
"""
from __future__ import annotations

import sqlalchemy as sa

from forum.db import db
from forum.forums.models import Forum, ForumStatus
from forum.meetings.models import B2BSettings, MeetingPrefs
from forum.registration.models import CompanyRegistration, RegState, Registration


def settings(forum: Forum | int) -> B2BSettings:
    """The forum's B2B settings, created with the defaults the first time they are needed (flushed)."""
    forum_id = forum if isinstance(forum, int) else forum.id
    found = db.session.scalar(sa.select(B2BSettings).where(B2BSettings.forum_id == forum_id))
    if found is None:
        found = B2BSettings(forum_id=forum_id)
        db.session.add(found)
        db.session.flush()
    return found


def prefs(reg: Registration) -> MeetingPrefs | None:
    return db.session.scalar(sa.select(MeetingPrefs).where(MeetingPrefs.registration_id == reg.id))


def prefs_for_update(reg: Registration) -> MeetingPrefs:
    found = prefs(reg)
    if found is None:
        found = MeetingPrefs(registration_id=reg.id)
        db.session.add(found)
        db.session.flush()
    return found


def participants_filter():
    """SQL condition on Registration (joined with its CompanyRegistration): this delegate takes part."""
    opted_out = sa.exists().where(MeetingPrefs.registration_id == Registration.id, MeetingPrefs.opted_out.is_(True))
    return sa.and_(Registration.state == RegState.APPROVED, CompanyRegistration.directory_consent.is_(True),
                   ~opted_out)


def participants(forum: Forum) -> list[Registration]:
    """The forum's B2B participants, in a stable order (by id)."""
    if not b2b_open(forum):
        return []
    return list(db.session.scalars(
        sa.select(Registration).join(CompanyRegistration, CompanyRegistration.id == Registration.company_id)
        .where(Registration.forum_id == forum.id, participants_filter()).order_by(Registration.id)))


def b2b_open(forum: Forum) -> bool:
    """Whether the forum's B2B runs at all: enabled, and the forum neither cancelled nor postponed."""
    if forum.status in (ForumStatus.CANCELLED, ForumStatus.POSTPONED):
        return False
    s = db.session.scalar(sa.select(B2BSettings).where(B2BSettings.forum_id == forum.id))
    return s is None or s.enabled


def takes_part(reg: Registration | None) -> bool:
    if reg is None or reg.state is not RegState.APPROVED or not reg.company.directory_consent:
        return False
    p = prefs(reg)
    if p is not None and p.opted_out:
        return False
    return b2b_open(reg.forum)


def max_meetings(reg: Registration) -> int:
    """The delegate's cap: their own when they set one, else the forum's default."""
    p = prefs(reg)
    if p is not None and p.max_meetings is not None:
        return p.max_meetings
    return settings(reg.forum_id).default_max_meetings


def my_participations(user) -> list[Registration]:
    """The user's registrations that take part in some forum's B2B (approved, consented, not opted out)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    regs = db.session.scalars(
        sa.select(Registration).join(CompanyRegistration, CompanyRegistration.id == Registration.company_id)
        .where(Registration.user_id == user.id, participants_filter()).order_by(Registration.id))
    return [r for r in regs if b2b_open(r.forum)]


def participation_in(user, forum: Forum) -> Registration | None:
    """The user's participating registration in this forum, if any (a user is one delegate per forum)."""
    return next((r for r in my_participations(user) if r.forum_id == forum.id), None)
