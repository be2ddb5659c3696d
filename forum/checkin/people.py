"""The scanner's fallback when a badge will not scan: find the delegate by name, check them in by a tap.

A tap goes through the same door as a scan: the delegate's live badge (issued now if they have none yet,
issuing.badge_for), then checkin.services.check_in with that badge's token, so the same rules decide and
the same scan record is kept.
"""
from __future__ import annotations

import re

import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from forum.accounts.models import User
from forum.badges import issuing
from forum.badges.models import Badge
from forum.checkin import services
from forum.db import db
from forum.urls import PublicIdConverter
from forum.errors import InvalidInput, InvalidState, NotFound
from forum.forums.models import Forum
from forum.registration.models import CompanyRegistration, RegState, Registration
from forum.search import fold, matches_all_words
from forum.teams import permissions
from forum.teams.models import Permission

MIN_CHARS = 3
# Two characters of Japanese (or Chinese, Korean) are a whole family name: 山田, 佐藤.
MIN_CHARS_CJK = 2
LIMIT = 20


@dataclass(frozen=True)
class Person:
    registration: str  # the registration's public id: what a tap sends back
    full_name: str
    latin_name: str
    position: str
    company: str
    company_latin: str
    country: str
    category: str
    inside: bool
    arrived: bool  # entered at least once


def _is_cjk(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK ", "HIRAGANA", "KATAKANA", "HANGUL"))


def long_enough(query: str | None) -> bool:
    """From three characters (two of Japanese, Chinese or Korean), spaces and apostrophes not counted."""
    folded = fold(query).replace(" ", "")
    if len(folded) >= MIN_CHARS:
        return True
    return len(folded) >= MIN_CHARS_CJK and all(_is_cjk(ch) for ch in folded)


def find(forum: Forum, query: str | None, *, limit: int | None = None) -> tuple[list[Person], bool]:
    """Approved delegates of the forum whose names, e-mail or company match every word of the query, in any
    script (forum.search folding), by Latin name. Returns (at most `limit` of them, whether there are more);
    nothing for a query shorter than `long_enough` allows."""
    if not long_enough(query):
        return [], False
    limit = limit or LIMIT
    live = sa.and_(Badge.registration_id == Registration.id, Badge.revoked_at.is_(None))
    rows = db.session.execute(
        sa.select(Registration, CompanyRegistration, Badge.inside, Badge.first_checked_in_at)
        .join(CompanyRegistration, CompanyRegistration.id == Registration.company_id)
        .outerjoin(Badge, live)
        .where(Registration.forum_id == forum.id, Registration.state == RegState.APPROVED,
               matches_all_words(Registration.search_key, query))
        .order_by(Registration.latin_name, Registration.id)
        .limit(limit + 1)
    ).all()
    people = [Person(registration=reg.public_id, full_name=reg.full_name, latin_name=reg.latin_name,
                     position=reg.position, company=company.legal_name, company_latin=company.name_en,
                     country=company.country, category=reg.category.value, inside=bool(inside),
                     arrived=first_at is not None)
              for reg, company, inside, first_at in rows[:limit]]
    return people, len(rows) > limit


def _registration(forum: Forum, public_id: object) -> Registration:
    # A public id has one shape (forum.urls.PublicIdConverter): anything else is refused before any query (a NUL
    # byte would reach PostgreSQL, which refuses it).
    if not isinstance(public_id, str) or not re.fullmatch(PublicIdConverter.regex, public_id.strip()):
        raise InvalidInput(_("Choose a delegate from the list."), code="registration_invalid", field="registration")
    reg = db.session.scalar(sa.select(Registration).where(Registration.forum_id == forum.id,
                                                          Registration.public_id == public_id.strip().lower()))
    if reg is None:
        raise NotFound(_("There is no such delegate at this forum."), code="not_found", field="registration")
    return reg


def check_in_person(forum: Forum, registration: object, *, by: User, device: str | None, nonce: str,
                    direction: str = "in") -> services.Outcome:
    """Check a delegate in (or out) by a tap on their name: their live badge through check_in, the same
    rules and the same scan record as a scan of the badge. A delegate who is no longer approved is refused
    through their last badge, so that the refusal is recorded and explained like any other."""
    permissions.require(by, forum, Permission.CHECKIN)
    reg = _registration(forum, registration)
    if reg.state is RegState.APPROVED:
        badge = issuing.badge_for(reg, by=by)
    else:
        badge = db.session.scalar(sa.select(Badge).where(Badge.registration_id == reg.id)
                                  .order_by(Badge.issued_at.desc(), Badge.id.desc()).limit(1))
        if badge is None:
            raise InvalidState(_("This delegate's registration is not approved: they have no badge."),
                               code="not_approved", field="registration")
    return services.check_in(forum, badge.token, by=by, device=device, nonce=nonce, direction=direction)
