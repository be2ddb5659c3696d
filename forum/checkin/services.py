"""Check-in: one service for every caller (the scanner page, the API, later the offline queue).

`check_in(forum, code, by=, device=, nonce=)` reads whatever the camera gave, decides, records the scan
and returns the outcome. The decision, in order:

1. the same nonce again: the first answer, unchanged (a retry over flaky Wi-Fi records nothing new); the
   unique (forum, nonce) finds it when the scan is written, and then nothing of this try is kept;
2. forum_cancelled;
3. invalid (garbage, unknown version, bad signature, or a well-formed token this forum never issued) or
   wrong_forum (a token genuinely signed by another forum of this site): badges.tokens.verify, which needs
   only the forum's public key, and for a foreign tag badges.keys.is_genuine_elsewhere;
4. revoked;
5. not_approved (the registration is pending, waitlisted, rejected or withdrawn);
6. direction "in": ok, or already_checked_in with the first entry's time and device;
   direction "out": ok when inside, else not_checked_in.

Steps 4-6 run under the badge's row lock, so two devices scanning one badge at the same moment get
exactly one ok (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the write transaction's database lock).
Every scan is stored (checkin.models.Scan), admitted or not; check-in writes no audit entry.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload, make_transient_to_detached

from forum import clock
from forum.accounts.models import User
from forum.badges import keys, tokens
from forum.badges.models import Badge
from forum.checkin.models import Direction, Result, Scan
from forum.db import db, nfc
from forum.errors import InvalidInput
from forum.forums.models import Forum, ForumStatus
from forum.registration.models import RegState, Registration
from forum.teams import permissions
from forum.teams.models import Permission

NONCE_MAX = 100
DEVICE_MAX = 100
CODE_KEPT = 300


@dataclass(frozen=True)
class Outcome:
    status: Result
    scan: Scan
    badge: Badge | None
    first_checked_in_at: datetime | None = None
    first_checked_in_device: str = ""
    replayed: bool = False  # the nonce was seen before: this is the first answer again

    @property
    def admitted(self) -> bool:
        return self.status is Result.OK


def _clean_nonce(nonce: object) -> str:
    if not isinstance(nonce, str) or not nonce.strip():
        raise InvalidInput(_("A scan needs a nonce (the device's own name for this scan)."), code="nonce_required",
                           field="nonce")
    nonce = nonce.strip()
    if len(nonce) > NONCE_MAX or not nonce.isascii() or not nonce.isprintable():
        raise InvalidInput(_("A nonce is at most %(n)d printable ASCII characters.", n=NONCE_MAX),
                           code="nonce_invalid", field="nonce")
    return nonce


def _clean_device(device: object) -> str:
    if device is None:
        return ""
    if not isinstance(device, str):
        raise InvalidInput(_("The device label must be text."), code="device_invalid", field="device")
    device = (nfc(device) or "").replace("\x00", "")
    if len(device) > DEVICE_MAX:
        raise InvalidInput(_("At most %(n)d characters.", n=DEVICE_MAX), code="device_too_long", field="device")
    return device


def _clean_direction(direction: object) -> Direction:
    try:
        return Direction(direction)
    except ValueError:
        raise InvalidInput(_("The direction is \"in\" or \"out\"."), code="direction_invalid",
                           field="direction") from None


def _kept_code(code: object) -> str:
    if not isinstance(code, str):
        return ""
    return code.strip().replace("\x00", "")[:CODE_KEPT]


def _by_nonce(forum_id: int, nonce: str) -> Scan | None:
    return db.session.scalar(sa.select(Scan).where(Scan.forum_id == forum_id, Scan.nonce == nonce))


def _replay(scan: Scan) -> Outcome:
    return Outcome(status=scan.result, scan=scan, badge=scan.badge, first_checked_in_at=scan.first_checked_in_at,
                   first_checked_in_device=scan.first_checked_in_device, replayed=True)


def _locked(forum_id: int, badge_code: str) -> Badge | None:
    """The forum's badge with this id, locked, with its registration and company (the answer names them): one
    round trip. FOR UPDATE OF badges: the outer-joined rows are read, not locked."""
    return db.session.scalars(
        sa.select(Badge).options(joinedload(Badge.registration).joinedload(Registration.company))
        .where(Badge.forum_id == forum_id, Badge.code == badge_code).with_for_update(of=Badge)
        .execution_options(populate_existing=True)).first()


def _record(scan: Scan) -> Scan | None:
    """Insert the scan unless its (forum, nonce) is taken: INSERT ... ON CONFLICT DO NOTHING RETURNING id, one
    round trip with no savepoint, and no unique-violation in the database's log. Returns the scan, now
    persistent in the session, or None when the nonce was recorded before."""
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    columns = {c.key: getattr(scan, c.key) for c in Scan.__table__.columns if c.key != "id"}
    new_id = db.session.execute(
        insert(Scan).values(**columns).on_conflict_do_nothing(index_elements=["forum_id", "nonce"])
        .returning(Scan.id)
    ).scalar()
    if new_id is None:
        return None
    scan.id = new_id
    make_transient_to_detached(scan)  # the row exists: attach the object as persistent, without another INSERT
    db.session.add(scan)
    return scan


def check_in(forum: Forum, code: str | None, *, by: User, device: str | None, nonce: str,
             scanned_at: datetime | None = None, direction: str = "in", offline: bool = False,
             api_token_id: int | None = None, now: datetime | None = None) -> Outcome:
    """Decide one scan at the forum's door and record it (see the module's docstring for the order)."""
    permissions.require(by, forum, Permission.CHECKIN)
    nonce = _clean_nonce(nonce)
    device = _clean_device(device)
    way = _clean_direction(direction)
    if scanned_at is not None and (not isinstance(scanned_at, datetime) or scanned_at.tzinfo is None):
        raise InvalidInput(_("The scan time needs a time zone."), code="scanned_at_invalid", field="scanned_at")
    now = now or clock.now()

    # A retried nonce is found when the scan is written (the unique (forum, nonce) decides, ON CONFLICT DO
    # NOTHING): a retry that queued behind the first try on the badge's lock has decided on a state the first try
    # already changed, so its decision is dropped unrecorded and the first answer given. No look-up on the way in.
    badge: Badge | None = None
    status: Result | None = None
    first_at, first_device = None, ""
    if forum.status is ForumStatus.CANCELLED:
        status = Result.FORUM_CANCELLED
    try:
        badge_code = tokens.verify(keys.public_key(forum), code).hex()
    except tokens.TokenError as e:
        if e.code == Result.WRONG_FORUM.value and not keys.is_genuine_elsewhere(code):
            status = status or Result.INVALID  # well-formed, but nobody here signed it
        else:
            status = status or Result(e.code)
    else:
        badge = _locked(forum.id, badge_code)  # everything below is decided under the badge's row lock
        if badge is None:
            status = status or Result.INVALID  # signed with this forum's key, but never issued here
    if status is None and badge is not None:
        reg = badge.registration
        if badge.revoked_at is not None:
            status = Result.REVOKED
        elif reg is not None and reg.state is not RegState.APPROVED:
            status = Result.NOT_APPROVED
        elif way is Direction.IN:
            if badge.inside:
                status = Result.ALREADY_CHECKED_IN
                first_at, first_device = badge.first_checked_in_at, badge.first_checked_in_device
            else:
                status = Result.OK
        else:
            status = Result.OK if badge.inside else Result.NOT_CHECKED_IN

    scan = _record(Scan(forum_id=forum.id, badge_id=badge.id if badge else None, result=status, direction=way,
                        code=_kept_code(code), user_id=by.id, device=device, api_token_id=api_token_id, nonce=nonce,
                        scanned_at=scanned_at, recorded_at=now, offline=offline, first_checked_in_at=first_at,
                        first_checked_in_device=first_device))
    if scan is None:
        # This nonce is already recorded: a retry, perhaps one that waited for the badge's lock behind the first
        # try. That one is the scan; answer as it did, and change nothing.
        seen = _by_nonce(forum.id, nonce)
        if seen is None:  # pragma: no cover - the conflict that made _record give up names this nonce
            raise RuntimeError("a scan's nonce conflicted but no scan has it")
        return _replay(seen)
    if status is Result.OK and badge is not None:
        if way is Direction.IN:
            badge.inside = True
            if badge.first_checked_in_at is None:
                # Offline, the person came in when the device scanned (but not in the server's future).
                entered = min(scanned_at, now) if offline and scanned_at is not None else now
                badge.first_checked_in_at, badge.first_checked_in_device = entered, device
        else:
            badge.inside = False
    return Outcome(status=status, scan=scan, badge=badge, first_checked_in_at=first_at,
                   first_checked_in_device=first_device)


def describe(badge: Badge | None) -> dict | None:
    """The delegate a scan is about, as the scanner shows it (and as the API returns it)."""
    if badge is None:
        return None
    reg = badge.registration
    if reg is not None:
        company = reg.company
        return {"badge_id": badge.code, "full_name": reg.full_name, "latin_name": reg.latin_name,
                "position": reg.position, "company": company.legal_name, "company_latin": company.name_en,
                "country": company.country, "category": badge.category, "state": reg.state.value}
    user = badge.user
    return {"badge_id": badge.code, "full_name": user.display_name if user else "", "latin_name": "",
            "position": "", "company": "", "company_latin": "", "country": "", "category": badge.category,
            "state": "team"}
