"""Starting a registration from an earlier one: a returning contact person does not type everything again.

The rule: only the contact person of a company registration may start from it (not its delegates: a
delegate sees their own record, not the company's other people). Anyone else asking for it, by a guessed
or a forwarded public id, is told it does not exist.

What carries over is the company's details and the delegates who were still on the list (pending,
approved, waitlisted, or cancelled with the forum), each editable and removable on the form. What does
not: consents (given afresh for each forum), a late-entry reason, and privileged categories (a speaker or a
VIP is one for a forum; press stays press).
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from forum.db import db
from forum.errors import NotFound
from forum.forums.models import Forum
from forum.registration.models import Category, CompanyRegistration, RegState

CARRIED_STATES = (RegState.PENDING, RegState.APPROVED, RegState.WAITLISTED, RegState.CANCELLED)
_PUBLIC_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def sources(user, forum: Forum) -> list[CompanyRegistration]:
    """What this person may start from: per organisation they were the contact person of, its latest registration
    for another forum. Organisations they have already registered for this forum are left out. One query."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    already = (sa.select(CompanyRegistration.organisation_id)
               .where(CompanyRegistration.forum_id == forum.id, CompanyRegistration.contact_user_id == user.id))
    rows = db.session.scalars(
        sa.select(CompanyRegistration).options(joinedload(CompanyRegistration.forum))
        .where(CompanyRegistration.contact_user_id == user.id, CompanyRegistration.forum_id != forum.id,
               CompanyRegistration.organisation_id.not_in(already))
        .order_by(CompanyRegistration.created_at.desc(), CompanyRegistration.id.desc())
    )
    latest: dict[int, CompanyRegistration] = {}
    for company in rows:
        latest.setdefault(company.organisation_id, company)
    return list(latest.values())


def source_for(user, public_id: str | None) -> CompanyRegistration:
    """The registration `public_id` names, if this person was its contact person; otherwise NotFound (a 404:
    whether the id exists is nobody else's business)."""
    public_id = (public_id or "").strip().lower()
    company = None
    if _PUBLIC_ID.fullmatch(public_id) and getattr(user, "is_authenticated", False):
        company = db.session.scalar(
            sa.select(CompanyRegistration).options(selectinload(CompanyRegistration.delegates))
            .where(CompanyRegistration.public_id == public_id))
    if company is None or company.contact_user_id != user.id:
        raise NotFound(_("There is no such registration to start from."), code="not_found")
    return company


def initial_data(company: CompanyRegistration, forum: Forum, *, max_delegates: int) -> dict:
    """The registration form's data, as `company` was registered (RegistrationForm(data=...))."""
    offered = set(forum.public_categories or []) | {Category.DELEGATE.value}
    delegates = []
    for reg in company.delegates:
        if reg.state not in CARRIED_STATES or len(delegates) >= max_delegates:
            continue
        category = Category.PRESS.value if Category.PRESS in (reg.category, reg.requested_category) \
            and Category.PRESS.value in offered else Category.DELEGATE.value
        delegates.append({
            "full_name": reg.full_name, "latin_name": reg.latin_name, "position": reg.position, "email": reg.email,
            "phone": reg.phone, "languages": list(reg.languages or []), "category": category,
            "language": reg.language,
        })
    return {
        "legal_name": company.legal_name, "name_en": company.name_en, "country": company.country,
        "city": company.city, "sector": company.sector, "website": company.website, "profile": company.profile,
        "contact_name": company.contact_name, "contact_email": company.contact_email,
        "contact_phone": company.contact_phone, "contact_position": company.contact_position,
        "delegates": delegates or [{}],
    }
