"""Issuing, reissuing and revoking badges: every rule about a badge's life, in one place.

- A registration gets its badge when it is approved (the registration state machine's `state_changed`
  signal, connected by the app factory through `connect_signals`), and any approved registration that
  has none yet (approved before badges existed, or a substitute) gets one the first time the forum's
  badges are needed (`ensure_badges`, `badge_for`).
- Rejection, withdrawal and cancellation of the registration (alone or with its forum) revoke its badge;
  so does reissuing it (a lost badge, a corrected name), which issues a new one in the same transaction.
- A team member gets an ORGANIZER (manage permission) or STAFF badge on request (`team_badge`).
- Reissue and revocation are audited; issuing on approval is not (the approval is).
- The revoked tokens of a forum (`revoked_tokens`) are what an offline scanner downloads.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from forum import clock
from forum.accounts.models import User
from forum.audit import services as audit
from forum.badges import keys, tokens
from forum.badges.models import Badge, RevokeReason, TeamRole
from forum.db import db, nfc
from forum.errors import InvalidInput, InvalidState
from forum.forums.models import Forum
from forum.registration.models import CompanyRegistration, RegState, Registration
from forum.teams import permissions
from forum.teams.models import Permission, TeamMember

# A registration leaving for one of these states loses its badge, for this reason.
REVOKED_BY_STATE = {
    RegState.REJECTED: RevokeReason.REJECTED,
    RegState.WITHDRAWN: RevokeReason.WITHDRAWN,
    RegState.CANCELLED: RevokeReason.CANCELLED,
}
REASON_MAX = 500


def _new_badge(forum: Forum, *, by: User | None, now: datetime, **holder) -> Badge:
    badge_id = tokens.new_badge_id()
    badge = Badge(forum_id=forum.id, code=badge_id.hex(), token=tokens.sign(keys.key_pair(forum), badge_id),
                  issued_at=now, issued_by_id=by.id if by else None, **holder)
    db.session.add(badge)
    return badge


def live_badge(reg: Registration) -> Badge | None:
    return db.session.scalar(sa.select(Badge).where(Badge.registration_id == reg.id, Badge.revoked_at.is_(None)))


def latest_revoked_by_organizer():
    """SQL: the registration's newest badge was revoked by an organizer (`revoke`), not replaced since."""
    newer = aliased(Badge)
    return sa.exists().where(
        Badge.registration_id == Registration.id, Badge.revoked_reason == RevokeReason.MANUAL,
        ~sa.exists().where(newer.registration_id == Registration.id, newer.id > Badge.id))


def revoked_by_organizer(reg: Registration) -> bool:
    """Whether an organizer revoked the registration's badge and none was issued since: then no new badge
    comes by itself (`badge_for`, `ensure_badges`), only by `issue_again`."""
    return bool(db.session.scalar(sa.select(latest_revoked_by_organizer().where(Registration.id == reg.id))))


def badge_for(reg: Registration, *, by: User | None = None, now: datetime | None = None,
              again: bool = False) -> Badge:
    """The registration's live badge, issued now if it has none. Only an approved registration has one, and
    one whose badge an organizer revoked gets a new one only `again` (an approval, `issue_again`)."""
    if reg.state is not RegState.APPROVED:
        raise InvalidState(_("Only an approved delegate has a badge."), code="not_approved")
    badge = live_badge(reg)
    if badge is not None:
        return badge
    if not again and revoked_by_organizer(reg):
        raise InvalidState(_("The organizers revoked this badge."), code="badge_revoked")
    try:
        with db.session.begin_nested():
            badge = _new_badge(reg.forum, by=by, now=now or clock.now(), registration_id=reg.id)
            db.session.flush()
    except IntegrityError:  # another request issued it a moment ago: the partial unique index decided
        badge = live_badge(reg)
        if badge is None:
            raise
    return badge


