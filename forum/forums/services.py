"""Forums: creating and editing them, and what the public sees."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, available_timezones

import sqlalchemy as sa
from flask_babel import gettext as _

from forum.teams import permissions
from forum.teams.models import Permission
from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db, nfc, too_long
from forum.errors import InvalidInput, NotAllowed
from forum.forums.models import TEXT_FIELDS, TEXT_LANGUAGES, Forum, ForumStatus, ForumText, WaitlistMode
from forum.text import LINE_BREAKS, NOTE_CONTROLS, is_one_line
from forum.registration.choices import COUNTRY_CODES

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
    # The delegate categories the public form offers; "delegate" always. None: as they are (new: delegate only).
    public_categories: list[str] | None = None
    # Until when contact persons and delegates correct their data themselves; None: until the forum starts.
    badge_deadline_local: datetime | None = None
    allow_substitutions: bool = True
    # What a place given up does (registration.waitlist): "auto" approves the first waitlisted, "ask" asks.
    waitlist_mode: str = WaitlistMode.AUTO.value
    # The English practical information (visa, transport, dress code) and programme; None: as they are.
    practical_info: str | None = None
    programme: str | None = None
    # The other languages' texts, {"ja": {"title": ..., "venue": ..., ...}} (forums.models.TEXT_LANGUAGES and
    # TEXT_FIELDS). None: as they are; otherwise the whole set, and a language absent or with every field empty
    # has no texts afterwards (its readers get the fallback of forums.content).
    texts: dict[str, dict[str, str]] | None = None


# registration.models.Category's values, in its order (not imported: registration depends on forums).
CATEGORY_VALUES = ("delegate", "speaker", "press", "vip")


class BadLocalTime(ValueError):
    """A wall-clock time the zone skips (clocks go forward) or shows twice (clocks go back)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind  # "nonexistent" or "ambiguous"


def to_utc(local: datetime, zone: str) -> datetime:
    """A forum-local wall-clock time to UTC, or BadLocalTime when the zone has no single such instant."""
    tz = ZoneInfo(zone)
    first, second = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        back = first.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None)
        raise BadLocalTime("nonexistent" if back != local else "ambiguous")
    return first.astimezone(timezone.utc)


CAPACITY_MAX = 100_000  # also keeps the number inside the column's 32-bit INTEGER

# Years a forum can be in: also keeps year-1 dates from overflowing when shifted to UTC.
YEARS = range(2000, 2101)


# The longest a forum's text may be, per field, in every language (title and venue are single lines).
TEXT_LIMITS = {"title": 200, "venue": 200, "description": 10_000, "practical_info": 10_000, "programme": 10_000}
ONE_LINE_FIELDS = frozenset({"title", "venue"})


def text_field_name(lang: str, field: str) -> str:
    """The form's (and the error's) name of a field in a language: the English ones are the forum's own."""
    return field if lang == "en" else f"{lang}_{field}"


def _clean_text(value: str | None, field: str) -> tuple[str, str | None]:
    """A forum text as stored (NFC, outer spaces trimmed, line breaks as \\n) and what is wrong with it, if anything."""
    text = nfc(value if isinstance(value, str) else "") or ""
    if field in ONE_LINE_FIELDS:
        # The title is in every mail's subject; neither has a place for a line break.
        if not is_one_line(text):
            return text, _("Write this on one line: line breaks are not allowed here.")
        allowed: frozenset[str] = frozenset()
    else:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        allowed = NOTE_CONTROLS
    if any((ord(c) < 32 or 127 <= ord(c) < 160 or c in LINE_BREAKS) and c not in allowed for c in text):
        return text, _("Remove the invisible control characters from this text.")
    # Checked once normalised: NFC can make a text longer than the form's Length() saw.
    if len(text) > TEXT_LIMITS[field]:
        return text, _("At most %(n)d characters.", n=TEXT_LIMITS[field])
    return text, None


