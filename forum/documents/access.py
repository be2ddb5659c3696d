"""Who may see what of a document: the one place pages, downloads, exports and the API ask.

- The forum's team members with the documents permission see and change everything.
- The parties' delegates (approved delegates and the contact person of a company that is a party) see their
  documents and download the signed copy, unless the document is confidential; a party's contact person may
  add follow-up notes.
- Everyone else sees what the public page lists (tally.publicly_listed).
"""
from __future__ import annotations

import sqlalchemy as sa

from forum.db import db
from forum.documents.models import Confidentiality, Document, DocumentParty
from forum.registration.models import CompanyRegistration, Registration, RegState
from forum.teams.models import Permission
from forum.teams.permissions import has_permission


def can_manage(user, forum) -> bool:
    return has_permission(user, forum, Permission.DOCUMENTS)


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def party_company_ids(doc: Document) -> set[int]:
    return {p.company_id for p in doc.parties if p.company_id is not None}


def user_company_ids(user, forum_id: int) -> set[int]:
    """The forum's companies this user belongs to: as an approved delegate or as the contact person."""
    if not _signed_in(user):
        return set()
    as_delegate = sa.select(Registration.company_id).where(
        Registration.forum_id == forum_id, Registration.user_id == user.id, Registration.state == RegState.APPROVED)
    as_contact = sa.select(CompanyRegistration.id).where(
        CompanyRegistration.forum_id == forum_id, CompanyRegistration.contact_user_id == user.id)
    return set(db.session.scalars(sa.union(as_delegate, as_contact)))


def is_party_member(user, doc: Document) -> bool:
    """A delegate or the contact person of a company that is a party to `doc`."""
    companies = party_company_ids(doc)
    return bool(companies) and bool(companies & user_company_ids(user, doc.forum_id))


def can_see(user, doc: Document) -> bool:
    """The document's page for a delegate: a party's member sees a withdrawn or non-confidential document."""
    if can_manage(user, doc.forum):
        return True
    return doc.confidentiality is not Confidentiality.CONFIDENTIAL and is_party_member(user, doc)


def can_download_scan(user, doc: Document) -> bool:
    """The signed copy: the documents team always; the parties' delegates unless it is confidential."""
    return can_see(user, doc)


def contact_party(user, doc: Document) -> DocumentParty | None:
    """The party whose company's contact person `user` is, if any: they may add follow-up notes for it."""
    if not _signed_in(user):
        return None
    for party in doc.parties:
        if party.company is not None and party.company.contact_user_id == user.id:
            return party
    return None


def companies_with_documents(company_ids) -> set[int]:
    """Which of these companies are a party to a document their delegates may see (any but a confidential one):
    their pages link to the forum's "My documents". One query."""
    ids = set(company_ids)
    if not ids:
        return set()
    return set(db.session.scalars(
        sa.select(DocumentParty.company_id).join(Document, Document.id == DocumentParty.document_id)
        .where(DocumentParty.company_id.in_(ids), Document.confidentiality != Confidentiality.CONFIDENTIAL)
        .distinct()))
