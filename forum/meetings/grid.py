"""The meeting grid: sessions cut into slots, tables, interpreters, the forum's B2B settings. Every rule of it lives
here; each delegate's own availability (slots they cannot meet in, their cap, opting out) is availability.py.

- Times are typed forum-local (the forum's zone) and stored UTC. A session is one day, start and end, cut into
  slots of `slot_minutes` with `gap_minutes` between two slots; no slot overlaps a break, and the first slot
  after a break starts when the break ends. `slot_times` is the pure computation.
- Regenerating a session's slots keeps the slots whose times did not change, so the tables, interpreters and
  unavailabilities tied to them stay; a slot that goes away must carry no scheduled meeting.
- Input errors are `GridErrors`: every broken rule with its field and code, so a form shows them all at once.
- Every change an organizer makes is audited; a change of the grid supersedes the scheduler's draft runs,
  whose plans were computed on the old grid.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from forum.accounts.models import User
from forum.accounts.services import normalize_email
from forum.audit import services as audit
from forum.db import db, nfc, too_long
from forum.errors import InvalidInput, InvalidState, NotAllowed
from forum.forums.models import Forum
from forum.meetings import participation
from forum.meetings.models import (B2BSettings, Interpreter, Meeting, MeetingSession, MeetingSlot, MeetingState,
                                   MeetingTable, RunStatus, ScheduleRun, Unavailability)
from forum.registration.choices import SPOKEN_LANGUAGES
from forum.registration.states import lock_forum
from forum.teams import permissions
from forum.teams.models import Permission
from forum.text import is_one_line, is_plain_address

SLOT_MINUTES = (5, 240)
GAP_MINUTES = (0, 120)
# A B2B day may sit just outside the forum (the day before the plenary): this many days either side.
DAYS_AROUND_FORUM = 1
TABLE_NUMBER_MAX = 10_000
TABLES_AT_ONCE = 500
QUOTA_MAX = 1_000
MAX_MEETINGS_MAX = 1_000
NOTE_MAX = 200
_HHMM = re.compile(r"^([0-9]{1,2}):([0-9]{2})$")
_DAY = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")


class GridErrors(InvalidInput):
    """Every rule an input breaks: (field, code, message) triples. `code` and `field` are the first one's."""

    def __init__(self, errors: list[tuple[str, str, str]]) -> None:
        field_, code, message = errors[0]
        super().__init__(message, code=code, field=field_)
        self.errors = errors

    @property
    def codes(self) -> set[str]:
        return {code for _f, code, _m in self.errors}

    def by_field(self) -> dict[str, str]:
        """{field: message}, the first message of each field (for forms_util.apply_errors)."""
        out: dict[str, str] = {}
        for field_, _code, message in self.errors:
            out.setdefault(field_, message)
        return out


class _Errors(list):
    def add(self, field_: str, code: str, message: str) -> None:
        self.append((field_, code, message))

    def has(self, field_: str) -> bool:
        return any(f == field_ for f, _c, _m in self)

    def raise_any(self) -> None:
        if self:
            raise GridErrors(list(self))


def _require(by: User | None, forum: Forum | int) -> None:
    permissions.require(by, forum, Permission.B2B)


def _clean(value) -> str:
    """A typed text, NFC and stripped; NUL and the other C0 controls but tab never survive into the database."""
    text = nfc(value if isinstance(value, str) else ("" if value is None else str(value))) or ""
    return text


def _has_controls(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def _int(value, lo: int, hi: int) -> int | None:
    """A whole number typed in a form (ASCII digits only) within lo..hi, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        n = value
    else:
        text = _clean(value)
        if not text or len(text) > 9 or not (text.isascii() and text.isdigit()):
            return None
        n = int(text)
    return n if lo <= n <= hi else None


# --- pure time helpers -------------------------------------------------------------------------

def parse_hhmm(value) -> time | None:
    """'09:00' / '9:05' -> time; None for anything else ('25:99', '24:00', '9h', '')."""
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    m = _HHMM.match(_clean(value)) if isinstance(value, str) else None
    if m is None:
        return None
    h, mi = int(m.group(1)), int(m.group(2))
    return time(h, mi) if h < 24 and mi < 60 else None


def parse_day(value) -> date | None:
    """'2027-05-20' -> date (years 2000..2100); None for anything else."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    m = _DAY.match(_clean(value))
    if m is None:
        return None
    try:
        d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    return d if 2000 <= d.year <= 2100 else None


def local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """A wall-clock time on a day in a zone, as UTC. Raises ValueError('nonexistent' / 'ambiguous') when the
    zone skips that time or shows it twice (a daylight-saving change)."""
    local = datetime.combine(day, at)
    first, second = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        back = first.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None)
        raise ValueError("nonexistent" if back != local else "ambiguous")
    return first.astimezone(timezone.utc)