def _validate_texts(data: ForumInput, errors: dict[str, str]) -> None:
    """The texts in every language: normalised in place, each error under its field's name."""
    for field in ("title", "venue", "description", "practical_info", "programme"):
        if getattr(data, field) is None:
            continue  # practical_info / programme left as they are
        cleaned, problem = _clean_text(getattr(data, field), field)
        setattr(data, field, cleaned)
        if problem:
            errors[field] = problem
    if data.texts is None:
        return
    unknown = set(data.texts) - set(TEXT_LANGUAGES)
    if unknown or any(set(v or {}) - set(TEXT_FIELDS) for v in data.texts.values()):
        errors["texts"] = _("Texts can be given in Japanese, Russian, Kazakh and Uzbek besides English.")
        return
    cleaned_texts: dict[str, dict[str, str]] = {}
    for lang in TEXT_LANGUAGES:
        given = data.texts.get(lang) or {}
        cleaned_texts[lang] = {}
        for field in TEXT_FIELDS:
            cleaned, problem = _clean_text(given.get(field), field)
            cleaned_texts[lang][field] = cleaned
            if problem:
                errors[text_field_name(lang, field)] = problem
    data.texts = cleaned_texts


def validate(data: ForumInput, existing: Forum | None) -> dict[str, str]:
    """Every rule the input breaks, as {field name: message}; normalises `data` in place. Saves nothing."""
    errors: dict[str, str] = {}
    data.slug = (data.slug or "").strip().lower()
    data.city = nfc(data.city) or ""
    data.description = data.description or ""
    _validate_texts(data, errors)
    if not SLUG_RE.match(data.slug):
        errors["slug"] = _("Use lower-case Latin letters, digits and single hyphens, e.g. astana-2025.")
    else:
        clash = db.session.scalar(sa.select(Forum.id).where(Forum.slug == data.slug))
        if clash is not None and (existing is None or clash != existing.id):
            errors["slug"] = _("Another forum already uses this address.")
    for name in ("title", "city"):
        if not getattr(data, name):
            errors[name] = _("This field is required.")
    if not is_one_line(data.city):
        errors["city"] = _("Write this on one line: line breaks are not allowed here.")
    if data.public_categories is not None:
        if any(c not in CATEGORY_VALUES for c in data.public_categories):
            errors["public_categories"] = _("Choose categories from the list.")
        else:
            chosen = set(data.public_categories) | {"delegate"}
            data.public_categories = [c for c in CATEGORY_VALUES if c in chosen]
    for name in ("slug", "city"):
        # Checked once normalised: NFC can make a text longer than the form's Length() saw.
        if limit := too_long(getattr(Forum, name), getattr(data, name)):
            errors[name] = _("At most %(n)d characters.", n=limit)
    if data.timezone not in TIMEZONES:
        errors["timezone"] = _("Choose a time zone from the list, e.g. Asia/Almaty.")
    if data.waitlist_mode not in {m.value for m in WaitlistMode}:
        errors["waitlist_mode"] = _("Choose what happens to a free place from the list.")
    if data.status not in {s.value for s in ForumStatus}:
        errors["status"] = _("Choose a status from the list.")
    elif (data.status == ForumStatus.CANCELLED.value) != (existing is not None and existing.status is ForumStatus.CANCELLED):
        # Cancelling tells hundreds of people: it is its own confirmed action (forum/forums/cancellation.py),
        # never a value picked in this form; and a cancelled forum is not reopened from here either.
        errors["status"] = (_("To cancel the forum, use “Cancel the forum”: it shows who will be told first.")
                            if data.status == ForumStatus.CANCELLED.value else
                            _("A cancelled forum is reopened with “Reopen the forum”: it shows who will be restored first."))
    if data.timezone in TIMEZONES:
        for name in ("starts_local", "ends_local", "opens_local", "closes_local", "badge_deadline_local"):
            local = getattr(data, name)
            if local is None:
                continue
            if local.year not in YEARS:
                errors[name] = _("Enter a date between %(first)d and %(last)d.", first=YEARS[0], last=YEARS[-1])
                continue
            try:
                to_utc(local, data.timezone)
            except BadLocalTime as e:
                errors[name] = (
                    _("This time does not exist in %(zone)s: the clocks skip it. Choose another time.", zone=data.timezone)
                    if e.kind == "nonexistent" else
                    _("This time happens twice in %(zone)s, when the clocks go back. Choose another time.",
                      zone=data.timezone))
    if data.capacity is None or data.capacity < 1:
        errors["capacity"] = _("Capacity must be at least 1.")
    elif data.capacity > CAPACITY_MAX:
        errors["capacity"] = _("Capacity can be at most %(n)d.", n=CAPACITY_MAX)
    if (data.country or "").upper() not in COUNTRY_CODES:
        errors["country"] = _("Choose a country from the list.")
    if data.starts_local and data.ends_local and data.ends_local < data.starts_local:
        errors["ends_local"] = _("The forum cannot end before it starts.")
    if data.opens_local and data.closes_local and data.closes_local < data.opens_local:
        errors["closes_local"] = _("Registration cannot close before it opens.")
    if data.closes_local and data.ends_local and data.closes_local > data.ends_local:
        errors["closes_local"] = _("Registration must close before the forum ends.")
    if data.badge_deadline_local and data.ends_local and data.badge_deadline_local > data.ends_local:
        errors.setdefault("badge_deadline_local", _("The badge deadline must be before the forum ends."))
    return errors


