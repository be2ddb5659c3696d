"""A delegate's B2B agenda as an iCalendar file (RFC 5545), for the download, the subscription URL and the
e-mail sent on publishing.

One VEVENT per meeting request the delegate ever had a meeting for:
- UID: the request's public id, so a moved meeting updates its event and nothing is ever duplicated;
- SEQUENCE: how often the request's meeting changed (history.RequestHistory.changes), which only grows;
- STATUS: CONFIRMED while the meeting is on the agenda (a no-show too: it was still the appointment),
  CANCELLED once the latest row is cancelled (so subscribed calendars remove it);
- DTSTART/DTEND in the forum's zone (TZID) with its VTIMEZONE.
The texts (summary, place, description) are in the delegate's language.
"""
from __future__ import annotations

import functools
from datetime import date, datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone

from forum import clock
from forum.agendas.history import RequestHistory, rows_of
from forum.forums.models import Forum
from forum.meetings.models import Meeting
from forum.meetings.reasons import both_scripts
from forum.registration.choices import country_name
from forum.registration.models import CompanyRegistration, Registration
from forum.urls import external_url

UID_DOMAIN = "forum-b2b"
PRODID = "-//forum//B2B agenda//EN"
FILENAME = "b2b-agenda.ics"
CONTENT_TYPE = "text/calendar; method=PUBLISH"


def uid(history: RequestHistory) -> str:
    return f"{history.current.request.public_id}@{UID_DOMAIN}"


def company_names(company: CompanyRegistration) -> str:
    """'株式会社アオバ (Aoba Co., Ltd.)': the legal name, and the English one when it differs."""
    legal, en = (company.legal_name or "").strip(), (company.name_en or "").strip()
    return f"{legal} ({en})" if en and en != legal else (legal or en)


def _other(m: Meeting, reg: Registration) -> Registration:
    return m.b if m.a_id == reg.id else m.a


def _place(m: Meeting, forum: Forum) -> str:
    table = _("Table %(n)s", n=m.table.number)
    if m.table.label:
        table = f"{table} ({m.table.label})"
    where = ", ".join(x for x in (forum.shown_venue, forum.city) if x)
    return f"{table} · {where}" if where else table


def _description(m: Meeting, reg: Registration, forum: Forum, link: str) -> str:
    other = _other(m, reg)
    lines = [_("B2B meeting with %(name)s", name=both_scripts(other))]
    if other.position:
        lines.append(other.position)
    lines.append(f"{company_names(other.company)} · {country_name(other.company.country)}")
    lines.append(_("Table %(n)s", n=m.table.number) + (f" ({m.table.label})" if m.table.label else ""))
    if m.interpreter is not None:
        lines.append(_("Interpreter: %(name)s", name=m.interpreter.name))
    lines += ["", _("Your agenda: %(link)s", link=link)]
    return "\n".join(lines)


def _event(h: RequestHistory, reg: Registration, forum: Forum, *, now: datetime, link: str) -> Event:
    m = h.current
    other = _other(m, reg)
    ev = Event()
    ev.add("uid", uid(h))
    ev.add("dtstamp", now)
    ev.add("last-modified", h.last_modified)
    ev.add("sequence", h.changes)
    ev.add("status", "CANCELLED" if h.cancelled else "CONFIRMED")
    ev.add("summary", _("B2B: %(name)s (%(company)s)", name=both_scripts(other),
                        company=company_names(other.company)))
    ev.add("dtstart", m.slot.starts_at.astimezone(forum.tz))
    ev.add("dtend", m.slot.ends_at.astimezone(forum.tz))
    ev.add("location", _place(m, forum))
    ev.add("description", _description(m, reg, forum, link))
    ev.add("transp", "TRANSPARENT" if h.cancelled else "OPAQUE")
    return ev


def _calendar(reg: Registration, histories: dict[int, RequestHistory], *, now: datetime) -> bytes:
    forum = reg.forum
    link = external_url("agendas.mine", slug=forum.slug)
    with force_locale(reg.language or "en"):
        cal = Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", "PUBLISH")
        cal.add("x-wr-calname", _("B2B meetings · %(forum)s", forum=forum.shown_title))
        cal.add("x-wr-timezone", forum.timezone)
        ordered = sorted(histories.values(), key=lambda h: (h.current.slot.starts_at, h.current.request_id))
        for h in ordered:
            cal.add_component(_event(h, reg, forum, now=now, link=link))
    if ordered:
        # The zone's rules around the meetings only: a zone that changed its offset (Almaty in 2024) keeps the
        # right one, without 70 years of history in every file. From 1 January of the year before the first
        # meeting to 1 January two years after the last: at least a year either side, and the same VTIMEZONE for
        # every delegate of a forum, computed once (it costs ~30 ms; a cancellation writes hundreds of calendars).
        days = [forum.local(h.current.slot.starts_at).date() for h in ordered]
        cal.subcomponents.insert(0, _vtimezone(forum.timezone, min(days).year - 1, max(days).year + 2))
    return cal.to_ical()


@functools.lru_cache(maxsize=64)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """The zone's VTIMEZONE from 1 January of first_year to 1 January of last_year (shared: never changed)."""
    return Timezone.from_tzid(tzid, first_date=date(first_year, 1, 1), last_date=date(last_year, 1, 1))


def calendar_for(reg: Registration, *, now: datetime | None = None) -> bytes:
    """The delegate's agenda as an .ics file (UTF-8 bytes)."""
    return _calendar(reg, rows_of(reg.forum_id, [reg.id])[reg.id], now=now or clock.now())


def _attachment(data: bytes) -> dict:
    return {"filename": FILENAME, "content_type": CONTENT_TYPE, "text": data.decode("utf-8")}


def attachment_for(reg: Registration, *, now: datetime | None = None) -> dict:
    """The calendar as an e-mail attachment (notifications.services.queue's format)."""
    return _attachment(calendar_for(reg, now=now))


def attachments_for(forum_id: int, regs: list[Registration], *, now: datetime | None = None) -> dict[int, dict]:
    """attachment_for of several delegates of one forum, by registration id, from one query."""
    now = now or clock.now()
    histories = rows_of(forum_id, [r.id for r in regs])
    return {r.id: _attachment(_calendar(r, histories[r.id], now=now)) for r in regs}
