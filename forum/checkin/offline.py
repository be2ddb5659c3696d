"""The offline queue's upload (issue 11): a device that scanned without a network sends its queued scans in a
batch; each is recorded through `services.check_in` with its device time and flagged offline, in order, and what
the upload shows that no device could see at the door is kept as a conflict (checkin.models.Conflict).

One batch is one transaction; each item runs in its own SAVEPOINT, so a failing item never half-saves nor poisons
the others. Idempotent per nonce (check_in is): a batch sent again records nothing new and answers each item
`replayed`. The badges the batch names are locked first, all at once, in id order: two batches naming the same
badges in different orders then wait for each other instead of deadlocking, and every rule below runs under the
badge's row lock (PostgreSQL: FOR UPDATE; SQLite: the write transaction's database lock).

The conflicts (all of them here, `_conflicts`):

- duplicate_offline: an offline entry ("in") of a badge that is inside because of another device's offline
  entry. Both scans are kept; whichever upload comes first, the one with the later device time (scanned_at; a
  tie: the later upload) ends `already_checked_in`, naming the earlier as the first entry, and carries the
  conflict (`other_scan` = the earlier); the earlier ends `ok` and is the badge's first entry. When the later
  scan was uploaded first it was answered `ok`: the earlier one's upload turns it into `already_checked_in`
  (a replay of its nonce then answers that). So the outcome does not depend on the upload order, and the
  dashboard counts the person once (arrivals count badges, not scans). An offline entry of someone inside
  because of an online scan, or of the same device's own entry, is plain `already_checked_in`: no conflict.
- revoked_after_sync: an offline entry of a badge the server has revoked (status `revoked`), when the device's
  data predates the revocation (`synced_at` < revoked_at) or the device did not say when it synced (it cannot
  be shown to have known). Not when the device says it refused the scan itself (`offline_status` other than
  ok): nobody was let in. A device that synced after the revocation refused it offline: plain `revoked`.
- clock_skew: the batch's `sent_at` more than SKEW_MAX from the server's clock flags every scan the batch
  records (skew = sent_at - server now); without `sent_at`, a scan whose device time is more than SKEW_MAX in the
  server's future. `skew_seconds` keeps the skew.

An offline entry's time is the device's (scanned_at), but never later than the server's now (a clock in the
future would put an arrival on a day that has not come). Known limit: `inside` follows the upload order, as for
online scans; only the first entry is put right by device time.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from forum import clock
from forum.audit import services as audit
from forum.accounts.models import User
from forum.badges import keys, tokens
from forum.badges.models import Badge
from forum.checkin import services
from forum.checkin.models import Conflict, ConflictKind, Direction, Result, Scan
from forum.db import db
from forum.errors import DomainError, InvalidInput, InvalidState, NotFound
from forum.forums.models import Forum
from forum.teams import permissions
from forum.teams.models import Permission

BATCH_MAX = 500  # scans per upload; more: batch_too_large, nothing recorded
SKEW_MAX_MINUTES = 5
SKEW_MAX = timedelta(minutes=SKEW_MAX_MINUTES)  # a device clock further than this from the server's is flagged


@dataclass(frozen=True)
class Item:
    """One well-formed queued scan (the API validates its shape: schemas.BatchItem)."""

    code: str
    nonce: str
    scanned_at: datetime
    direction: str = "in"
    synced_at: datetime | None = None
    offline_status: str | None = None


@dataclass(frozen=True)
class Malformed:
    """An item the API could not read: answered with its error, never recorded."""

    code: str
    message: str
    field: str | None = None
    nonce: str | None = None


@dataclass(frozen=True)
class ItemResult:
    index: int
    nonce: str | None
    outcome: services.Outcome | None = None
    conflicts: tuple[ConflictKind, ...] = ()
    error: Malformed | None = None

    @property
    def recorded(self) -> bool:
        return self.outcome is not None


@dataclass(frozen=True)
class BatchResult:
    results: list[ItemResult] = field(default_factory=list)
    server_time: datetime | None = None

    @property
    def recorded(self) -> int:
        return sum(r.recorded for r in self.results)

    @property
    def failed(self) -> int:
        return sum(r.error is not None for r in self.results)


class BatchTooLarge(DomainError):
    status = 413


def check_size(n: int) -> None:
    if n > BATCH_MAX:
        raise too_large()


def too_large() -> BatchTooLarge:
    return BatchTooLarge(_("At most %(n)d scans per batch: send the rest in another.", n=BATCH_MAX),
                         code="batch_too_large")


def record_batch(forum: Forum, items: list[Item | Malformed], *, by: User, device: str | None,
                 api_token_id: int | None = None, sent_at: datetime | None = None,
                 now: datetime | None = None) -> BatchResult:
    """Record a device's queued offline scans in order; one answer per item (see the module's docstring)."""
    permissions.require(by, forum, Permission.CHECKIN)
    check_size(len(items))
    now = now or clock.now()
    skew = sent_at - now if sent_at is not None else None
    _lock_badges(forum, [i.code for i in items if isinstance(i, Item)])
    results = []
    for index, item in enumerate(items):
        if isinstance(item, Malformed):
            results.append(ItemResult(index=index, nonce=item.nonce, error=item))
            continue
        try:
            with db.session.begin_nested():
                outcome = services.check_in(
                    forum, item.code, by=by, device=device, nonce=item.nonce, scanned_at=item.scanned_at,
                    direction=item.direction, offline=True, api_token_id=api_token_id, now=now)
                if not outcome.replayed:
                    outcome = _conflicts(outcome, item, skew=skew, now=now)
                    db.session.flush()
        except InvalidInput as e:
            results.append(ItemResult(index=index, nonce=item.nonce,
                                      error=Malformed(code=e.code, message=e.message, field=e.field, nonce=item.nonce)))
            continue
        results.append(ItemResult(index=index, nonce=outcome.scan.nonce, outcome=outcome,
                                  conflicts=conflicts_of(outcome.scan)))
    return BatchResult(results=results, server_time=now)


def _lock_badges(forum: Forum, codes: list[str]) -> None:
    """Lock every badge of this forum the batch names, in id order, before any is scanned."""
    public = keys.public_key(forum)
    ids = set()
    for code in codes:
        try:
            ids.add(tokens.verify(public, code).hex())
        except tokens.TokenError:
            continue
    if ids:
        db.session.execute(sa.select(Badge.id).where(Badge.forum_id == forum.id, Badge.code.in_(sorted(ids)))
                           .order_by(Badge.id).with_for_update())


def conflicts_of(scan: Scan) -> tuple[ConflictKind, ...]:
    return tuple(db.session.scalars(sa.select(Conflict.kind).where(Conflict.scan_id == scan.id)
                                    .order_by(Conflict.id)))


def _flag(scan: Scan, kind: ConflictKind, *, other: Scan | None = None, skew_seconds: int | None = None,
          now: datetime) -> None:
    """One conflict of this kind per scan (the unique constraint says so too)."""
    exists = db.session.scalar(sa.select(Conflict.id).where(Conflict.scan_id == scan.id, Conflict.kind == kind))
    if exists is None:
        db.session.add(Conflict(forum_id=scan.forum_id, scan_id=scan.id, kind=kind,
                                other_scan_id=other.id if other else None, skew_seconds=skew_seconds,
                                created_at=now))


def _entry_holder(badge: Badge, scan: Scan) -> Scan | None:
    """The admission that has the badge inside now: its latest ok entry before this scan."""
    return db.session.scalar(
        sa.select(Scan).where(Scan.badge_id == badge.id, Scan.direction == Direction.IN, Scan.result == Result.OK,
                              Scan.id != scan.id)
        .order_by(Scan.id.desc()).limit(1))


def _entered_at(scan: Scan) -> datetime:
    return min(scan.scanned_at, scan.recorded_at) if scan.scanned_at else scan.recorded_at


def _conflicts(outcome: services.Outcome, item: Item, *, skew: timedelta | None,
               now: datetime) -> services.Outcome:
    """Every conflict rule, for a scan just recorded (under its badge's row lock); returns the outcome as it
    ends (a duplicate uploaded in reverse order turns this scan into the entry)."""
    scan, badge = outcome.scan, outcome.badge
    if skew is None and scan.scanned_at is not None and scan.scanned_at - now > SKEW_MAX:
        skew = scan.scanned_at - now
    if skew is not None and abs(skew) > SKEW_MAX:
        _flag(scan, ConflictKind.CLOCK_SKEW, skew_seconds=round(skew.total_seconds()), now=now)
    if badge is None or scan.direction is not Direction.IN:
        return outcome
    if outcome.status is Result.REVOKED:
        unaware = item.synced_at is None or (badge.revoked_at is not None and item.synced_at < badge.revoked_at)
        refused_at_door = item.offline_status not in (None, Result.OK.value)
        if unaware and not refused_at_door:
            _flag(scan, ConflictKind.REVOKED_AFTER_SYNC, now=now)
        return outcome
    if outcome.status is not Result.ALREADY_CHECKED_IN:
        return outcome
    holder = _entry_holder(badge, scan)
    if holder is None or not holder.offline or holder.device == scan.device or holder.scanned_at is None:
        return outcome
    if holder.scanned_at <= scan.scanned_at:  # uploaded in device-time order: this one is the later entry
        _flag(scan, ConflictKind.DUPLICATE_OFFLINE, other=holder, now=now)
        return outcome
    # The later entry was uploaded first: this scan is the earlier, so it is the entry, and the other one the
    # duplicate.
    entered = _entered_at(scan)
    scan.result, scan.first_checked_in_at, scan.first_checked_in_device = Result.OK, None, ""
    holder.result, holder.first_checked_in_at, holder.first_checked_in_device = (
        Result.ALREADY_CHECKED_IN, entered, scan.device)
    if badge.first_checked_in_at is None or entered < badge.first_checked_in_at:
        badge.first_checked_in_at, badge.first_checked_in_device = entered, scan.device
    _flag(holder, ConflictKind.DUPLICATE_OFFLINE, other=scan, now=now)
    return replace(outcome, status=Result.OK, first_checked_in_at=None, first_checked_in_device="")


def review(forum: Forum, conflict_id: int, *, by: User, now: datetime | None = None) -> Conflict:
    """An organizer has looked at this conflict: it leaves the open list (audited). NotFound for another forum's."""
    permissions.require(by, forum, Permission.CHECKIN)
    conflict = db.session.get(Conflict, conflict_id)
    if conflict is None or conflict.forum_id != forum.id:
        raise NotFound(_("There is no such conflict at this forum."), code="conflict_not_found")
    if conflict.reviewed_at is not None:
        raise InvalidState(_("This conflict was marked reviewed already."), code="conflict_reviewed")
    conflict.reviewed_at, conflict.reviewed_by_id = now or clock.now(), by.id
    db.session.flush()
    audit.record(subject_type="checkin_conflict", subject_id=conflict.id, action="checkin_conflict_reviewed",
                 actor=by, forum_id=forum.id, kind=conflict.kind.value, scan=conflict.scan_id)
    return conflict