class ForumFormError(InvalidInput):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_("Please correct the marked fields."), code="invalid_forum")
        self.errors = errors


def save_forum(data: ForumInput, *, by: User, forum: Forum | None = None) -> Forum:
    """Create (forum=None) or update a forum. Local times are converted with the forum's own zone."""
    if forum is None:
        permissions.require_admin(by)  # site administrators create forums
    else:
        permissions.require(by, forum, Permission.MANAGE)
    errors = validate(data, forum)
    if errors:
        raise ForumFormError(errors)
    creating = forum is None
    if creating:
        forum = Forum()
        db.session.add(forum)
    else:
        # The forum row first (the house lock order): a capacity raised gives its places to the waiting list
        # below, and decisions in this forum wait meanwhile. Nothing of the edit is on the object yet.
        from forum.registration import states

        forum = states.lock_forum(forum.id)
    before = {} if creating else _audited_fields(forum)
    forum.slug, forum.title, forum.city, forum.venue = data.slug, data.title, data.city, data.venue
    forum.country, forum.timezone, forum.capacity = data.country.upper(), data.timezone, data.capacity
    forum.description, forum.status = data.description, ForumStatus(data.status)
    forum.waitlist_mode = WaitlistMode(data.waitlist_mode)
    if data.public_categories is not None:
        forum.public_categories = list(data.public_categories)
    elif creating:
        forum.public_categories = ["delegate"]
    forum.starts_at = to_utc(data.starts_local, data.timezone)
    forum.ends_at = to_utc(data.ends_local, data.timezone)
    forum.registration_opens_at = to_utc(data.opens_local, data.timezone)
    forum.registration_closes_at = to_utc(data.closes_local, data.timezone)
    forum.badge_deadline = to_utc(data.badge_deadline_local, data.timezone) if data.badge_deadline_local else None
    forum.allow_substitutions = bool(data.allow_substitutions)
    if data.practical_info is not None:
        forum.practical_info = data.practical_info
    if data.programme is not None:
        forum.programme = data.programme
    if data.texts is not None:
        _save_texts(forum, data.texts)
    db.session.flush()
    after = _audited_fields(forum)
    # A language's texts removed are changes too (their keys are only in `before`).
    changes = {k: [before.get(k), after.get(k)] for k in {**before, **after} if before.get(k) != after.get(k)}
    audit.record(subject_type="forum", subject_id=forum.id, action="created" if creating else "updated",
                 actor=by, forum_id=forum.id, from_state=before.get("status"), to_state=forum.status.value,
                 changes=changes)
    if creating:
        from forum.teams import services as teams

        teams.grant(forum, by, [Permission.MANAGE], by=by)  # the creator manages the forum
    elif forum.capacity > before["capacity"]:
        from forum.registration import waitlist

        # The places added go to the waiting list (in "auto" mode), after the edit, under the forum lock.
        waitlist.fill_free_places(forum, places=forum.capacity - before["capacity"],
                                  capacity=[before["capacity"], forum.capacity])
    return forum


