"""Cancelling a forum: its own confirmed action, because it tells every registrant at once.

The organizer first sees what will happen (`preview`: whom it tells, in which language, how many B2B meetings
and badges go), gives the reason in one or more languages and confirms; `cancel` then, in the organizer's one
transaction under the forum lock:

1. cancels the forum's live B2B meetings and open meeting requests, quietly (no request e-mails): done first,
   so that the registration cascade below (meetings.requests._registration_left) finds nothing open and sends
   nothing; each person gets exactly one e-mail, the cancellation;
2. cancels every active registration through the state machine, whose signal revokes each badge
   (badges.issuing); check-in answers forum_cancelled for any badge of a cancelled forum (checkin.services);
3. queues one e-mail per person, in that person's language, with the reason in it (Forum.shown_cancellation_reason
   under the recipient's locale) and, for a delegate who had meetings, their calendar with every event CANCELLED.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from forum import clock, languages
from forum.agendas import ics
from forum.badges import issuing
from forum.teams import permissions
from forum.teams.models import Permission
from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db
from forum.errors import InvalidInput, InvalidState, NotAllowed
from forum.forums import content
from forum.forums.models import Forum, ForumStatus
from forum.meetings import requests as meeting_requests
from forum.meetings import scheduling
from forum.meetings.reasons import both_scripts
from forum.notifications import services as mail
from forum.registration import states
from forum.registration.models import ACTIVE_STATES, RegState, Registration
from forum.text import clean_note
from forum.urls import external_url

REASON_MAX = 2000
# The reason in these languages, as the form shows them (languages.CODES); the one kept in
# Forum.cancellation_reason is the English one, else the first given in MAIN_ORDER.
REASON_LANGUAGES: tuple[str, ...] = languages.CODES
MAIN_ORDER: tuple[str, ...] = ("en", "ru", "kk", "uz", "ja")


def reason_field(lang: str) -> str:
    return f"reason_{lang}"


@dataclass
class Person:
    """One person the cancellation e-mails: a delegate, a contact person, or both."""

    address: str
    name: str  # as written, with the Latin spelling when it differs
    company: str
    language: str
    delegate: bool = False
    contact: bool = False


@dataclass
class Preview:
    registrations: int = 0
    # address -> language: each person once, whether delegate, contact person or both
    recipients: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # address -> the name for the To header
    persons: list[Person] = field(default_factory=list)  # the same people, in registration order
    meetings: int = 0  # live B2B meetings cancelled with the forum
    badges: int = 0  # delegates' live badges revoked with it

    @property
    def people(self) -> int:
        return len(self.recipients)

    @property
    def by_language(self) -> list[tuple[str, int]]:
        return Counter(self.recipients.values()).most_common()


def _active(forum: Forum) -> list[Registration]:
    return list(db.session.scalars(
        sa.select(Registration).options(joinedload(Registration.company))
        .where(Registration.forum_id == forum.id, Registration.state.in_(ACTIVE_STATES))
        .order_by(Registration.id)
    ).unique())


def _preview(regs: list[Registration]) -> Preview:
    p = Preview(registrations=len(regs))
    by_address: dict[str, Person] = {}
    for reg in regs:
        company = ics.company_names(reg.company)
        for addr, lang, name, shown, role in (
                (reg.email, reg.language, reg.full_name, both_scripts(reg), "delegate"),
                (reg.company.contact_email, reg.company.contact_language, reg.company.contact_name,
                 reg.company.contact_name, "contact")):
            p.recipients.setdefault(addr, lang)
            p.names.setdefault(addr, name)
            person = by_address.get(addr)
            if person is None:
                person = by_address[addr] = Person(address=addr, name=shown, company=company, language=lang)
                p.persons.append(person)
            setattr(person, role, True)
    return p


def preview(forum: Forum) -> Preview:
    """What a cancellation would do: the registrations it cancels, whom it e-mails in which language, and how many
    B2B meetings and badges go with it."""
    p = _preview(_active(forum))
    p.meetings = scheduling.live_meetings_count(forum)
    p.badges = issuing.live_delegate_badges(forum)
    return p


def clean_reasons(reasons: dict[str, str | None]) -> dict[str, str]:
    """{language: reason} as stored: only the filled ones, each NFC, at most REASON_MAX characters, no control
    characters but line breaks and tabs; at least one. Raises InvalidInput for the field concerned."""
    out: dict[str, str] = {}
    for lang in REASON_LANGUAGES:
        text = clean_note(reasons.get(lang) or "", field=reason_field(lang), limit=REASON_MAX,
                          too_long_code="reason_too_long")
        if text:
            out[lang] = text
    if not out:
        raise InvalidInput(_("Give the reason in at least one language: every registrant receives it."),
                           code="reason_required", field=reason_field(REASON_LANGUAGES[0]))
    return out


def main_reason(reasons: dict[str, str]) -> str:
    """The reason kept in Forum.cancellation_reason: the English one, else the first given in MAIN_ORDER."""
    return next(reasons[lang] for lang in MAIN_ORDER if lang in reasons)


def shown_reason_language(forum: Forum) -> str | None:
    """The language of the reason the reader sees (Forum.shown_cancellation_reason), for the page's lang="..":
    a Japanese text in a Kazakh page is then drawn with Japanese glyphs."""
    reasons = forum.cancellation_reasons or {}
    lang = content.picked_language({"en": forum.cancellation_reason, **reasons})
    if lang == "en" and "en" not in reasons and reasons:
        return next(code for code in MAIN_ORDER if code in reasons)  # "en" stands for the main reason there
    return lang


def cancel(forum: Forum, *, confirmed: bool, by: User, reasons: dict[str, str | None] | None = None,
           reason: str | None = None) -> Preview:
    """Cancel the forum, its B2B meetings and every active registration; tell each person once, in their
    language. `reasons`: {language: reason}, at least one filled (`reason` alone: the English one).
    Returns what was done."""
    permissions.require(by, forum, Permission.MANAGE)
    given = clean_reasons(reasons if reasons is not None else {"en": reason})
    if not confirmed:
        raise InvalidInput(_("Tick the box to confirm the cancellation."), code="not_confirmed", field="confirm")
    forum = states.lock_forum(forum.id)  # registrations and decisions of this forum wait for us
    if forum.status is ForumStatus.CANCELLED:
        raise InvalidState(_("This forum is already cancelled."), code="already_cancelled")
    if forum.status is ForumStatus.HELD:
        raise InvalidState(_("This forum has already taken place."), code="forum_held")
    before = forum.status
    now = clock.now()
    regs = _active(forum)
    done = _preview(regs)
    badges_before = issuing.live_delegate_badges(forum)
    forum.status, forum.cancelled_at = ForumStatus.CANCELLED, now
    forum.cancellation_reasons, forum.cancellation_reason = given, main_reason(given)
    forum.status_before_cancellation = before  # what reopening (forums.reopening) goes back to
    why = _("The forum has been cancelled.")
    # B2B first and quietly: the registrations' cascade below then finds no open request to mail about.
    meetings = scheduling.cancel_forum_meetings(forum, by=by, now=now)
    requests_cancelled = meeting_requests.cancel_all_of_forum(forum, by=by, reason=why, now=now)
    for reg in regs:
        was = reg.state  # read under the forum lock: it is what transition() finds too
        # frees_place=False: the forum is going, so no place goes to its waiting list.
        states.transition(reg, RegState.CANCELLED, by=by, reason=why, now=now, notify=False, frees_place=False)
        reg.state_before_cancellation = was
    done.meetings = len(meetings)
    done.badges = badges_before - issuing.live_delegate_badges(forum)
    # A delegate who had meetings gets their calendar: the same events, now CANCELLED, so that their calendar
    # app removes them.
    had_meetings = {side for m in meetings for side in (m.a_id, m.b_id)}
    with_calendar = [r for r in regs if r.id in had_meetings]
    attachments = ics.attachments_for(forum.id, with_calendar, now=now)
    calendars = {r.email: attachments[r.id] for r in with_calendar}
    link = external_url("forums.detail", slug=forum.slug)
    for addr, lang in done.recipients.items():
        calendar = calendars.get(addr)
        mail.queue("forum_cancelled", to=addr, to_name=done.names[addr], language=lang, forum_id=forum.id,
                   forum=forum, link=link, with_calendar=calendar is not None,
                   attachments=[calendar] if calendar else None)
    audit.record(subject_type="forum", subject_id=forum.id, action="cancelled", actor=by, forum_id=forum.id,
                 from_state=before.value, to_state=ForumStatus.CANCELLED.value, reason=forum.cancellation_reason,
                 registrations=done.registrations, people=done.people, reasons=given, meetings=done.meetings,
                 meeting_requests=requests_cancelled, badges_revoked=done.badges)
    return done


__all__ = ["Person", "Preview", "preview", "cancel", "clean_reasons", "main_reason", "reason_field", "shown_reason_language",
           "REASON_LANGUAGES", "REASON_MAX"]
