"""Merging two organisations that are one: what would move, and moving it.

The matching keys (organisations.keys) miss some duplicates: a name written two ways that fold apart, a
company that changed its website. A site administrator picks the organisation to keep and the one to merge
away; every company registration of the second, in every forum, moves to the first. The merged-away row
stays, with `merged_into_id`, so its history is still there and its spellings lead to the kept one.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from forum.audit import services as audit
from forum.db import db
from forum.errors import InvalidInput, InvalidState
from forum.forums.models import Forum
from forum.organisations import keys
from forum.organisations.models import Organisation
from forum.organisations.services import lock
from forum.registration.models import CompanyRegistration, Registration
from forum.teams import permissions


@dataclass
class ForumShare:
    """One forum's company registrations of an organisation."""

    forum: Forum
    registrations: int
    delegates: int


@dataclass
class MergePreview:
    keep: Organisation
    away: Organisation
    moves: list[ForumShare] = field(default_factory=list)  # the merged-away one's registrations, per forum
    merged_before: int = 0  # organisations merged into the merged-away one earlier: they follow it

    @property
    def registrations(self) -> int:
        return sum(s.registrations for s in self.moves)


def _check(keep: Organisation, away: Organisation) -> None:
    if keep.id == away.id:
        raise InvalidInput(_("Choose two different organisations."), code="same_organisation")
    for org in (keep, away):
        if org.merged_into_id is not None:
            raise InvalidState(_("%(name)s has already been merged into another organisation.", name=org.name_en),
                               code="already_merged")


def shares(org_id: int) -> list[ForumShare]:
    """An organisation's company registrations per forum, newest forum first, with their delegates."""
    delegates = (sa.select(sa.func.count()).where(Registration.company_id == CompanyRegistration.id)
                 .correlate(CompanyRegistration).scalar_subquery())
    rows = db.session.execute(
        sa.select(Forum, sa.func.count(CompanyRegistration.id), sa.func.coalesce(sa.func.sum(delegates), 0))
        .join(CompanyRegistration, CompanyRegistration.forum_id == Forum.id)
        .where(CompanyRegistration.organisation_id == org_id)
        .group_by(Forum.id).order_by(Forum.starts_at.desc(), Forum.id)
    ).all()
    return [ForumShare(forum=f, registrations=n, delegates=int(d)) for f, n, d in rows]


def preview(keep: Organisation, away: Organisation, *, by) -> MergePreview:
    """What merging `away` into `keep` would move; raises what merge() would refuse."""
    permissions.require_admin(by)
    _check(keep, away)
    merged_before = db.session.scalar(
        sa.select(sa.func.count()).select_from(Organisation).where(Organisation.merged_into_id == away.id)) or 0
    return MergePreview(keep=keep, away=away, moves=shares(away.id), merged_before=merged_before)


@dataclass
class MergeResult:
    keep: Organisation
    away: Organisation
    moved: dict[int, int]  # forum id -> company registrations moved

    @property
    def registrations(self) -> int:
        return sum(self.moved.values())


def merge(keep_id: int, away_id: int, *, by) -> MergeResult:
    """Move every company registration of `away_id` to `keep_id`, and mark `away_id` merged into it. Audited.

    Both rows are locked FOR UPDATE in id order (any two merges or edits take them in the same order); a
    submission linking to either waits (it holds or asks FOR KEY SHARE), then sees the merge and follows it.
    """
    permissions.require_admin(by)
    if keep_id == away_id:
        raise InvalidInput(_("Choose two different organisations."), code="same_organisation")
    locked = {org_id: lock(org_id) for org_id in sorted((keep_id, away_id))}
    keep, away = locked[keep_id], locked[away_id]
    _check(keep, away)

    moved = dict(db.session.execute(
        sa.select(CompanyRegistration.forum_id, sa.func.count()).where(CompanyRegistration.organisation_id == away.id)
        .group_by(CompanyRegistration.forum_id)
    ).all())
    db.session.execute(
        sa.update(CompanyRegistration).where(CompanyRegistration.organisation_id == away.id)
        .values(organisation_id=keep.id).execution_options(synchronize_session=False))
    # Organisations merged into this one before follow it, so no chain is ever longer than one step.
    followers = list(db.session.scalars(sa.select(Organisation.id).where(Organisation.merged_into_id == away.id)))
    if followers:
        db.session.execute(sa.update(Organisation).where(Organisation.id.in_(followers))
                           .values(merged_into_id=keep.id).execution_options(synchronize_session=False))
    # What the kept one lacks and the other knows is not lost: an empty website, city or sector is filled in.
    filled = {}
    for name in ("website", "city", "sector"):
        if not getattr(keep, name) and getattr(away, name):
            filled[name] = getattr(away, name)
            setattr(keep, name, getattr(away, name))
    if "website" in filled:
        keep.domain = keys.domain(keep.website)
    away.merged_into_id = keep.id
    db.session.flush()
    # Moved registrations are read afresh wherever they were loaded.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, CompanyRegistration) and obj.organisation_id == away.id:
            db.session.expire(obj)
    details = {"kept_id": keep.id, "merged_id": away.id, "registrations_moved": sum(moved.values()),
               "moved_per_forum": {str(k): v for k, v in sorted(moved.items())}, "followers": followers,
               "filled": filled, "kept_name": keep.name_en, "merged_name": away.name_en}
    audit.record(subject_type="organisation", subject_id=keep.id, action="merged", actor=by, **details)
    audit.record(subject_type="organisation", subject_id=away.id, action="merged_away", actor=by, **details)
    return MergeResult(keep=keep, away=away, moved=moved)
