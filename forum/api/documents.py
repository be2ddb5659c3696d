"""The documents register in the JSON API (issue 10): GET /api/v1/forums/<slug>/documents.

Its routes join the API blueprint of forum/api/views.py (imported by the factory before registration).

Two readers, one endpoint: anyone (no Authorization header) reads what the public page shows, the documents that
count and are not confidential, values withheld where the parties asked; a device token of a team member holding
the documents permission on the forum reads every document. A header that is not a live token is a 401, never
the public answer (auth.token_optional)."""
from __future__ import annotations

import math

import sqlalchemy as sa
from flask import request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from forum.api import document_schemas as out
from forum.api import tokens
from forum.api.auth import optional_token, token_optional
from forum.api.openapi import operation
from forum.api.views import _forum, _json, bp
from forum.db import db
from forum.documents import labels, money, tally
from forum.documents.models import Capacity, Document, DocumentParty
from forum.errors import InvalidInput, NotFound
from forum.meetings.pages import MAX_PAGE
from forum.teams.models import Permission
from forum.urls import ascii_int

PER_PAGE = 50
PER_PAGE_MAX = 200


def _int_arg(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    n = ascii_int(raw, maximum=maximum)
    if not n:
        raise InvalidInput(_("%(field)s must be a whole number from 1 to %(max)d.", field=name, max=maximum),
                           code="field_invalid", field=name)
    return n


def _tally(forum_id: int) -> out.DocumentTally:
    s = tally.summary(forum_id)
    return out.DocumentTally(
        total=s.total, by_kind={k.value: n for k, n in s.by_kind},
        by_country_pair=[out.CountryPair(countries=list(pair), count=n) for pair, n in s.by_pair],
        by_sector=dict(s.by_sector))


def _party(p: DocumentParty, team: bool) -> out.Party:
    proxy = p.capacity is Capacity.ON_BEHALF
    return out.Party(
        organisation=p.organisation, country=p.country, kind=p.kind,
        signatory=out.Signatory(
            name=p.signatory_name, position=p.signatory_position, capacity=p.capacity,
            principal=out.Principal(name=p.principal_name, position=p.principal_position) if proxy else None,
            line=labels.signatory_line(p),
            power_of_attorney=(p.poa_reference or None) if team and proxy else None,
            exchanged_by=", ".join(x for x in (p.exchanged_by_name, p.exchanged_by_position) if x) or None))


def _document(d: Document, team: bool) -> out.DocumentOut:
    show_value = (team or tally.value_is_public(d)) and d.value_minor is not None
    return out.DocumentOut(
        id=d.public_id, number=d.number, reference=d.reference, type=d.kind,
        titles={t.language: t.title for t in d.titles}, authoritative_language=d.authoritative_language,
        parties=[_party(p, team) for p in d.parties], date=d.signed_on, place=d.place, ceremony=d.ceremony,
        sectors=list(d.sectors or ()), confidentiality=d.confidentiality,
        value_minor=d.value_minor if show_value else None,
        value=money.amount_text(d.value_minor, d.currency) if show_value else None,
        currency=d.currency if show_value else None, expected_jobs=d.expected_jobs, status=d.status,
        exchanged_at=d.exchanged_at, counts_in_tally=tally.counts(d),
        withdrawn_at=d.withdrawn_at if team else None, withdrawn_reason=d.withdrawn_reason if team else None)


@bp.get("/forums/<slug>/documents")
@operation("The forum's documents register and its public tally", response=out.DocumentList,
           errors=(400, 403, 404), tags=("documents",),
           description="Without a token: the public tally and the documents the public page lists (exchanged, "
                       "counted, not confidential; a withheld value is null). With the device token of a team "
                       "member holding the documents permission on this forum: every document (confidential, "
                       "withdrawn with its reason, not counted: see `counts_in_tally`) with every value. A token "
                       "that is not valid is a 401 (never the public answer); one without the documents "
                       "permission, or limited to another forum, a 403. Pages: `?page=` (from 1) and "
                       "`?per_page=` (at most 200, default 50).")
@token_optional
def documents(slug: str):
    token = optional_token()
    forum = _forum()
    if token is not None:
        tokens.authorize(token, forum, Permission.DOCUMENTS)
    elif not forum.is_public:
        raise NotFound(_("There is no forum at this address."), code="forum_not_found")
    team = token is not None
    page = _int_arg("page", 1, MAX_PAGE)
    per_page = _int_arg("per_page", PER_PAGE, PER_PAGE_MAX)

    where = Document.forum_id == forum.id
    if not team:
        where = sa.and_(where, tally.publicly_listed())
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Document).where(where))
    docs = db.session.scalars(
        sa.select(Document).where(where).options(selectinload(Document.titles), selectinload(Document.parties))
        .order_by(Document.number).limit(per_page).offset((page - 1) * per_page)).all()
    pages = math.ceil(total / per_page) if total else 0
    following = (url_for("api.documents", slug=forum.slug, page=page + 1, per_page=per_page, _external=True)
                 if page < pages else None)
    answer = out.DocumentList(tally=_tally(forum.id), documents=[_document(d, team) for d in docs],
                              scope="team" if team else "public", page=page, per_page=per_page, total=total,
                              pages=pages, next=following)
    if team:
        db.session.commit()  # the token's last use
    return _json(answer)