def ensure_badges(forum: Forum, *, now: datetime | None = None) -> int:
    """Issue a badge to every approved registration of the forum that has none. Returns how many were issued."""
    now = now or clock.now()
    missing = list(db.session.scalars(
        sa.select(Registration).where(
            Registration.forum_id == forum.id, Registration.state == RegState.APPROVED,
            ~sa.exists().where(Badge.registration_id == Registration.id, Badge.revoked_at.is_(None)),
            ~latest_revoked_by_organizer(),  # an organizer's revocation stands until one issues it again
        ).order_by(Registration.id)
    ))
    if not missing:
        return 0
    pair = keys.key_pair(forum)
    try:
        with db.session.begin_nested():
            for reg in missing:
                badge_id = tokens.new_badge_id()
                db.session.add(Badge(forum_id=forum.id, code=badge_id.hex(), token=tokens.sign(pair, badge_id),
                                     issued_at=now, registration_id=reg.id))
            db.session.flush()
    except IntegrityError:
        # Another request issued some of them at the same moment: do the rest one by one.
        return sum(1 for reg in missing if live_badge(reg) is None and badge_for(reg, now=now))
    return len(missing)


def live_delegate_badges(forum: Forum) -> int:
    """How many delegates' badges of the forum are live (team badges not counted)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Badge).where(
        Badge.forum_id == forum.id, Badge.registration_id.is_not(None), Badge.revoked_at.is_(None))) or 0


def _revoke(badge: Badge, reason: RevokeReason, *, by: User | None, now: datetime, note: str = "") -> None:
    badge.revoked_at = now
    badge.revoked_reason = reason
    badge.revoked_by_id = by.id if by else None
    audit.record(subject_type="registration" if badge.registration_id else "user",
                 subject_id=badge.registration_id or badge.user_id, action="badge_revoked", actor=by,
                 forum_id=badge.forum_id, reason=note, badge=badge.code, revoked_reason=reason.value)


def reissue(badge: Badge, *, by: User, reason: str = "", now: datetime | None = None) -> Badge:
    """Replace a live badge (lost, name corrected): the old token is refused from now on, the new one works.
    Presence at the venue carries over. Needs the forum's review permission (a team badge: manage)."""
    now = now or clock.now()
    permissions.require(by, badge.forum_id, Permission.REVIEW if badge.registration_id else Permission.MANAGE)
    reason = nfc(reason) or ""
    if len(reason) > REASON_MAX:
        raise InvalidInput(_("At most %(n)d characters.", n=REASON_MAX), code="reason_too_long", field="reason")
    old = db.session.scalars(sa.select(Badge).where(Badge.id == badge.id).with_for_update()
                             .execution_options(populate_existing=True)).one()
    if old.revoked_at is not None:
        raise InvalidState(_("This badge was revoked already; reissue the delegate's current badge."),
                           code="badge_revoked")
    if old.registration is not None and old.registration.state is not RegState.APPROVED:
        raise InvalidState(_("Only an approved delegate has a badge."), code="not_approved")
    holder = ({"registration_id": old.registration_id} if old.registration_id
              else {"user_id": old.user_id, "team_role": old.team_role})
    # Revoke first (and flush) so that the partial unique index admits the new live badge.
    _revoke(old, RevokeReason.REISSUED, by=by, now=now, note=reason)
    db.session.flush()
    new = _new_badge(old.forum, by=by, now=now, replaces_id=old.id, **holder)
    new.first_checked_in_at = old.first_checked_in_at
    new.first_checked_in_device = old.first_checked_in_device
    new.inside = old.inside
    db.session.flush()
    audit.record(subject_type="registration" if new.registration_id else "user",
                 subject_id=new.registration_id or new.user_id, action="badge_reissued", actor=by,
                 forum_id=new.forum_id, reason=reason, badge=new.code, replaces=old.code)
    return new


def revoke(badge: Badge, *, by: User, reason: str, now: datetime | None = None) -> None:
    """An organizer withdraws a badge without replacing it (e.g. it was stolen and the delegate left)."""
    permissions.require(by, badge.forum_id, Permission.REVIEW if badge.registration_id else Permission.MANAGE)
    reason = nfc(reason) or ""
    if not reason:
        raise InvalidInput(_("Give the reason: it is kept in the log."), code="reason_required", field="reason")
    if len(reason) > REASON_MAX:
        raise InvalidInput(_("At most %(n)d characters.", n=REASON_MAX), code="reason_too_long", field="reason")
    if badge.revoked_at is not None:
        raise InvalidState(_("This badge was revoked already."), code="badge_revoked")
    _revoke(badge, RevokeReason.MANUAL, by=by, now=now or clock.now(), note=reason)
    db.session.flush()


