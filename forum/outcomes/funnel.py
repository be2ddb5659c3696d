"""The forum's B2B funnel, read side: requested -> accepted -> scheduled -> held -> cooperation likely, in total,
by country pair and by sector, with the outcomes' distribution.

The unit is a meeting request (MeetingRequest: "one meeting between two people", stable across the meetings a
re-publication moves and cancels). Definitions, each stage inside the one before it:

- requested: every request of the forum, in any state (pending, accepted, declined, cancelled, expired).
- accepted: a request that was ever accepted: ACCEPTED now, or it has a Meeting row in any state, or its audit
  trail has a change to "accepted" (requests.states.transition writes one for every acceptance; a request
  cancelled after its acceptance keeps it).
- scheduled: it has a published meeting that took its place: live (state SCHEDULED, held or not) or a no-show,
  or one that was held (held_at set) and cancelled afterwards; meetings only ever cancelled do not count.
- held: one of its meetings was confirmed held at the venue (held_at set).
- cooperation likely: held, and at least one side recorded COOPERATION for a held meeting of it.

Country pair: the unordered pair of the two companies' countries (the requester's company and the target
company), ISO codes sorted and joined with an en dash: "JP–KZ" (a pair of one country: "KZ–KZ").
Sector: each company's sectors in the forum (its B2BProfile.sectors, else the sector it registered with); a
request counts once under each sector of either side, so the sector rows add up to more than the total.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from forum.audit.models import AuditEntry
from forum.db import db
from forum.meetings.models import B2BProfile, Meeting, MeetingRequest, MeetingSlot, MeetingState, RequestState
from forum.outcomes.models import MeetingOutcome, OutcomeKind
from forum.registration.models import CompanyRegistration, Registration

STAGES = ("requested", "accepted", "scheduled", "held", "cooperation")
PAIR_DASH = "\u2013"


@dataclass
class Counts:
    requested: int = 0
    accepted: int = 0
    scheduled: int = 0
    held: int = 0
    cooperation: int = 0

    def add(self, stages: set[str]) -> None:
        for s in stages:
            setattr(self, s, getattr(self, s) + 1)

    def values(self) -> list[int]:
        return [getattr(self, s) for s in STAGES]

    def as_dict(self) -> dict[str, int]:
        return {s: getattr(self, s) for s in STAGES}


@dataclass
class Funnel:
    total: Counts = field(default_factory=Counts)
    by_pair: dict[str, Counts] = field(default_factory=dict)  # "JP–KZ" -> counts, in pair order
    by_sector: dict[str, Counts] = field(default_factory=dict)  # SECTORS key -> counts, in key order
    outcomes: dict[OutcomeKind, int] = field(default_factory=dict)  # recorded outcomes (one per side) by kind
    next_steps: int = 0  # outcomes with a next step or a next step date
    pairs: dict[str, tuple[str, str]] = field(default_factory=dict)  # "JP–KZ" -> ("JP", "KZ")


def pair_key(c1: str, c2: str) -> str:
    return PAIR_DASH.join(sorted((c1 or "?", c2 or "?")))


def request_stages(forum_id: int) -> dict[int, set[str]]:
    """Each request of the forum with the stages it reached (see the module's definitions)."""
    ids = db.session.scalars(sa.select(MeetingRequest.id).where(MeetingRequest.forum_id == forum_id)).all()
    stages = {i: {"requested"} for i in ids}
    accepted = set(db.session.scalars(sa.select(MeetingRequest.id).where(
        MeetingRequest.forum_id == forum_id, MeetingRequest.state == RequestState.ACCEPTED)))
    accepted |= set(db.session.scalars(sa.select(Meeting.request_id).where(Meeting.forum_id == forum_id)))
    accepted |= set(db.session.scalars(sa.select(AuditEntry.subject_id).where(
        AuditEntry.forum_id == forum_id, AuditEntry.subject_type == "meeting_request",
        AuditEntry.to_state == RequestState.ACCEPTED.value)))
    scheduled = set(db.session.scalars(sa.select(Meeting.request_id).where(
        Meeting.forum_id == forum_id, sa.or_(Meeting.state.in_((MeetingState.SCHEDULED, MeetingState.NO_SHOW)),
                                             Meeting.held_at.is_not(None)))))
    held = set(db.session.scalars(sa.select(Meeting.request_id).where(
        Meeting.forum_id == forum_id, Meeting.held_at.is_not(None))))
    cooperation = set(db.session.scalars(
        sa.select(Meeting.request_id).join(MeetingOutcome, MeetingOutcome.meeting_id == Meeting.id)
        .where(Meeting.forum_id == forum_id, Meeting.held_at.is_not(None),
               MeetingOutcome.kind == OutcomeKind.COOPERATION)))
    for name, found in (("accepted", accepted), ("scheduled", scheduled), ("held", held),
                        ("cooperation", cooperation)):
        for rid in found:
            if rid in stages:
                stages[rid].add(name)
    return stages


def company_sectors(forum_id: int) -> dict[int, list[str]]:
    """Each company of the forum's sectors: its B2B profile's, else the one it registered with."""
    profiles = dict(db.session.execute(sa.select(B2BProfile.company_id, B2BProfile.sectors)
                                       .where(B2BProfile.forum_id == forum_id)).all())
    out = {}
    for cid, sector in db.session.execute(sa.select(CompanyRegistration.id, CompanyRegistration.sector)
                                          .where(CompanyRegistration.forum_id == forum_id)):
        listed = [s for s in (profiles.get(cid) or []) if s]
        out[cid] = sorted(set(listed)) if listed else ([sector] if sector else [])
    return out


def funnel(forum_id: int) -> Funnel:
    """The forum's funnel: in total, by country pair, by sector; and the outcomes' distribution."""
    stages = request_stages(forum_id)
    mine, theirs = aliased(CompanyRegistration), aliased(CompanyRegistration)
    rows = db.session.execute(
        sa.select(MeetingRequest.id, mine.id, mine.country, theirs.id, theirs.country)
        .join(Registration, Registration.id == MeetingRequest.requester_id)
        .join(mine, mine.id == Registration.company_id)
        .join(theirs, theirs.id == MeetingRequest.target_company_id)
        .where(MeetingRequest.forum_id == forum_id)).all()
    sectors = company_sectors(forum_id)
    out = Funnel()
    by_pair: dict[str, Counts] = defaultdict(Counts)
    by_sector: dict[str, Counts] = defaultdict(Counts)
    for rid, c1, country1, c2, country2 in rows:
        reached = stages.get(rid, {"requested"})
        out.total.add(reached)
        key = pair_key(country1, country2)
        out.pairs[key] = tuple(sorted((country1 or "?", country2 or "?")))
        by_pair[key].add(reached)
        for s in set(sectors.get(c1, [])) | set(sectors.get(c2, [])):
            by_sector[s].add(reached)
    out.by_pair = dict(sorted(by_pair.items()))
    out.by_sector = dict(sorted(by_sector.items()))
    counted = (sa.select(MeetingOutcome).join(Meeting, Meeting.id == MeetingOutcome.meeting_id)
               .where(MeetingOutcome.forum_id == forum_id, Meeting.state != MeetingState.CANCELLED))
    kinds = Counter(dict(db.session.execute(
        counted.with_only_columns(MeetingOutcome.kind, sa.func.count()).group_by(MeetingOutcome.kind)).all()))
    out.outcomes = {k: kinds.get(k, 0) for k in OutcomeKind}
    out.next_steps = db.session.scalar(counted.with_only_columns(sa.func.count()).where(
        sa.or_(MeetingOutcome.next_step != "", MeetingOutcome.next_step_on.is_not(None)))) or 0
    return out


def outcomes_list(forum_id: int) -> sa.Select:
    """The recorded outcomes of the forum's meetings (not cancelled ones), newest meeting first, for a page or
    an export (the caller loads what it shows)."""
    return (sa.select(MeetingOutcome).join(Meeting, Meeting.id == MeetingOutcome.meeting_id)
            .join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
            .where(MeetingOutcome.forum_id == forum_id, Meeting.state != MeetingState.CANCELLED)
            .order_by(MeetingSlot.starts_at.desc(), Meeting.id, MeetingOutcome.registration_id))
