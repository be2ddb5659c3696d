"""The rules of delegates' contacts: who may save whom, the note, saving again, changing and removing.

- The owner of a contact list is the signed-in user's registration in the forum: APPROVED to save a new
  contact (reading and tidying the list is also allowed once the forum was cancelled, see `reader_in`).
  A user with several approved registrations in one forum (registered twice, with two addresses) owns
  the list of the first of them (the lowest id): always the same one, whichever badge or page asks.
- The person saved holds a live badge (not revoked) of an APPROVED registration of the same forum, whose
  company consented to the participant directory. Nobody saves themselves (nor their own other registration).
- A cancelled forum: nothing new is saved (its badges are no longer valid anyway); what was saved stays
  readable, editable and exportable by its owner.
- The note: NFC, line breaks kept, other control characters refused, at most NOTE_MAX characters.
- Saving again the same person updates the note, never adds a row: (owner, person) is unique in the
  database, and two saves at once end in one row (the loser of the insert updates the winner's row).
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from forum import clock
from forum import text as text_rules
from forum.accounts.models import User
from forum.badges.models import Badge
from forum.contacts.models import NOTE_MAX, Contact
from forum.db import db
from forum.errors import NotAllowed
from forum.forums.models import Forum, ForumStatus
from forum.registration.models import RegState, Registration

# Line breaks and tabs are text; every other control character is not (and PostgreSQL refuses NUL).


def _signed_in(user) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


def _first_registration(user, forum: Forum, condition) -> Registration | None:
    if not _signed_in(user):
        return None
    return db.session.scalar(
        sa.select(Registration).where(Registration.user_id == user.id, Registration.forum_id == forum.id, condition)
        .order_by(Registration.id).limit(1))


def owner_in(user: User | None, forum: Forum) -> Registration | None:
    """The registration that saves contacts for `user` in `forum`: their first APPROVED one, or None."""
    if forum.status is ForumStatus.CANCELLED:
        return None
    return _first_registration(user, forum, Registration.state == RegState.APPROVED)


def reader_in(user: User | None, forum: Forum) -> Registration | None:
    """The registration whose list `user` reads in `forum`: as `owner_in`, and after the forum's cancellation
    the registration that was approved when it was cancelled (its list stays the owner's to read and export)."""
    if forum.status is not ForumStatus.CANCELLED:
        return owner_in(user, forum)
    return _first_registration(user, forum, sa.or_(
        Registration.state == RegState.APPROVED,
        sa.and_(Registration.state == RegState.CANCELLED,
                Registration.state_before_cancellation == RegState.APPROVED)))


def is_self(owner: Registration, person: Registration) -> bool:
    return owner.id == person.id or (owner.user_id is not None and owner.user_id == person.user_id)


def shares_card(badge: Badge) -> bool:
    """Whether the badge's holder shows their card to other delegates: a live badge of an approved delegate
    whose company consented to the directory, in a forum that is not cancelled. A team badge has no card."""
    reg = badge.registration
    return (reg is not None and badge.is_live and reg.state is RegState.APPROVED
            and reg.company.directory_consent and badge.forum.status is not ForumStatus.CANCELLED)


def clean_note(value) -> str:
    """The note as stored: NFC, outer spaces trimmed, line breaks as \\n. Raises InvalidInput (field "note")."""
    return text_rules.clean_note(value, field="note", limit=NOTE_MAX, too_long_code="note_too_long")


def check_may_save(owner: Registration | None, badge: Badge) -> Registration:
    """The person behind the badge, when `owner` may save them; else NotAllowed with the reason's code."""
    if owner is None or owner.state is not RegState.APPROVED or owner.forum.status is ForumStatus.CANCELLED:
        raise NotAllowed(_("Only approved delegates of this forum can save contacts."), code="not_a_delegate")
    if badge.forum_id != owner.forum_id:
        raise NotAllowed(_("This badge is of another forum."), code="other_forum")
    if not shares_card(badge):
        raise NotAllowed(_("This delegate's details are not shared, so they cannot be saved."),
                         code="not_shared")
    person = badge.registration
    if is_self(owner, person):
        raise NotAllowed(_("This is your own badge."), code="self")
    return person


def saved(owner: Registration | None, person: Registration | None) -> Contact | None:
    if owner is None or person is None:
        return None
    return db.session.scalar(sa.select(Contact).where(Contact.owner_id == owner.id, Contact.person_id == person.id))


def save(owner: Registration | None, badge: Badge, note) -> tuple[Contact, bool]:
    """Save the badge's holder as `owner`'s contact with this note, or update the note of the contact saved
    before. Returns (contact, created)."""
    person = check_may_save(owner, badge)
    text = clean_note(note)
    now = clock.now()
    found = _locked(owner, person)
    if found is None:
        contact = Contact(forum_id=owner.forum_id, owner_id=owner.id, person_id=person.id, note=text,
                          created_at=now, updated_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(contact)
                db.session.flush()
            return contact, True
        except IntegrityError:
            # Saved at the same moment by another request (a double tap, two tabs): that row is the one.
            found = _locked(owner, person)
            if found is None:
                raise
    found.note, found.updated_at = text, now
    db.session.flush()
    return found, False


def _locked(owner: Registration, person: Registration) -> Contact | None:
    return db.session.scalar(
        sa.select(Contact).where(Contact.owner_id == owner.id, Contact.person_id == person.id)
        .with_for_update().execution_options(populate_existing=True))


def update_note(contact: Contact, note) -> Contact:
    """Change the note of a saved contact (the owner's own list; allowed after a cancellation too)."""
    contact.note = clean_note(note)
    contact.updated_at = clock.now()
    db.session.flush()
    return contact


def remove(contact: Contact) -> None:
    db.session.delete(contact)
    db.session.flush()
