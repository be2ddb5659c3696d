"""Organisations: matching a registration to the organisation it is, creating it when it is new, editing it.

Merging duplicates is in organisations.merging; the organizers' lists in organisations.queries.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from forum.audit import services as audit
from forum.db import db, nfc, too_long
from forum.errors import InvalidInput, InvalidState
from forum.organisations import keys
from forum.organisations.models import Organisation, OrgKind
from forum.search import search_key
from forum.teams import permissions
from forum.text import is_one_line

# A merged-away organisation points to the one it was merged into, which may itself have been merged later
# (merging collapses such chains, so one step is the rule; a few are followed to be safe).
MAX_MERGE_HOPS = 8


def _matching(country: str, legal_name: str, name_en: str, website: str) -> sa.ColumnElement[bool] | None:
    wanted = {k for k in (keys.name_key(legal_name), keys.name_key(name_en)) if k}
    dom = keys.domain(website)
    conditions = []
    if wanted:
        conditions.append(sa.and_(Organisation.country == country,
                                  sa.or_(Organisation.name_key.in_(wanted), Organisation.name_en_key.in_(wanted))))
    if dom:
        conditions.append(Organisation.domain == dom)
    return sa.or_(*conditions) if conditions else None


def find_match(*, country: str, legal_name: str, name_en: str, website: str = "",
               lock: bool = False) -> Organisation | None:
    """The organisation these details are, by country and a folded name, or by the website's domain.

    A merged-away organisation is never the answer: when only it matches, the answer is the organisation it
    was merged into (so a spelling that was merged away does not create the same duplicate again).

    With `lock` (a submission about to link to it), the answer is locked FOR KEY SHARE: a merge running at the
    same moment (FOR UPDATE) waits for us, or we see it done and follow it. SQLite's one writer needs no lock.
    """
    condition = _matching(country, legal_name, name_en, website)
    if condition is None:
        return None
    order = (Organisation.updated_at.desc(), Organisation.id)
    stmt = sa.select(Organisation).where(Organisation.merged_into_id.is_(None), condition).order_by(*order).limit(1)
    if lock:
        stmt = stmt.with_for_update(read=True, key_share=True)
    org = db.session.scalars(stmt.execution_options(populate_existing=lock)).first()
    if org is None:
        merged = db.session.scalars(
            sa.select(Organisation).where(Organisation.merged_into_id.is_not(None), condition).order_by(*order).limit(1)
        ).first()
        if merged is None:
            return None
        org = merged
    return live(org, lock=lock)


def live(org: Organisation, *, lock: bool = False) -> Organisation:
    """The organisation itself, or, when it was merged away, the one its registrations now belong to."""
    for _hop in range(MAX_MERGE_HOPS):
        if lock:
            org = db.session.scalars(
                sa.select(Organisation).where(Organisation.id == org.id)
                .with_for_update(read=True, key_share=True).execution_options(populate_existing=True)
            ).one()
        if org.merged_into_id is None:
            return org
        org = db.session.get(Organisation, org.merged_into_id)
    raise InvalidState(_("This organisation was merged too many times over."), code="merge_chain")


def _new(*, country: str, legal_name: str, name_en: str, city: str, sector: str, website: str,
         kind: OrgKind) -> Organisation:
    return Organisation(legal_name=legal_name, name_en=name_en, country=country, city=city, sector=sector,
                        website=website, kind=kind, name_key=keys.name_key(legal_name),
                        name_en_key=keys.name_key(name_en), domain=keys.domain(website),
                        search_key=search_key(legal_name, name_en))


def find_or_create(*, country: str, legal_name: str, name_en: str, city: str = "", sector: str = "",
                   website: str = "", kind: OrgKind = OrgKind.COMPANY) -> Organisation:
    """The organisation a registration belongs to. A match is linked, never changed: what a person types on a
    public form does not rewrite an organisation others registered (organizers edit and merge them).

    Two submissions of the same new organisation at once (for two forums: one forum's submissions wait for
    each other on the forum row) both find nothing. The unique index on the live (country, folded name) lets
    one of them insert it; the other's insert fails inside a savepoint, and it links to the one that won.
    """
    for _attempt in range(3):
        org = find_match(country=country, legal_name=legal_name, name_en=name_en, website=website, lock=True)
        if org is not None:
            return org
        org = _new(country=country, legal_name=legal_name, name_en=name_en, city=city, sector=sector,
                   website=website, kind=kind)
        try:
            with db.session.begin_nested():
                db.session.add(org)
                db.session.flush()
        except IntegrityError:
            continue  # created a moment ago by another submission, now committed: the next look finds it
        return org
    raise InvalidState(_("The organisation could not be saved. Please try again."), code="organisation_conflict")


# --- what a site administrator edits --------------------------------------------------------------

@dataclass
class OrganisationInput:
    legal_name: str
    name_en: str
    country: str
    city: str = ""
    sector: str = ""
    website: str = ""
    kind: str = OrgKind.COMPANY.value


EDITABLE = ("legal_name", "name_en", "country", "city", "sector", "website", "kind")


def validate(data: OrganisationInput, org: Organisation | None = None) -> dict[str, str]:
    """Every rule the input breaks, as {field: message}; normalises `data` in place."""
    from forum.registration.choices import COUNTRY_CODES, SECTORS
    from forum.registration.normalize import normalize_website

    errors: dict[str, str] = {}
    for name in ("legal_name", "name_en", "city"):
        setattr(data, name, nfc(getattr(data, name)) or "")
        if not is_one_line(getattr(data, name)):
            errors[name] = _("Write this on one line: line breaks are not allowed here.")
    for name in ("legal_name", "name_en"):
        if not getattr(data, name):
            errors[name] = _("This field is required.")
        elif not keys.name_key(getattr(data, name)):
            errors[name] = _("Write the name itself, not only its legal form.")
    data.country = (data.country or "").upper()
    if data.country not in COUNTRY_CODES:
        errors["country"] = _("Choose a country from the list.")
    if data.sector and data.sector not in SECTORS:
        errors["sector"] = _("Choose a sector from the list.")
    if data.kind not in {k.value for k in OrgKind}:
        errors["kind"] = _("Choose a kind from the list.")
    data.website = normalize_website(data.website)
    for name in ("legal_name", "name_en", "city", "website"):
        if limit := too_long(getattr(Organisation, name), getattr(data, name)):
            errors.setdefault(name, _("At most %(n)d characters.", n=limit))
    if not errors:
        clash = _name_clash(data, org)
        if clash is not None:
            field = "legal_name" if clash[0] == "legal_name" else "name_en"
            errors[field] = _("%(name)s in the same country already has this name: merge the two instead.",
                              name=clash[1].name_en)
    return errors


def _name_clash(data: OrganisationInput, org: Organisation | None) -> tuple[str, Organisation] | None:
    """Another live organisation in the same country with a folded name this one would take (the unique index)."""
    for field, column, key in (("legal_name", Organisation.name_key, keys.name_key(data.legal_name)),
                               ("name_en", Organisation.name_en_key, keys.name_key(data.name_en))):
        stmt = sa.select(Organisation).where(Organisation.country == data.country, column == key,
                                             Organisation.merged_into_id.is_(None))
        if org is not None:
            stmt = stmt.where(Organisation.id != org.id)
        other = db.session.scalars(stmt.order_by(Organisation.id).limit(1)).first()
        if other is not None:
            return field, other
    return None


class OrganisationFormError(InvalidInput):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_("Please correct the marked fields."), code="invalid_organisation")
        self.errors = errors


def _snapshot(org: Organisation) -> dict[str, str]:
    return {name: (getattr(org, name).value if name == "kind" else getattr(org, name)) for name in EDITABLE}


def update(org: Organisation, data: OrganisationInput, *, by) -> dict[str, tuple[str, str]]:
    """An administrator corrects an organisation; its keys follow. Audited with before and after.

    Returns {field: (before, after)} of what changed (empty: nothing did, and nothing is logged).
    """
    permissions.require_admin(by)
    org = lock(org.id)
    if org.merged_into_id is not None:
        raise InvalidState(_("This organisation was merged into another: edit that one."), code="already_merged")
    errors = validate(data, org)
    if errors:
        raise OrganisationFormError(errors)
    before = _snapshot(org)
    for name in EDITABLE:
        setattr(org, name, OrgKind(data.kind) if name == "kind" else getattr(data, name))
    _rekey(org)
    after = _snapshot(org)
    changes = {k: (before[k], after[k]) for k in EDITABLE if before[k] != after[k]}
    if not changes:
        return {}
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # The check above ran before another organisation took the name a moment ago.
        raise OrganisationFormError({"legal_name": _("Another organisation in this country has just taken this "
                                                     "name: merge the two instead.")})
    audit.record(subject_type="organisation", subject_id=org.id, action="edited", actor=by,
                 before={k: v[0] for k, v in changes.items()}, after={k: v[1] for k, v in changes.items()})
    return changes


def _rekey(org: Organisation) -> None:
    org.name_key, org.name_en_key = keys.name_key(org.legal_name), keys.name_key(org.name_en)
    org.domain = keys.domain(org.website)
    org.search_key = search_key(org.legal_name, org.name_en)


def lock(org_id: int) -> Organisation:
    """The organisation row, locked FOR UPDATE and read afresh (edits and merges)."""
    org = db.session.scalars(
        sa.select(Organisation).where(Organisation.id == org_id).with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if org is None:
        raise InvalidState(_("This organisation no longer exists."), code="not_found")
    return org
