"""A delegate's availability for B2B meetings: the slots they cannot meet in (with a note), their own cap on
meetings, and opting out of (and back into) the B2B meetings. The delegate themself or the forum's B2B team.

Opting out cancels the delegate's open requests (requests.cancel_for_registration), and so their published
meetings, only after they confirmed how many that is.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from forum.accounts.models import User
from forum.audit import services as audit
from forum.db import db
from forum.errors import InvalidState, NotAllowed
from forum.forums.models import Forum
from forum.meetings import participation
from forum.meetings.grid import (MAX_MEETINGS_MAX, NOTE_MAX, GridErrors, _clean, _Errors, _has_controls, _int,
                                 _slots_of_forum)
from forum.meetings.models import OPEN_REQUEST_STATES, Meeting, MeetingRequest, MeetingState, Unavailability
from forum.registration.models import CompanyRegistration, RegState, Registration
from forum.registration.states import lock_forum
from forum.teams import permissions
from forum.teams.models import Permission
from forum.text import is_one_line


def eligible_registration(user, forum: Forum) -> Registration | None:
    """The user's registration in the forum when it may take part, opted out or not: approved, of a company that
    consented to the directory, in a forum whose B2B runs. (participation_in leaves out those who opted out; they
    need their page to opt back in.)"""
    if user is None or not getattr(user, "is_authenticated", False) or not participation.b2b_open(forum):
        return None
    return db.session.scalar(
        sa.select(Registration).join(CompanyRegistration, CompanyRegistration.id == Registration.company_id)
        .where(Registration.user_id == user.id, Registration.forum_id == forum.id,
               Registration.state == RegState.APPROVED, CompanyRegistration.directory_consent.is_(True))
        .order_by(Registration.id).limit(1))


def _self_or_team(reg: Registration, by: User | None) -> None:
    if by is not None and getattr(by, "is_authenticated", False) and reg.user_id == by.id:
        return
    if permissions.has_permission(by, reg.forum_id, Permission.B2B):
        return
    raise NotAllowed(_("You can only change your own availability."), code="not_your_registration")


def unavailable(reg: Registration) -> dict[int, str]:
    """{slot id: note} of the slots the delegate cannot meet in."""
    return {u.slot_id: u.note for u in db.session.scalars(
        sa.select(Unavailability).where(Unavailability.registration_id == reg.id))}


@dataclass
class AvailabilityResult:
    marked: int
    unmarked: int
    # Slots now marked where the delegate has a scheduled meeting: the meeting stays until someone moves it.
    meetings_in_marked: int


def set_unavailable(reg: Registration, notes: dict, *, by: User | None) -> AvailabilityResult:
    """Replace the delegate's unavailable slots by `notes` ({slot id: note}). Slots of another forum, or a note
    that is too long or not one line, are refused with nothing changed."""
    _self_or_team(reg, by)
    errors = _Errors()
    clean: dict[int, str] = {}
    slots = _slots_of_forum(reg.forum_id, list(notes.keys()), errors, "unavailable")
    by_id = {s.id: s for s in slots}
    for key, note in notes.items():
        slot_id = _int(key, 1, 2**31 - 1)
        if slot_id not in by_id:
            continue
        text = _clean(note)
        if not is_one_line(text) or _has_controls(text):
            errors.add(f"note-{slot_id}", "note_invalid", _("Write the note on one line."))
        elif len(text) > NOTE_MAX:
            errors.add(f"note-{slot_id}", "note_too_long", _("At most %(n)d characters.", n=NOTE_MAX))
        clean[slot_id] = text
    errors.raise_any()
    current = {u.slot_id: u for u in db.session.scalars(
        sa.select(Unavailability).where(Unavailability.registration_id == reg.id))}
    unmarked = [sid for sid in current if sid not in clean]
    marked = [sid for sid in clean if sid not in current]
    changed_notes = [sid for sid in clean if sid in current and current[sid].note != clean[sid]]
    for sid in unmarked:
        db.session.delete(current[sid])
    for sid in marked:
        db.session.add(Unavailability(registration_id=reg.id, slot_id=sid, note=clean[sid]))
    for sid in changed_notes:
        current[sid].note = clean[sid]
    db.session.flush()
    meetings = 0
    if clean:
        meetings = db.session.scalar(sa.select(sa.func.count()).select_from(Meeting).where(
            Meeting.slot_id.in_(list(clean)), Meeting.state == MeetingState.SCHEDULED,
            sa.or_(Meeting.a_id == reg.id, Meeting.b_id == reg.id))) or 0
    if marked or unmarked or changed_notes:
        audit.record(subject_type="registration", subject_id=reg.id, action="b2b_availability_changed", actor=by,
                     forum_id=reg.forum_id, marked=sorted(marked), unmarked=sorted(unmarked),
                     notes_changed=sorted(changed_notes))
    return AvailabilityResult(marked=len(marked), unmarked=len(unmarked), meetings_in_marked=meetings)


def set_cap(reg: Registration, value, *, by: User | None) -> int | None:
    """The delegate's own cap on meetings: a whole number from 0, or empty for the forum's default."""
    _self_or_team(reg, by)
    if value is None or _clean(value) == "":
        cap = None
    else:
        cap = _int(value, 0, MAX_MEETINGS_MAX)
        if cap is None:
            raise GridErrors([("max_meetings", "max_meetings_invalid",
                               _("A whole number from 0 to %(max)d, or empty for the forum's default.",
                                 max=MAX_MEETINGS_MAX))])
    p = participation.prefs_for_update(reg)
    if p.max_meetings != cap:
        audit.record(subject_type="registration", subject_id=reg.id, action="b2b_cap_changed", actor=by,
                     forum_id=reg.forum_id, before=p.max_meetings, after=cap)
        p.max_meetings = cap
        db.session.flush()
    return cap


def open_requests(reg: Registration) -> list[MeetingRequest]:
    """The open requests opting out would cancel: those the delegate sent or is the recipient of."""
    return list(db.session.scalars(sa.select(MeetingRequest).where(
        sa.or_(MeetingRequest.requester_id == reg.id, MeetingRequest.recipient_id == reg.id),
        MeetingRequest.state.in_(OPEN_REQUEST_STATES)).order_by(MeetingRequest.id)))


def opt_out(reg: Registration, *, by: User | None, confirmed_count: int | None = None) -> int:
    """Leave the B2B meetings. Their open requests are cancelled, but only once the delegate confirmed that
    number (`confirmed_count`): a different count (a request arrived meanwhile) asks again ('confirm_opt_out')."""
    _self_or_team(reg, by)
    lock_forum(reg.forum_id)
    p = participation.prefs_for_update(reg)
    if p.opted_out:
        raise InvalidState(_("You have already opted out of the B2B meetings."), code="already_opted_out")
    n = len(open_requests(reg))
    if confirmed_count != n:
        err = InvalidState(ngettext(
            "Opting out cancels your %(num)d open meeting request. Confirm to go on.",
            "Opting out cancels your %(num)d open meeting requests. Confirm to go on.", n)
            if n else _("Confirm that you want to opt out of the B2B meetings."), code="confirm_opt_out")
        err.count = n
        raise err
    from forum.meetings import requests

    cancelled = requests.cancel_for_registration(
        reg, by=by, reason=_("The delegate no longer takes part in the B2B meetings.")) if n else 0
    p.opted_out = True
    db.session.flush()
    audit.record(subject_type="registration", subject_id=reg.id, action="b2b_opted_out", actor=by,
                 forum_id=reg.forum_id, requests_cancelled=cancelled)
    return cancelled


def opt_in(reg: Registration, *, by: User | None) -> None:
    """Back into the B2B meetings (the requests cancelled when opting out stay cancelled)."""
    _self_or_team(reg, by)
    if reg.state is not RegState.APPROVED or not reg.company.directory_consent:
        raise InvalidState(_("Only approved delegates of companies in the directory take part in B2B meetings."),
                           code="not_eligible")
    p = participation.prefs_for_update(reg)
    if not p.opted_out:
        raise InvalidState(_("You already take part in the B2B meetings."), code="already_opted_in")
    p.opted_out = False
    db.session.flush()
    audit.record(subject_type="registration", subject_id=reg.id, action="b2b_opted_in", actor=by,
                 forum_id=reg.forum_id)
