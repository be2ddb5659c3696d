"""Reading contacts: the card a badge shows another delegate, and the owner's list ("My contacts"), searched in
any script and sorted.

The list's search matches every word of the query (forum.search folding: case, width, Uzbek apostrophes,
Kazakh letters typed on a Russian keyboard) in the person's names, their company's names and the note. It
folds in Python over the owner's list, read in one query: a delegate's list is at most the forum's delegates
(hundreds, a few thousand at the very most), and the registration's own search key cannot be used because it
also holds the e-mail address, which a contact does not share (a search by address would reveal it).
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from forum.badges.models import Badge
from forum.contacts import services
from forum.contacts.models import Contact
from forum.db import db
from forum.meetings import participation, profiles
from forum.meetings.directory import Card as DirectoryCard
from forum.meetings.models import B2BProfile
from forum.registration.models import Registration
from forum.search import fold, query_words, search_key

SORTS = ("newest", "name")


@dataclass
class BadgeCard:
    """What /b/<token> shows a signed-in delegate of the badge's forum about the holder (see `badge_card`)."""

    owner: Registration  # the viewer's registration that saves
    person: Registration | None  # None: the holder shares nothing (or is a team badge)
    is_own: bool = False
    contact: Contact | None = None  # saved before
    profile: B2BProfile | None = None  # the company's B2B profile, when the forum's B2B runs
    sectors: tuple[str, ...] = ()

    @property
    def may_save(self) -> bool:
        return self.person is not None and not self.is_own


def badge_card(user, badge: Badge) -> BadgeCard | None:
    """The card for a viewer who is an approved delegate of the badge's forum; None for anyone else (they see
    the public page as it was: valid badge, and name and company when the company consented)."""
    owner = services.owner_in(user, badge.forum)
    if owner is None:
        return None
    reg = badge.registration
    if reg is not None and services.is_self(owner, reg):
        return BadgeCard(owner=owner, person=None, is_own=True)
    if not services.shares_card(badge):
        return BadgeCard(owner=owner, person=None)
    card = BadgeCard(owner=owner, person=reg, contact=services.saved(owner, reg))
    if participation.b2b_open(badge.forum):
        profile = profiles.profile_of(reg.company)
        if profile is not None and (profile.offers or profile.seeks or profile.sectors):
            card.profile = profile
            card.sectors = tuple(DirectoryCard(company=reg.company, profile=profile).sectors)
    return card


def contact_key(contact: Contact) -> str:
    person, company = contact.person, contact.person.company
    return search_key(person.full_name, person.latin_name, company.legal_name, company.name_en, contact.note)


def contacts_of(reader: Registration, q: str | None = "", sort: str = "newest") -> list[Contact]:
    """The reader's contacts matching the query (every word, in any script), newest first or by name (the
    Latin name, case-folded, then the native one): one query, whatever the number."""
    stmt = (sa.select(Contact)
            .options(joinedload(Contact.person).joinedload(Registration.company))
            .where(Contact.owner_id == reader.id)
            .order_by(Contact.created_at.desc(), Contact.id.desc()))
    contacts = list(db.session.scalars(stmt).unique())
    if sort == "name":
        # In Python: SQLite lower-cases ASCII only; fold orders every script the same way on both databases.
        contacts.sort(key=lambda c: (fold(c.person.latin_name), fold(c.person.full_name), c.id))
    words = query_words(q)
    if not words:
        return contacts
    return [c for c in contacts if all(w in contact_key(c) for w in words)]


def count_of(reader: Registration) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Contact).where(Contact.owner_id == reader.id)) or 0