def _save_texts(forum: Forum, texts: dict[str, dict[str, str]]) -> None:
    """A language with some text has its row (created when new); one with none has none (its row removed)."""
    rows = {row.language: row for row in forum.texts}
    for lang in TEXT_LANGUAGES:
        given = texts.get(lang) or {}
        row = rows.get(lang)
        if any(given.get(field) for field in TEXT_FIELDS):
            if row is None:
                row = ForumText(language=lang)
                forum.texts.append(row)
            for field in TEXT_FIELDS:
                setattr(row, field, given.get(field) or "")
        elif row is not None:
            forum.texts.remove(row)  # delete-orphan: the row goes


def _audited_fields(forum: Forum) -> dict[str, object]:
    """What an edit can change, as JSON-friendly values (times in UTC ISO format)."""
    out: dict[str, object] = {}
    for name in ("slug", "title", "city", "venue", "country", "timezone", "capacity", "description", "status",
                 "starts_at", "ends_at", "registration_opens_at", "registration_closes_at", "public_categories",
                 "badge_deadline", "allow_substitutions", "waitlist_mode", "practical_info", "programme"):
        value = getattr(forum, name)
        if isinstance(value, list):
            value = list(value)
        out[name] = value.isoformat() if isinstance(value, datetime) else getattr(value, "value", value)
    for row in forum.texts:
        for field in TEXT_FIELDS:
            out[text_field_name(row.language, field)] = getattr(row, field) or ""
    return out


def input_of(forum: Forum) -> ForumInput:
    """The forum as the edit form would send it unchanged: change a field or two and save_forum() it."""
    def local(at: datetime) -> datetime:
        return forum.local(at).replace(tzinfo=None)

    return ForumInput(
        slug=forum.slug, title=forum.title, city=forum.city, country=forum.country, timezone=forum.timezone,
        starts_local=local(forum.starts_at), ends_local=local(forum.ends_at),
        opens_local=local(forum.registration_opens_at), closes_local=local(forum.registration_closes_at),
        capacity=forum.capacity, venue=forum.venue, description=forum.description, status=forum.status.value,
        public_categories=list(forum.public_categories or ["delegate"]), waitlist_mode=forum.waitlist_mode.value,
        practical_info=forum.practical_info or "", programme=forum.programme or "",
        texts={row.language: {field: getattr(row, field) or "" for field in TEXT_FIELDS} for row in forum.texts})


def public_forums() -> list[Forum]:
    return list(db.session.scalars(
        sa.select(Forum).where(Forum.status != ForumStatus.DRAFT).order_by(Forum.starts_at)
    ))


def all_forums() -> list[Forum]:
    return list(db.session.scalars(sa.select(Forum).order_by(Forum.starts_at.desc())))


def forums_managed_by(user: User) -> list[Forum]:
    """The forums on this user's organizer pages: every one for an administrator, else their teams'."""
    return list(db.session.scalars(permissions.visible_forums_query(user).order_by(Forum.starts_at.desc())))


def get_public(slug: str, viewer: User | None) -> Forum | None:
    forum = db.session.scalar(sa.select(Forum).where(Forum.slug == slug))
    if forum is None:
        return None
    if not forum.is_public and not permissions.has_permission(viewer, forum, Permission.MANAGE):
        return None
    return forum
