"""Organisations: matching a registration to the organisation it is, creating it when it is new."""
from __future__ import annotations

import sqlalchemy as sa

from forum.db import db
from forum.organisations import keys
from forum.organisations.models import Organisation, OrgKind
from forum.search import search_key


def find_match(*, country: str, legal_name: str, name_en: str, website: str = "") -> Organisation | None:
    """The organisation these details are, by country and a folded name, or by the website's domain.

    A merged-away organisation is never matched (its registrations moved to the one it was merged into).
    """
    wanted = {k for k in (keys.name_key(legal_name), keys.name_key(name_en)) if k}
    dom = keys.domain(website)
    conditions = []
    if wanted:
        conditions.append(sa.and_(Organisation.country == country,
                                  sa.or_(Organisation.name_key.in_(wanted), Organisation.name_en_key.in_(wanted))))
    if dom:
        conditions.append(Organisation.domain == dom)
    if not conditions:
        return None
    return db.session.scalars(
        sa.select(Organisation).where(Organisation.merged_into_id.is_(None), sa.or_(*conditions))
        .order_by(Organisation.updated_at.desc(), Organisation.id)
    ).first()


def find_or_create(*, country: str, legal_name: str, name_en: str, city: str = "", sector: str = "",
                   website: str = "", kind: OrgKind = OrgKind.COMPANY) -> Organisation:
    """The organisation a registration belongs to. A match is linked, never changed: what a person types on a
    public form does not rewrite an organisation others registered (organizers edit and merge them)."""
    org = find_match(country=country, legal_name=legal_name, name_en=name_en, website=website)
    if org is not None:
        return org
    org = Organisation(legal_name=legal_name, name_en=name_en, country=country, city=city, sector=sector,
                       website=website, kind=kind, name_key=keys.name_key(legal_name),
                       name_en_key=keys.name_key(name_en), domain=keys.domain(website),
                       search_key=search_key(legal_name, name_en))
    db.session.add(org)
    db.session.flush()
    return org
