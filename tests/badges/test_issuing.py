"""A badge's life: issued on approval, revoked on rejection, withdrawal and cancellation, reissued with a new
token; the revoked list; team badges; audit of reissue and revocation (issue 8, section 1)."""
import pytest
import sqlalchemy as sa

from forum.audit.models import AuditEntry
from forum.badges import issuing, keys, tokens
from forum.badges.models import Badge, RevokeReason, TeamRole
from forum.errors import InvalidInput, InvalidState, NotAllowed
from forum.forums import cancellation
from forum.registration import states
from forum.registration.models import RegState
from forum.teams.models import Permission
from tests import factories as f


def _badges(reg):
    from forum.db import db

    return list(db.session.scalars(sa.select(Badge).where(Badge.registration_id == reg.id).order_by(Badge.id)))


def test_approval_issues_one_badge_whose_token_verifies_with_the_forums_key(db):
    forum = f.forum()
    reg = f.registration_(forum)
    assert _badges(reg) == []
    states.transition(reg, RegState.APPROVED, by=None, notify=False)
    (badge,) = _badges(reg)
    assert badge.is_live and badge.forum_id == forum.id
    assert tokens.verify(keys.public_key(forum), badge.token) == badge.badge_id
    assert len(badge.token) == tokens.TOKEN_CHARS and badge.token.isascii()
    assert issuing.badge_for(reg) is badge  # asking again gives the same one


def test_a_pending_delegate_has_no_badge(db):
    reg = f.registration_(f.forum())
    with pytest.raises(InvalidState) as e:
        issuing.badge_for(reg)
    assert e.value.code == "not_approved"


@pytest.mark.parametrize("to,reason", [(RegState.REJECTED, RevokeReason.REJECTED),
                                       (RegState.WITHDRAWN, RevokeReason.WITHDRAWN),
                                       (RegState.CANCELLED, RevokeReason.CANCELLED)])
def test_rejection_withdrawal_and_cancellation_revoke_the_badge_and_log_it(db, to, reason):
    forum = f.forum()
    reg = f.approved(forum)
    (badge,) = _badges(reg)
    states.transition(reg, to, by=None, reason="a reason", notify=False)
    assert badge.revoked_at is not None and badge.revoked_reason is reason
    assert issuing.revoked_tokens(forum) == [badge.token]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "badge_revoked"))
    assert entry.subject_id == reg.id and entry.details["badge"] == badge.code


def test_waitlisting_an_approved_delegate_keeps_the_badge_and_approving_again_issues_none(db):
    forum = f.forum()
    reg = f.approved(forum)
    (badge,) = _badges(reg)
    states.transition(reg, RegState.WAITLISTED, by=None, notify=False)
    assert badge.is_live
    states.transition(reg, RegState.APPROVED, by=None, notify=False)
    assert _badges(reg) == [badge]


def test_cancelling_the_forum_revokes_every_badge(db):
    forum = f.forum()
    regs = [f.approved(forum) for _ in range(3)]
    boss = f.organizer()
    cancellation.cancel(forum, reason="Flooding", confirmed=True, by=boss)
    assert all(not b.is_live for r in regs for b in _badges(r))
    assert len(issuing.revoked_tokens(forum)) == 3


def test_reissue_revokes_the_old_token_issues_a_new_one_and_keeps_presence(db):
    forum = f.forum()
    reviewer = f.member(forum, Permission.REVIEW)
    badge = f.badge(forum)
    badge.first_checked_in_at, badge.first_checked_in_device, badge.inside = f.utc(2024, 8, 20, 3), "Gate 1", True
    new = issuing.reissue(badge, by=reviewer, reason="Lost at the hotel")
    assert new.id != badge.id and new.token != badge.token and new.replaces_id == badge.id
    assert badge.revoked_reason is RevokeReason.REISSUED and new.is_live
    assert (new.first_checked_in_at, new.first_checked_in_device, new.inside) == (
        f.utc(2024, 8, 20, 3), "Gate 1", True)
    assert issuing.revoked_tokens(forum) == [badge.token]
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"badge_revoked", "badge_reissued"} <= actions
    with pytest.raises(InvalidState) as e:
        issuing.reissue(badge, by=reviewer)
    assert e.value.code == "badge_revoked"


def test_reissue_needs_the_review_permission_of_that_forum(db):
    forum, other = f.forum(), f.forum()
    badge = f.badge(forum)
    for user in (f.member(forum, Permission.CHECKIN), f.member(other, Permission.MANAGE)):
        with pytest.raises(NotAllowed):
            issuing.reissue(badge, by=user)
    assert badge.is_live


def test_manual_revocation_needs_a_reason(db):
    forum = f.forum()
    badge = f.badge(forum)
    boss = f.member(forum, Permission.REVIEW)
    with pytest.raises(InvalidInput) as e:
        issuing.revoke(badge, by=boss, reason="  ")
    assert e.value.code == "reason_required" and badge.is_live
    issuing.revoke(badge, by=boss, reason="Stolen")
    assert badge.revoked_reason is RevokeReason.MANUAL


def test_ensure_badges_gives_every_approved_delegate_without_one_a_badge(db):
    forum = f.forum()
    regs = [f.approved(forum) for _ in range(3)]
    pending = f.registration_(forum)
    db.session.execute(sa.delete(Badge).where(Badge.registration_id.in_([regs[0].id, regs[2].id])))
    assert issuing.ensure_badges(forum) == 2
    assert issuing.ensure_badges(forum) == 0
    assert all(len(_badges(r)) == 1 for r in regs) and _badges(pending) == []
    assert len(issuing.live_badges(forum)) == 3


def test_team_badges_are_organizer_for_managers_and_staff_for_the_rest(db):
    forum = f.forum()
    boss = f.member(forum, Permission.MANAGE)
    door = f.member(forum, Permission.CHECKIN)
    outsider = f.user()
    assert issuing.team_badge(forum, boss, by=boss).team_role is TeamRole.ORGANIZER
    staff = issuing.team_badge(forum, door, by=boss)
    assert staff.team_role is TeamRole.STAFF and staff.category == "staff"
    assert issuing.team_badge(forum, door, by=boss) is staff
    with pytest.raises(InvalidState):
        issuing.team_badge(forum, outsider, by=boss)
    with pytest.raises(NotAllowed):
        issuing.team_badge(forum, door, by=door)


def test_a_changed_name_changes_the_fingerprint_of_what_was_printed(db):
    forum = f.forum()
    badge = f.badge(forum)
    issuing.mark_printed([badge])
    assert badge.printed_fingerprint == issuing.fingerprint(badge)
    badge.registration.full_name = "Әлібек Сәрсенбаев"
    assert badge.printed_fingerprint != issuing.fingerprint(badge)


def test_one_live_badge_per_registration_is_a_database_rule(db):
    from sqlalchemy.exc import IntegrityError

    forum = f.forum()
    badge = f.badge(forum)
    db.session.add(Badge(forum_id=forum.id, code="00" * 9, token="1X", registration_id=badge.registration_id))
    with pytest.raises(IntegrityError):
        db.session.flush()
