"""Postponing a forum to new dates, and asking every active delegate whether they still come (issue 13).

The organizer sees what will happen (`preview`), gives the new dates, the reasons per language, until when the
delegates may answer, and confirms; `postpone` then, under the forum lock, records the Postponement, moves the
forum's dates (registration stays as it is: states, window, capacity), moves the B2B grid (replan), opens one
pending reply per active registration and queues every e-mail in this one transaction: each delegate gets their
personal links, each contact person who is not a delegate a plain notice, everyone once.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from forum import clock, languages
from forum.accounts.models import User
from forum.agendas import ics
from forum.audit import services as audit
from forum.db import db
from forum.errors import InvalidInput, InvalidState
from forum.forums.models import Forum, ForumStatus
from forum.notifications import services as mail
from forum.postponements import links, replan
from forum.postponements.models import Answer, Postponement, PostponementReply
from forum.registration import states
from forum.registration.models import ACTIVE_STATES, RegState, Registration
from forum.teams import permissions
from forum.teams.models import Permission
from forum.text import clean_note
from forum.urls import external_url

REASON_MAX = 2000
REMIND_AGAIN_AFTER = timedelta(hours=1)  # a double click, or two organizers at once, send one reminder


def _refuse_status(forum: Forum) -> None:
    if forum.status is ForumStatus.DRAFT:
        raise InvalidState(_("A draft forum has no one to tell: change its dates in its settings."),
                           code="forum_draft")
    if forum.status is ForumStatus.CANCELLED:
        raise InvalidState(_("This forum is cancelled."), code="forum_cancelled")
    if forum.status is ForumStatus.HELD:
        raise InvalidState(_("This forum has already taken place."), code="forum_held")


@dataclass
class Preview:
    registrations: int = 0
    delegates: dict[str, str] = field(default_factory=dict)  # address -> language: they get links
    contacts: dict[str, str] = field(default_factory=dict)  # contact persons who are no delegate: a notice
    meetings: int = 0  # live B2B meetings that will be re-issued
    sessions: int = 0

    @property
    def people(self) -> int:
        return len(self.delegates) + len(self.contacts)

    @property
    def by_language(self) -> list[tuple[str, int]]:
        return Counter([*self.delegates.values(), *self.contacts.values()]).most_common()


def _active(forum: Forum) -> list[Registration]:
    return list(db.session.scalars(
        sa.select(Registration).options(joinedload(Registration.company))
        .where(Registration.forum_id == forum.id, Registration.state.in_(ACTIVE_STATES))
        .order_by(Registration.id)).unique())


def _preview(forum: Forum, regs: list[Registration]) -> tuple[Preview, dict[str, tuple[str, str]]]:
    p = Preview(registrations=len(regs))
    contacts: dict[str, tuple[str, str]] = {}  # address -> (language, name)
    for reg in regs:
        p.delegates.setdefault(reg.email, reg.language)
    for reg in regs:
        c = reg.company
        if c.contact_email not in p.delegates and c.contact_email not in contacts:
            contacts[c.contact_email] = (c.contact_language, c.contact_name)
    p.contacts = {addr: lang for addr, (lang, _name) in contacts.items()}
    p.meetings = len(replan.live_meetings(forum.id))
    p.sessions = len(replan.sessions_of(forum.id))
    return p, contacts


def preview(forum: Forum) -> Preview:
    """Whom a postponement would ask (delegates) and tell (contact persons), in which language; the meetings."""
    return _preview(forum, _active(forum))[0]


def latest(forum: Forum) -> Postponement | None:
    return links.latest_of(forum.id)


def clean_reasons(reasons: dict[str, str] | None) -> dict[str, str]:
    """{language: reason} as stored: known languages only, NFC, no control characters, at most REASON_MAX each;
    the empty ones left out (a reason is optional, the reader gets the fallback of forums.content)."""
    out = {}
    for lang, text in (reasons or {}).items():
        if lang not in languages.CODES:
            raise InvalidInput(_("Choose a language from the list."), code="unknown_language", field=f"reason_{lang}")
        text = clean_note(text, field=f"reason_{lang}", limit=REASON_MAX, too_long_code="reason_too_long")
        if text:
            out[lang] = text
    return out


def _check_dates(forum: Forum, new_starts_at, new_ends_at, answer_by, now: datetime) -> None:
    if new_starts_at is None:
        raise InvalidInput(_("Give the new start."), code="starts_required", field="starts_local")
    if new_ends_at is None:
        raise InvalidInput(_("Give the new end."), code="ends_required", field="ends_local")
    if answer_by is None:
        raise InvalidInput(_("Give the date until which delegates can answer."), code="answer_by_required",
                           field="answer_by_local")
    if new_ends_at < new_starts_at:
        raise InvalidInput(_("The forum cannot end before it starts."), code="ends_before_start", field="ends_local")
    if new_starts_at <= now:
        raise InvalidInput(_("The new start is in the past."), code="starts_in_past", field="starts_local")
    if new_starts_at == forum.starts_at and new_ends_at == forum.ends_at:
        raise InvalidInput(_("These are the forum's dates already: change the start or the end."),
                           code="dates_unchanged", field="starts_local")
    if forum.registration_closes_at > new_starts_at:
        # Registration stays as it is, so it cannot close after the forum has begun: the organizer moves the
        # registration dates first (forum settings), knowingly, rather than have them changed silently here.
        raise InvalidInput(_("Registration closes after the new start. Change the registration dates in the "
                             "forum's settings first, or choose a later start."),
                           code="registration_closes_after_start", field="starts_local")
    if answer_by <= now:
        raise InvalidInput(_("The date to answer by is in the past."), code="answer_by_in_past", field="answer_by_local")
    if answer_by > new_starts_at:
        raise InvalidInput(_("Delegates must answer before the new start."), code="answer_by_after_start",
                           field="answer_by_local")


def postpone(forum: Forum, *, new_starts_at: datetime | None, new_ends_at: datetime | None,
             reasons: dict[str, str] | None, answer_by: datetime | None, confirmed: bool, by: User) -> Postponement:
    """Move the forum to new dates and ask every active delegate whether they still come (see the module)."""
    permissions.require(by, forum, Permission.MANAGE)
    reasons = clean_reasons(reasons)
    if not confirmed:
        raise InvalidInput(_("Tick the box to confirm the postponement."), code="not_confirmed", field="confirm")
    forum = states.lock_forum(forum.id)  # registrations, decisions and another postponement wait for us
    _refuse_status(forum)
    now = clock.now()
    _check_dates(forum, new_starts_at, new_ends_at, answer_by, now)
    regs = _active(forum)
    done, contacts = _preview(forum, regs)
    p = Postponement(forum_id=forum.id, old_starts_at=forum.starts_at, old_ends_at=forum.ends_at,
                     new_starts_at=new_starts_at, new_ends_at=new_ends_at, reasons=reasons, answer_by=answer_by,
                     created_by_id=by.id, created_at=now)
    db.session.add(p)
    days = replan.day_shift(forum, new_starts_at)
    forum.starts_at, forum.ends_at = new_starts_at, new_ends_at
    slots, reissued = replan.move_grid(forum, days, now=now)
    replies = [PostponementReply(postponement=p, registration=reg, answer=Answer.PENDING) for reg in regs]
    db.session.add_all(replies)
    db.session.flush()
    with_meetings = {m.a_id for m in reissued} | {m.b_id for m in reissued}
    calendars = ics.attachments_for(forum.id, [r for r in regs if r.id in with_meetings], now=now)
    for reply in replies:
        reg = reply.registration
        mail.queue("postponed", to=reg.email, to_name=reg.full_name, language=reg.language, forum_id=forum.id,
                   forum=forum, postponement=p, reg=reg, link=links.link_for(reply),
                   forum_link=external_url("forums.detail", slug=forum.slug),
                   attachments=[calendars[reg.id]] if reg.id in calendars else None)
    for addr, (lang, name) in contacts.items():
        mail.queue("postponed", to=addr, to_name=name, language=lang, forum_id=forum.id, forum=forum,
                   postponement=p, reg=None, link=None, forum_link=external_url("forums.detail", slug=forum.slug))
    audit.record(subject_type="forum", subject_id=forum.id, action="postponed", actor=by, forum_id=forum.id,
                 reason=reasons.get("en") or next(iter(reasons.values()), ""),
                 old_starts_at=p.old_starts_at.isoformat(), new_starts_at=new_starts_at.isoformat(),
                 old_ends_at=p.old_ends_at.isoformat(), new_ends_at=new_ends_at.isoformat(),
                 answer_by=answer_by.isoformat(), registrations=done.registrations, people=done.people,
                 slots_moved=slots, meetings_reissued=len(reissued))
    return p


# --- the delegate's answer ---------------------------------------------------------------------------------

def _check_answerable(reply: PostponementReply, now: datetime) -> None:
    latest_ = links.latest_of(reply.postponement.forum_id)
    if latest_ is not None and latest_.id != reply.postponement_id:
        raise InvalidState(_("The forum was postponed again: answer through the link in the newer e-mail."),
                           code="replaced")
    if now > reply.postponement.answer_by:
        raise InvalidState(_("The time to answer has passed. Write to the organizers of the forum."),
                           code="answer_expired")


def confirm(reply: PostponementReply, *, now: datetime | None = None) -> None:
    """The delegate still comes."""
    now = now or clock.now()
    states.lock_forum(reply.registration.forum_id)
    db.session.refresh(reply)
    db.session.refresh(reply.registration)
    _check_answerable(reply, now)
    if reply.answer is Answer.DECLINED:
        raise InvalidState(_("You have already declined: your place is given up."), code="already_declined")
    if not reply.registration.is_active:
        raise InvalidState(_("This registration is no longer active."), code="not_active")
    if reply.answer is Answer.CONFIRMED:
        return  # a second click: nothing new
    reply.answer, reply.answered_at = Answer.CONFIRMED, now
    audit.record(subject_type="registration", subject_id=reply.registration_id, action="postponement_confirmed",
                 actor=reply.registration.user, forum_id=reply.registration.forum_id,
                 postponement=reply.postponement_id)


def decline(reply: PostponementReply, *, confirmed: bool, now: datetime | None = None) -> None:
    """The delegate does not come: the registration is withdrawn (its badge revoked and its B2B requests
    cancelled by the state signal; an approved place goes to the waiting list)."""
    now = now or clock.now()
    if not confirmed:
        raise InvalidInput(_("Tick the box to confirm that you give up your place."), code="not_confirmed",
                           field="confirm")
    states.lock_forum(reply.registration.forum_id)
    db.session.refresh(reply)
    reg = reply.registration
    db.session.refresh(reg)
    _check_answerable(reply, now)
    if reply.answer is Answer.DECLINED:
        raise InvalidState(_("You have already declined: your place is given up."), code="already_declined")
    if not reg.is_active:
        raise InvalidState(_("This registration is no longer active."), code="not_active")
    states.transition(reg, RegState.WITHDRAWN, by=reg.user, reason=_("Cannot attend the postponed forum."),
                      now=now, notify=False, reason_code="postponement_declined")
    reply.answer, reply.answered_at = Answer.DECLINED, now
    audit.record(subject_type="registration", subject_id=reg.id, action="postponement_declined", actor=reg.user,
                 forum_id=reg.forum_id, postponement=reply.postponement_id)


# --- the organizer's follow-up -----------------------------------------------------------------------------

def counts(p: Postponement) -> dict[Answer, int]:
    rows = db.session.execute(sa.select(PostponementReply.answer, sa.func.count()).where(
        PostponementReply.postponement_id == p.id).group_by(PostponementReply.answer)).all()
    out = {a: 0 for a in Answer}
    out.update({Answer(a): n for a, n in rows})
    return out


def replies_query(p: Postponement, answer: Answer | None = None):
    q = (sa.select(PostponementReply).join(Registration, Registration.id == PostponementReply.registration_id)
         .options(joinedload(PostponementReply.registration).joinedload(Registration.company))
         .where(PostponementReply.postponement_id == p.id))
    if answer is not None:
        q = q.where(PostponementReply.answer == answer)
    return q.order_by(Registration.latin_name, Registration.id)


def _remindable(p: Postponement, now: datetime):
    return (sa.select(PostponementReply).join(Registration, Registration.id == PostponementReply.registration_id)
            .options(joinedload(PostponementReply.registration))
            .where(PostponementReply.postponement_id == p.id, PostponementReply.answer == Answer.PENDING,
                   Registration.state.in_(ACTIVE_STATES),
                   sa.or_(PostponementReply.last_reminded_at.is_(None),
                          PostponementReply.last_reminded_at <= now - REMIND_AGAIN_AFTER))
            .order_by(PostponementReply.id))


def remindable(p: Postponement, now: datetime | None = None) -> int:
    return len(db.session.scalars(_remindable(p, now or clock.now())).unique().all())


def remind(p: Postponement, *, confirmed: bool, by: User, now: datetime | None = None) -> int:
    """One reminder e-mail to each delegate who has not answered (and was not reminded within the hour)."""
    permissions.require(by, p.forum, Permission.MANAGE)
    if not confirmed:
        raise InvalidInput(_("Tick the box to confirm the reminders."), code="not_confirmed", field="confirm")
    forum = states.lock_forum(p.forum_id)  # two clicks at once: the second sees the first's last_reminded_at
    now = now or clock.now()
    latest_ = links.latest_of(forum.id)
    if latest_ is None or latest_.id != p.id:
        raise InvalidState(_("The forum was postponed again since: remind from the newer postponement."),
                           code="replaced")
    if now > p.answer_by:
        raise InvalidState(_("The time to answer has passed."), code="answer_expired")
    replies = db.session.scalars(_remindable(p, now).execution_options(populate_existing=True)).unique().all()
    for reply in replies:
        reg = reply.registration
        reply.reminders += 1
        reply.last_reminded_at = now
        mail.queue("postponed_reminder", to=reg.email, to_name=reg.full_name, language=reg.language,
                   forum_id=forum.id, forum=forum, postponement=p, reg=reg, link=links.link_for(reply))
    audit.record(subject_type="forum", subject_id=forum.id, action="postponement_reminded", actor=by,
                 forum_id=forum.id, postponement=p.id, reminded=len(replies))
    return len(replies)


__all__ = ["Preview", "preview", "latest", "postpone", "confirm", "decline", "counts", "replies_query",
           "remindable", "remind"]