def issue_again(reg: Registration, *, by: User, reason: str = "", now: datetime | None = None) -> Badge:
    """A new badge for an approved delegate whose badge an organizer revoked (they are back after all)."""
    permissions.require(by, reg.forum_id, Permission.REVIEW)
    reason = nfc(reason) or ""
    if len(reason) > REASON_MAX:
        raise InvalidInput(_("At most %(n)d characters.", n=REASON_MAX), code="reason_too_long", field="reason")
    if live_badge(reg) is not None:
        raise InvalidState(_("This delegate has a badge already; reissue it instead."), code="has_badge")
    badge = badge_for(reg, by=by, now=now, again=True)
    audit.record(subject_type="registration", subject_id=reg.id, action="badge_issued_again", actor=by,
                 forum_id=reg.forum_id, reason=reason, badge=badge.code)
    return badge


def team_badge(forum: Forum, user: User, *, by: User, now: datetime | None = None) -> Badge:
    """The live ORGANIZER or STAFF badge of a member of the forum's team, issued now if they have none."""
    permissions.require(by, forum, Permission.MANAGE)
    member = db.session.scalar(sa.select(TeamMember).where(TeamMember.forum_id == forum.id,
                                                           TeamMember.user_id == user.id))
    if member is None:
        raise InvalidState(_("Only members of the forum's team get an organizer or staff badge."),
                           code="not_on_team")
    role = TeamRole.ORGANIZER if member.manage else TeamRole.STAFF
    existing = db.session.scalar(sa.select(Badge).where(Badge.forum_id == forum.id, Badge.user_id == user.id,
                                                        Badge.revoked_at.is_(None)))
    if existing is not None:
        return existing
    badge = _new_badge(forum, by=by, now=now or clock.now(), user_id=user.id, team_role=role)
    db.session.flush()
    return badge


def revoked_tokens(forum: Forum) -> list[str]:
    """Every revoked token of the forum, oldest first: what a scanner refuses even offline."""
    return list(db.session.scalars(sa.select(Badge.token).where(Badge.forum_id == forum.id,
                                                                Badge.revoked_at.is_not(None))
                                   .order_by(Badge.revoked_at, Badge.id)))


def live_badges(forum: Forum, *, team: bool = False) -> list[Badge]:
    """The forum's live delegate badges, with registration and company loaded (for printing and scanners); with
    `team`, the live organizer and staff badges too, with their holders. One query."""
    query = sa.select(Badge).options(joinedload(Badge.registration).joinedload(Registration.company))
    where = [Badge.forum_id == forum.id, Badge.revoked_at.is_(None)]
    if team:
        query = query.options(joinedload(Badge.user))
    else:
        where.append(Badge.registration_id.is_not(None))
    return list(db.session.scalars(query.where(*where).order_by(Badge.id)).unique())


def fingerprint(badge: Badge) -> str:
    """A digest of what the badge prints: when it differs from `printed_fingerprint`, the printout is stale."""
    reg = badge.registration
    if reg is not None:
        company: CompanyRegistration = reg.company
        parts = [reg.full_name, reg.latin_name, reg.position, company.legal_name, company.name_en,
                 company.country, reg.category.value]
    else:
        parts = [badge.user.display_name if badge.user else "", badge.category]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def mark_printed(badges: list[Badge], *, now: datetime | None = None) -> None:
    now = now or clock.now()
    for badge in badges:
        badge.printed_at = now
        badge.printed_fingerprint = fingerprint(badge)
    db.session.flush()


def _on_state_changed(reg: Registration, *, frm: RegState, to: RegState, by: User | None, now: datetime,
                      **_kw) -> None:
    if to is RegState.APPROVED:
        badge_for(reg, by=by, now=now, again=True)  # an approval is an organizer's decision
    elif to in REVOKED_BY_STATE:
        badge = live_badge(reg)
        if badge is not None:
            _revoke(badge, REVOKED_BY_STATE[to], by=by, now=now)
            db.session.flush()


def connect_signals() -> None:
    """Follow registrations' state changes (called by the app factory; connecting twice is harmless)."""
    from forum.registration import states

    states.state_changed.connect(_on_state_changed)
