"""Registrants built for message tests: one delegate each, with exactly the facts a filter looks at."""
from __future__ import annotations

import itertools

from forum import clock
from forum.announcements import services, targeting
from forum.badges import issuing
from forum.db import db
from forum.registration import states
from forum.registration.models import Category, RegState
from tests import factories as f

_seq = itertools.count(1)


def person(forum, *, state: str = "approved", email: str | None = None, language: str = "en", country: str = "JP",
           category: str = "delegate", late: bool = False, checked_in: bool = False, directory: bool = False,
           name: str | None = None):
    """A delegate of `forum` in `state`; checked_in: their live badge has a first entry."""
    i = next(_seq)
    kw = {}
    if name:
        kw["full_name"] = name
    reg = f.company(forum, 1, country=country, directory_consent=directory,
                    delegates=[f.delegate_input(email=email or f"person{i}@example.org", language=language,
                                                **kw)]).delegates[0]
    reg.is_late, reg.category = late, Category(category)  # as an organizer would have confirmed it
    target = RegState(state)
    if target is not RegState.PENDING:
        via = {RegState.WITHDRAWN: [RegState.WITHDRAWN], RegState.CANCELLED: [RegState.CANCELLED],
               RegState.REJECTED: [RegState.REJECTED], RegState.WAITLISTED: [RegState.WAITLISTED],
               RegState.APPROVED: [RegState.APPROVED]}[target]
        for to in via:
            states.transition(reg, to, by=None, notify=False, reason="test" if to is RegState.REJECTED else "")
    if checked_in:
        badge = issuing.badge_for(reg)
        badge.first_checked_in_at = clock.now()
    db.session.flush()
    return reg


def ids(forum, flt: targeting.Filter) -> set[int]:
    return {r.registration_id for r in targeting.recipients(forum.id, flt)}


def draft(forum, by, *, subjects=None, bodies=None, flt: targeting.Filter | None = None):
    subjects = subjects if subjects is not None else {"en": "Hello", "ja": "こんにちは", "ru": "Здравствуйте"}
    bodies = bodies if bodies is not None else {k: f"Body {k}: {v}" for k, v in subjects.items()}
    return services.save_draft(forum, subjects=subjects, bodies=bodies, flt=flt or targeting.Filter(), by=by)