def slot_times(starts_at: datetime, ends_at: datetime, slot_minutes: int, gap_minutes: int = 0,
               breaks: list[tuple[datetime, datetime]] | tuple = ()) -> list[tuple[datetime, datetime]]:
    """The (start, end) of every slot of a session, in the instants given (UTC): slots of `slot_minutes` one
    after the other with `gap_minutes` between two, none past `ends_at`, none overlapping a break (a slot that
    would is moved to start when the break ends). Pure: no database, no zone."""
    slot, gap = timedelta(minutes=slot_minutes), timedelta(minutes=gap_minutes)
    if slot <= timedelta(0):
        return []
    ordered = sorted(breaks)
    out: list[tuple[datetime, datetime]] = []
    t = starts_at
    while t + slot <= ends_at:
        clash = [b for b in ordered if t < b[1] and b[0] < t + slot]
        if clash:
            t = max(b[1] for b in clash)
            continue
        out.append((t, t + slot))
        t = t + slot + gap
    return out


def session_day(session: MeetingSession, tz: ZoneInfo) -> date:
    return session.starts_at.astimezone(tz).date()


def _breaks_utc(day: date, breaks: list[list[str]], tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    out = []
    for b in breaks or []:
        start, end = parse_hhmm(b[0]), parse_hhmm(b[1])
        if start is None or end is None:
            continue
        try:
            out.append((local_to_utc(day, start, tz), local_to_utc(day, end, tz)))
        except ValueError:
            continue
    return out


def session_slot_times(session: MeetingSession, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    day = session_day(session, tz)
    return slot_times(session.starts_at, session.ends_at, session.slot_minutes, session.gap_minutes,
                      _breaks_utc(day, session.breaks, tz))


# --- sessions ------------------------------------------------------------------------------------

@dataclass
class SessionInput:
    """What the session form sends: forum-local day and times as typed; breaks as 'HH:MM-HH:MM' lines (or
    commas), or as pairs."""

    name: str = ""
    day: str | date = ""
    start: str | time = ""
    end: str | time = ""
    slot_minutes: str | int = 20
    gap_minutes: str | int = 0
    breaks: str | list = ""

    @classmethod
    def of(cls, session: MeetingSession, tz: ZoneInfo) -> "SessionInput":
        return cls(name=session.name, day=session_day(session, tz).isoformat(),
                   start=session.starts_at.astimezone(tz).strftime("%H:%M"),
                   end=session.ends_at.astimezone(tz).strftime("%H:%M"), slot_minutes=session.slot_minutes,
                   gap_minutes=session.gap_minutes, breaks=format_breaks(session.breaks))


def format_breaks(breaks: list[list[str]]) -> str:
    return ", ".join(f"{a}-{b}" for a, b in breaks or [])


@dataclass
class _CleanSession:
    name: str
    starts_at: datetime
    ends_at: datetime
    slot_minutes: int
    gap_minutes: int
    breaks: list[list[str]] = field(default_factory=list)


def _parse_breaks(raw) -> list[tuple[str, str]] | None:
    if isinstance(raw, (list, tuple)):
        pairs = []
        for b in raw:
            if not isinstance(b, (list, tuple)) or len(b) != 2:
                return None
            pairs.append((b[0], b[1]))
        return pairs
    text = _clean(raw)
    if not text:
        return []
    pairs = []
    for part in re.split(r"[,;\n]+", text):
        part = part.strip()
        if not part:
            continue
        bits = re.split(r"\s*[-–—]\s*", part)
        if len(bits) != 2:
            return None
        pairs.append((bits[0], bits[1]))
    return pairs


def _validate_session(forum: Forum, data: SessionInput, existing: MeetingSession | None) -> _CleanSession:
    errors = _Errors()
    tz = forum.tz
    name = _clean(data.name)
    if not name:
        errors.add("name", "name_required", _("Give the session a name, e.g. “Day 1, morning”."))
    elif not is_one_line(name) or _has_controls(name):
        errors.add("name", "name_invalid", _("Write the name on one line."))
    elif limit := too_long(MeetingSession.name, name):
        errors.add("name", "name_too_long", _("At most %(n)d characters.", n=limit))
    day = parse_day(data.day)
    if day is None:
        errors.add("day", "day_invalid", _("Enter the day as YYYY-MM-DD, e.g. 2027-05-20."))
    start, end = parse_hhmm(data.start), parse_hhmm(data.end)
    if start is None:
        errors.add("start", "start_invalid", _("Enter a time as HH:MM on a 24-hour clock, e.g. 09:00."))
    if end is None:
        errors.add("end", "end_invalid", _("Enter a time as HH:MM on a 24-hour clock, e.g. 13:00."))
    slot_minutes = _int(data.slot_minutes, *SLOT_MINUTES)
    if slot_minutes is None:
        errors.add("slot_minutes", "slot_minutes_invalid",
                   _("A slot lasts from %(lo)d to %(hi)d minutes.", lo=SLOT_MINUTES[0], hi=SLOT_MINUTES[1]))
    gap_minutes = _int(data.gap_minutes if data.gap_minutes not in (None, "") else 0, *GAP_MINUTES)
    if gap_minutes is None:
        errors.add("gap_minutes", "gap_minutes_invalid",
                   _("The gap between slots is from %(lo)d to %(hi)d minutes.", lo=GAP_MINUTES[0], hi=GAP_MINUTES[1]))
    starts_at = ends_at = None
    if day is not None and start is not None and end is not None:
        if end <= start:
            errors.add("end", "end_before_start", _("The session must end after it starts."))
        else:
            for name_, at in (("start", start), ("end", end)):
                try:
                    value = local_to_utc(day, at, tz)
                except ValueError as e:
                    errors.add(name_, f"time_{e}", _("This time does not exist on that day in %(zone)s (the clocks "
                                                     "change): choose another.", zone=forum.timezone)
                               if str(e) == "nonexistent" else
                               _("This time happens twice on that day in %(zone)s (the clocks go back): choose "
                                 "another.", zone=forum.timezone))
                    continue
                if name_ == "start":
                    starts_at = value
                else:
                    ends_at = value
    if day is not None:
        first = forum.starts_at.astimezone(tz).date() - timedelta(days=DAYS_AROUND_FORUM)
        last = forum.ends_at.astimezone(tz).date() + timedelta(days=DAYS_AROUND_FORUM)
        if not first <= day <= last:
            errors.add("day", "outside_forum_dates",
                       _("Choose a day from %(first)s to %(last)s: the forum's days, or the day before or after.",
                         first=first.isoformat(), last=last.isoformat()))
    pairs = _parse_breaks(data.breaks)
    breaks: list[list[str]] = []
    if pairs is None:
        errors.add("breaks", "break_invalid", _("Write each break as HH:MM-HH:MM, separated by commas, e.g. "
                                                "10:30-11:00, 12:30-13:30."))
    else:
        parsed = []
        for a, b in pairs:
            ta, tb = parse_hhmm(a), parse_hhmm(b)
            if ta is None or tb is None or tb <= ta:
                errors.add("breaks", "break_invalid", _("Write each break as HH:MM-HH:MM, ending after it starts, "
                                                        "e.g. 10:30-11:00."))
                break
            parsed.append((ta, tb))
        else:
            parsed.sort()
            if start is not None and end is not None and any(ta < start or tb > end for ta, tb in parsed):
                errors.add("breaks", "break_outside_session", _("Every break must be inside the session."))
            elif any(parsed[i][1] > parsed[i + 1][0] for i in range(len(parsed) - 1)):
                errors.add("breaks", "breaks_overlap", _("Two breaks overlap: merge them into one."))
            elif day is not None:
                try:
                    for ta, tb in parsed:
                        local_to_utc(day, ta, tz), local_to_utc(day, tb, tz)
                except ValueError:
                    errors.add("breaks", "break_invalid", _("A break starts or ends at a time the clocks skip "
                                                            "on that day: choose another."))
            breaks = [[ta.strftime("%H:%M"), tb.strftime("%H:%M")] for ta, tb in parsed]
    if starts_at is not None and ends_at is not None:
        clash = db.session.scalar(sa.select(MeetingSession).where(
            MeetingSession.forum_id == forum.id, MeetingSession.starts_at < ends_at, MeetingSession.ends_at > starts_at,
            MeetingSession.id != (existing.id if existing is not None else -1)).limit(1))
        if clash is not None:
            errors.add("start", "sessions_overlap", _("This overlaps the session “%(name)s”.", name=clash.name))
        elif slot_minutes is not None and gap_minutes is not None and not errors.has("breaks") and not slot_times(
                starts_at, ends_at, slot_minutes, gap_minutes, _breaks_utc(day, breaks, tz)):
            errors.add("slot_minutes", "no_slots", _("Not a single slot fits in this session: make the slots shorter "
                                                     "or the session longer."))
    errors.raise_any()
    return _CleanSession(name=name, starts_at=starts_at, ends_at=ends_at, slot_minutes=slot_minutes,
                         gap_minutes=gap_minutes, breaks=breaks)


def create_session(forum: Forum, data: SessionInput, *, by: User | None) -> MeetingSession:
    """A new session with its slots. Raises GridErrors for every rule the input breaks."""
    _require(by, forum)
    lock_forum(forum.id)
    clean = _validate_session(forum, data, None)
    session = MeetingSession(forum_id=forum.id, name=clean.name, starts_at=clean.starts_at, ends_at=clean.ends_at,
                             slot_minutes=clean.slot_minutes, gap_minutes=clean.gap_minutes, breaks=clean.breaks)
    db.session.add(session)
    db.session.flush()
    generate_slots(session)
    audit.record(subject_type="meeting_session", subject_id=session.id, action="created", actor=by,
                 forum_id=forum.id, name=session.name, starts_at=session.starts_at.isoformat(),
                 ends_at=session.ends_at.isoformat(), slot_minutes=session.slot_minutes,
                 gap_minutes=session.gap_minutes, breaks=session.breaks, slots=len(session.slots))
    return session


def update_session(session: MeetingSession, data: SessionInput, *, by: User | None) -> MeetingSession:
    """Change a session and regenerate its slots (keeping those whose times did not change). Refused, with
    nothing changed, when a slot that would go away has scheduled meetings."""
    forum = session.forum
    _require(by, forum)
    lock_forum(forum.id)
    clean = _validate_session(forum, data, session)
    before = {"name": session.name, "starts_at": session.starts_at.isoformat(), "ends_at": session.ends_at.isoformat(),
              "slot_minutes": session.slot_minutes, "gap_minutes": session.gap_minutes, "breaks": session.breaks}
    # The new slots are computed before anything changes, so a refusal leaves the session as it was.
    times = slot_times(clean.starts_at, clean.ends_at, clean.slot_minutes, clean.gap_minutes,
                       _breaks_utc(clean.starts_at.astimezone(forum.tz).date(), clean.breaks, forum.tz))
    _replace_slots(session, times, check_only=True)
    session.name, session.starts_at, session.ends_at = clean.name, clean.starts_at, clean.ends_at
    session.slot_minutes, session.gap_minutes, session.breaks = clean.slot_minutes, clean.gap_minutes, clean.breaks
    kept, added, removed = _replace_slots(session, times)
    audit.record(subject_type="meeting_session", subject_id=session.id, action="updated", actor=by,
                 forum_id=forum.id, before=before,
                 after={"name": session.name, "starts_at": session.starts_at.isoformat(),
                        "ends_at": session.ends_at.isoformat(), "slot_minutes": session.slot_minutes,
                        "gap_minutes": session.gap_minutes, "breaks": session.breaks},
                 slots_kept=kept, slots_added=added, slots_removed=removed)
    return session


def generate_slots(session: MeetingSession) -> tuple[int, int, int]:
    """Make the session's slots match its times: (kept, added, removed). Slots whose start and end are
    unchanged stay (with their tables, interpreters, unavailabilities); the others go, unless a scheduled
    meeting uses one (InvalidState 'slots_in_use', nothing changed)."""
    tz = session.forum.tz
    return _replace_slots(session, session_slot_times(session, tz))


def _scheduled_meetings_on(slot_ids: list[int]) -> int:
    if not slot_ids:
        return 0
    return db.session.scalar(sa.select(sa.func.count()).select_from(Meeting).where(
        Meeting.slot_id.in_(slot_ids), Meeting.state == MeetingState.SCHEDULED)) or 0


def _slots_in_use_error(n: int, code: str = "slots_in_use") -> InvalidState:
    return InvalidState(ngettext(
        "%(num)d scheduled meeting is in a slot this change would remove. Move or cancel it first, or keep "
        "the times.",
        "%(num)d scheduled meetings are in slots this change would remove. Move or cancel them first, or keep "
        "the times.", n), code=code)


def _drop_slots(slot_ids: list[int]) -> None:
    """Delete slots no scheduled meeting uses. Cancelled meetings on them are history of a grid that no longer
    exists: they go too (their foreign key would refuse the deletion). Links cascade in the database."""
    if not slot_ids:
        return
    db.session.execute(sa.delete(Meeting).where(Meeting.slot_id.in_(slot_ids),
                                                Meeting.state != MeetingState.SCHEDULED))
    db.session.execute(sa.delete(Unavailability).where(Unavailability.slot_id.in_(slot_ids)))
    from forum.meetings.models import interpreter_slots, table_slots

    db.session.execute(sa.delete(table_slots).where(table_slots.c.slot_id.in_(slot_ids)))
    db.session.execute(sa.delete(interpreter_slots).where(interpreter_slots.c.slot_id.in_(slot_ids)))
    db.session.execute(sa.delete(MeetingSlot).where(MeetingSlot.id.in_(slot_ids)))


def _replace_slots(session: MeetingSession, times: list[tuple[datetime, datetime]],
                   check_only: bool = False) -> tuple[int, int, int]:
    existing = list(db.session.scalars(sa.select(MeetingSlot).where(MeetingSlot.session_id == session.id)))
    wanted = set(times)
    keep = [s for s in existing if (s.starts_at, s.ends_at) in wanted]
    gone = [s.id for s in existing if (s.starts_at, s.ends_at) not in wanted]
    n = _scheduled_meetings_on(gone)
    if n:
        raise _slots_in_use_error(n)
    if check_only:
        return len(keep), 0, len(gone)
    have = {(s.starts_at, s.ends_at) for s in keep}
    _drop_slots(gone)
    added = 0
    for start, end in times:
        if (start, end) not in have:
            db.session.add(MeetingSlot(forum_id=session.forum_id, session_id=session.id, starts_at=start, ends_at=end))
            added += 1
    db.session.flush()
    if gone or added:
        _grid_changed(session.forum_id)
    # Relationship collections loaded before (the session's slots, tables' and interpreters' slots) are stale.
    db.session.expire_all()
    return len(keep), added, len(gone)


def delete_session(session: MeetingSession, *, by: User | None) -> int:
    """Delete a session and its slots; refused while a scheduled meeting is in one. Returns the slots deleted."""
    forum_id = session.forum_id
    _require(by, forum_id)
    lock_forum(forum_id)
    slot_ids = list(db.session.scalars(sa.select(MeetingSlot.id).where(MeetingSlot.session_id == session.id)))
    n = _scheduled_meetings_on(slot_ids)
    if n:
        raise InvalidState(ngettext(
            "%(num)d scheduled meeting is in this session. Move or cancel it before deleting the session.",
            "%(num)d scheduled meetings are in this session. Move or cancel them before deleting the session.", n),
            code="session_in_use")
    audit.record(subject_type="meeting_session", subject_id=session.id, action="deleted", actor=by, forum_id=forum_id,
                 name=session.name, starts_at=session.starts_at.isoformat(), ends_at=session.ends_at.isoformat(),
                 slots=len(slot_ids))
    _drop_slots(slot_ids)
    db.session.execute(sa.delete(MeetingSession).where(MeetingSession.id == session.id))
    _grid_changed(forum_id)
    db.session.expire_all()
    return len(slot_ids)


def _grid_changed(forum_id: int) -> None:
    """A draft run was planned on the grid as it was: it can no longer be published."""
    db.session.execute(sa.update(ScheduleRun).where(ScheduleRun.forum_id == forum_id,
                                                    ScheduleRun.status == RunStatus.DRAFT)
                       .values(status=RunStatus.SUPERSEDED))


def sessions(forum: Forum) -> list[MeetingSession]:
    """The forum's sessions in time order, their slots loaded."""
    from sqlalchemy.orm import selectinload

    return list(db.session.scalars(sa.select(MeetingSession).options(selectinload(MeetingSession.slots))
                                   .where(MeetingSession.forum_id == forum.id)
                                   .order_by(MeetingSession.starts_at, MeetingSession.id)))


def forum_slots(forum: Forum | int) -> list[MeetingSlot]:
    forum_id = forum if isinstance(forum, int) else forum.id
    return list(db.session.scalars(sa.select(MeetingSlot).where(MeetingSlot.forum_id == forum_id)
                                   .order_by(MeetingSlot.starts_at, MeetingSlot.id)))


def _slots_of_forum(forum_id: int, slot_ids, errors: _Errors, field_: str = "slots") -> list[MeetingSlot]:
    ids = []
    for v in slot_ids or []:
        n = _int(v, 1, 2**31 - 1)
        if n is None:
            errors.add(field_, "slots_invalid", _("Choose slots from the list."))
            return []
        ids.append(n)
    if not ids:
        return []
    found = list(db.session.scalars(sa.select(MeetingSlot).where(MeetingSlot.id.in_(set(ids)),
                                                                 MeetingSlot.forum_id == forum_id)))
    if len(found) != len(set(ids)):
        errors.add(field_, "slots_invalid", _("Choose slots from the list."))
        return []
    return sorted(found, key=lambda s: (s.starts_at, s.id))


# --- tables --------------------------------------------------------------------------------------

def parse_numbers(spec) -> list[int] | None:
    """'1-40' / '5' / '1-10, 15, 20-22' -> the numbers, sorted and distinct; None when it is not that shape or
    a number is out of range."""
    text = _clean(spec)
    if not text:
        return None
    out: set[int] = set()
    for part in re.split(r"[,;\s]+", re.sub(r"\s*[-–]\s*", "-", text)):
        if not part:
            continue
        m = re.fullmatch(r"([0-9]{1,6})(?:-([0-9]{1,6}))?", part)
        if m is None:
            return None
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if lo < 1 or hi < lo or hi > TABLE_NUMBER_MAX or hi - lo >= TABLES_AT_ONCE:
            return None
        out.update(range(lo, hi + 1))
        if len(out) > TABLES_AT_ONCE:
            return None
    if not out:
        return None
    return sorted(out)


def _label(value, errors: _Errors) -> str:
    label = _clean(value)
    if not is_one_line(label) or _has_controls(label):
        errors.add("label", "label_invalid", _("Write the label on one line."))
    elif limit := too_long(MeetingTable.label, label):
        errors.add("label", "label_too_long", _("At most %(n)d characters.", n=limit))
    return label


def add_tables(forum: Forum, numbers_spec, *, label: str = "", by: User | None) -> list[MeetingTable]:
    """Add tables in bulk ('1-40'); refused as a whole, naming them, when some numbers exist already."""
    _require(by, forum)
    lock_forum(forum.id)
    errors = _Errors()
    numbers = parse_numbers(numbers_spec)
    if numbers is None:
        errors.add("numbers", "numbers_invalid",
                   _("Write table numbers like 1-40 or 1-10, 15 (from 1 to %(max)d, at most %(n)d at once).",
                     max=TABLE_NUMBER_MAX, n=TABLES_AT_ONCE))
    label = _label(label, errors)
    errors.raise_any()
    taken = list(db.session.scalars(sa.select(MeetingTable.number).where(
        MeetingTable.forum_id == forum.id, MeetingTable.number.in_(numbers)).order_by(MeetingTable.number)))
    if taken:
        _taken_error(taken)
    tables = [MeetingTable(forum_id=forum.id, number=n, label=label) for n in numbers]
    try:
        # Added inside the savepoint: begin_nested() flushes what is pending before it starts.
        with db.session.begin_nested():
            db.session.add_all(tables)
            db.session.flush()
    except IntegrityError:
        # Someone added the same numbers meanwhile (the unique constraint decides).
        _taken_error(numbers)
    audit.record(subject_type="forum", subject_id=forum.id, action="b2b_tables_added", actor=by, forum_id=forum.id,
                 numbers=numbers, label=label)
    _grid_changed(forum.id)
    return tables


def _taken_error(numbers: list[int]):
    shown = ", ".join(str(n) for n in numbers[:20]) + ("…" if len(numbers) > 20 else "")
    raise GridErrors([("numbers", "table_exists",
                       ngettext("Table %(which)s already exists.", "These tables already exist: %(which)s.",
                                len(numbers), which=shown))])


@dataclass
class TableInput:
    number: str | int = ""
    label: str = ""
    active: bool = True
    all_slots: bool = True
    slot_ids: list = field(default_factory=list)


def _meetings_lost(column, obj_id: int, active: bool, all_slots: bool, slot_ids: set[int]) -> int:
    """Scheduled meetings at this table / with this interpreter that a change would leave without it: all of
    them when it is deactivated, those outside the chosen slots when it is restricted."""
    if active and all_slots:
        return 0
    stmt = sa.select(sa.func.count()).select_from(Meeting).where(column == obj_id,
                                                                Meeting.state == MeetingState.SCHEDULED)
    if active:
        stmt = stmt.where(Meeting.slot_id.not_in(slot_ids))
    return db.session.scalar(stmt) or 0


def update_table(table: MeetingTable, data: TableInput, *, by: User | None) -> MeetingTable:
    """Number, label, active, and the slots it is usable in. A table with scheduled meetings keeps the slots
    they are in (InvalidState 'table_in_use')."""
    _require(by, table.forum_id)
    lock_forum(table.forum_id)
    errors = _Errors()
    number = _int(data.number, 1, TABLE_NUMBER_MAX)
    if number is None:
        errors.add("number", "number_invalid", _("A table number is from 1 to %(max)d.", max=TABLE_NUMBER_MAX))
    label = _label(data.label, errors)
    slots = [] if data.all_slots else _slots_of_forum(table.forum_id, data.slot_ids, errors)
    if not data.all_slots and not slots and not errors.has("slots"):
        errors.add("slots", "slots_required", _("Choose the slots it is available in, or all slots."))
    if number is not None and number != table.number and db.session.scalar(sa.select(MeetingTable.id).where(
            MeetingTable.forum_id == table.forum_id, MeetingTable.number == number)) is not None:
        errors.add("number", "table_exists", _("Table %(n)d already exists.", n=number))
    errors.raise_any()
    active = bool(data.active)
    n = _meetings_lost(Meeting.table_id, table.id, active, bool(data.all_slots), {s.id for s in slots})
    if n:
        raise InvalidState(ngettext(
            "%(num)d scheduled meeting is at this table in the slots you are taking away. Move or cancel it first.",
            "%(num)d scheduled meetings are at this table in the slots you are taking away. Move or cancel them "
            "first.", n), code="table_in_use")
    before = {"number": table.number, "label": table.label, "active": table.active, "all_slots": table.all_slots,
              "slots": [s.id for s in table.slots]}
    try:
        # The changes go inside the savepoint: begin_nested() flushes what is pending before it starts.
        with db.session.begin_nested():
            table.number, table.label, table.active, table.all_slots = number, label, active, bool(data.all_slots)
            table.slots = slots
            db.session.flush()
    except IntegrityError:
        raise GridErrors([("number", "table_exists", _("Table %(n)d already exists.", n=number))])
    audit.record(subject_type="meeting_table", subject_id=table.id, action="updated", actor=by,
                 forum_id=table.forum_id, before=before,
                 after={"number": table.number, "label": table.label, "active": table.active,
                        "all_slots": table.all_slots, "slots": [s.id for s in slots]})
    _grid_changed(table.forum_id)
    return table


def set_table_active(table: MeetingTable, active: bool, *, by: User | None) -> MeetingTable:
    data = TableInput(number=table.number, label=table.label, active=active, all_slots=table.all_slots,
                      slot_ids=[s.id for s in table.slots])
    return update_table(table, data, by=by)


def tables(forum: Forum) -> list[MeetingTable]:
    from sqlalchemy.orm import selectinload

    return list(db.session.scalars(sa.select(MeetingTable).options(selectinload(MeetingTable.slots))
                                   .where(MeetingTable.forum_id == forum.id).order_by(MeetingTable.number)))


# --- interpreters --------------------------------------------------------------------------------

@dataclass
class InterpreterInput:
    name: str = ""
    email: str = ""
    languages: list = field(default_factory=list)
    active: bool = True
    all_slots: bool = True
    slot_ids: list = field(default_factory=list)


def save_interpreter(forum: Forum, data: InterpreterInput, *, interpreter: Interpreter | None = None,
                     by: User | None) -> Interpreter:
    """Add (interpreter None) or change an interpreter: a name in any script, an optional e-mail, at least two
    languages of the list, and the slots they are there (all, or the ones chosen)."""
    _require(by, forum)
    lock_forum(forum.id)
    if interpreter is not None and interpreter.forum_id != forum.id:
        raise NotAllowed(_("This interpreter works at another forum."), code="wrong_forum")
    errors = _Errors()
    name = _clean(data.name)
    if not name:
        errors.add("name", "name_required", _("Enter the interpreter's name."))
    elif not is_one_line(name) or _has_controls(name):
        errors.add("name", "name_invalid", _("Write the name on one line."))
    elif limit := too_long(Interpreter.name, name):
        errors.add("name", "name_too_long", _("At most %(n)d characters.", n=limit))
    email = normalize_email(_clean(data.email)) if _clean(data.email) else ""
    if email and (not is_plain_address(email) or _has_controls(email) or too_long(Interpreter.email, email)
                  or email.startswith("@") or email.endswith("@")):
        errors.add("email", "email_invalid", _("Enter an e-mail address like name@example.org, or leave it empty."))
    langs = [_clean(c) for c in (data.languages or [])]
    if any(c not in SPOKEN_LANGUAGES for c in langs):
        errors.add("languages", "language_unknown", _("Choose languages from the list."))
    else:
        langs = [c for c in SPOKEN_LANGUAGES if c in set(langs)]
        if len(langs) < 2:
            errors.add("languages", "languages_too_few", _("An interpreter works between at least two languages."))
    slots = [] if data.all_slots else _slots_of_forum(forum.id, data.slot_ids, errors)
    if not data.all_slots and not slots and not errors.has("slots"):
        errors.add("slots", "slots_required", _("Choose the slots they are available in, or all slots."))
    errors.raise_any()
    active = bool(data.active)
    if interpreter is not None:
        n = _meetings_lost(Meeting.interpreter_id, interpreter.id, active, bool(data.all_slots),
                           {s.id for s in slots})
        if n:
            raise InvalidState(ngettext(
                "%(num)d scheduled meeting needs this interpreter in the slots you are taking away. Move or cancel "
                "it first.",
                "%(num)d scheduled meetings need this interpreter in the slots you are taking away. Move or cancel "
                "them first.", n), code="interpreter_in_use")
        # The languages matter too: a meeting they interpret keeps its pair of languages.
        if set(langs) != set(interpreter.languages) and _meetings_lost(Meeting.interpreter_id, interpreter.id,
                                                                       False, False, set()):
            raise InvalidState(_("This interpreter has scheduled meetings: their languages cannot change until "
                                 "those meetings are moved or cancelled."), code="interpreter_in_use")
    action = "created" if interpreter is None else "updated"
    before = None if interpreter is None else {
        "name": interpreter.name, "email": interpreter.email, "languages": interpreter.languages,
        "active": interpreter.active, "all_slots": interpreter.all_slots, "slots": [s.id for s in interpreter.slots]}
    if interpreter is None:
        interpreter = Interpreter(forum_id=forum.id)
        db.session.add(interpreter)
    interpreter.name, interpreter.email, interpreter.languages = name, email, langs
    interpreter.active, interpreter.all_slots, interpreter.slots = active, bool(data.all_slots), slots
    db.session.flush()
    audit.record(subject_type="interpreter", subject_id=interpreter.id, action=action, actor=by, forum_id=forum.id,
                 before=before, after={"name": name, "email": email, "languages": langs, "active": active,
                                       "all_slots": interpreter.all_slots, "slots": [s.id for s in slots]})
    _grid_changed(forum.id)
    return interpreter


def interpreters(forum: Forum):
    """A select() of the forum's interpreters by name, their slots loaded (paginated by the page)."""
    from sqlalchemy.orm import selectinload

    return (sa.select(Interpreter).options(selectinload(Interpreter.slots)).where(Interpreter.forum_id == forum.id)
            .order_by(Interpreter.active.desc(), Interpreter.name, Interpreter.id))


# --- settings ------------------------------------------------------------------------------------

@dataclass
class SettingsInput:
    enabled: bool = True
    request_deadline: str | datetime | None = ""  # forum-local 'YYYY-MM-DD HH:MM' (or 'T'); empty: none
    open_request_quota: str | int = 20
    default_max_meetings: str | int = 8


def parse_local_datetime(value) -> tuple[date, time] | None:
    if isinstance(value, datetime):
        return value.date(), value.time().replace(second=0, microsecond=0)
    text = _clean(value)
    m = re.fullmatch(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]([0-9]{1,2}:[0-9]{2})", text)
    if m is None:
        return None
    d, t = parse_day(m.group(1)), parse_hhmm(m.group(2))
    return (d, t) if d is not None and t is not None else None


def save_settings(forum: Forum, data: SettingsInput, *, by: User | None) -> B2BSettings:
    _require(by, forum)
    lock_forum(forum.id)
    errors = _Errors()
    deadline = None
    if data.request_deadline not in (None, "") and _clean(data.request_deadline) != "":
        parsed = parse_local_datetime(data.request_deadline)
        if parsed is None:
            errors.add("request_deadline", "deadline_invalid",
                       _("Enter the deadline as YYYY-MM-DD HH:MM, or leave it empty."))
        else:
            try:
                deadline = local_to_utc(parsed[0], parsed[1], forum.tz)
            except ValueError:
                errors.add("request_deadline", "deadline_invalid",
                           _("This time does not exist or happens twice on that day in %(zone)s: choose another.",
                             zone=forum.timezone))
    quota = _int(data.open_request_quota, 1, QUOTA_MAX)
    if quota is None:
        errors.add("open_request_quota", "quota_invalid",
                   _("A whole number from 1 to %(max)d.", max=QUOTA_MAX))
    cap = _int(data.default_max_meetings, 1, MAX_MEETINGS_MAX)
    if cap is None:
        errors.add("default_max_meetings", "max_meetings_invalid",
                   _("A whole number from 1 to %(max)d.", max=MAX_MEETINGS_MAX))
    errors.raise_any()
    s = participation.settings(forum)
    before = {"enabled": s.enabled, "request_deadline": s.request_deadline.isoformat() if s.request_deadline else None,
              "open_request_quota": s.open_request_quota, "default_max_meetings": s.default_max_meetings}
    s.enabled, s.request_deadline, s.open_request_quota, s.default_max_meetings = bool(data.enabled), deadline, quota, cap
    db.session.flush()
    audit.record(subject_type="forum", subject_id=forum.id, action="b2b_settings_changed", actor=by,
                 forum_id=forum.id, before=before,
                 after={"enabled": s.enabled, "request_deadline": deadline.isoformat() if deadline else None,
                        "open_request_quota": quota, "default_max_meetings": cap})
    return s


def current_settings(forum: Forum) -> B2BSettings:
    """The forum's settings for reading: the stored row, or the defaults (not saved) when there is none yet."""
    found = db.session.scalar(sa.select(B2BSettings).where(B2BSettings.forum_id == forum.id))
    if found is not None:
        return found
    defaults = {c.name: c.default.arg for c in B2BSettings.__table__.columns if c.default is not None}
    return B2BSettings(forum_id=forum.id, enabled=defaults["enabled"], request_deadline=None,
                       open_request_quota=defaults["open_request_quota"],
                       default_max_meetings=defaults["default_max_meetings"])
