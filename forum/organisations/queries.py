"""Read-side queries for the organisations pages: the list, one organisation's forums, possible duplicates."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from forum.db import db
from forum.forums.models import Forum
from forum.organisations.models import Organisation, OrgKind
from forum.registration.models import CompanyRegistration, RegState, Registration
from forum.search import matches_all_words


@dataclass
class Filters:
    q: str = ""
    country: str = ""
    kind: str = ""
    merged: str = ""  # "yes": the merged-away ones instead of the live ones

    @classmethod
    def from_args(cls, args) -> "Filters":
        f = cls(**{k: (args.get(k) or "").strip() for k in cls.__dataclass_fields__})
        # Unknown values filter nothing rather than crash or match nothing silently.
        if f.kind not in {k.value for k in OrgKind}:
            f.kind = ""
        f.country = f.country.upper() if len(f.country) == 2 and f.country.isascii() and f.country.isalpha() else ""
        if f.merged != "yes":
            f.merged = ""
        f.q = f.q[:200]
        return f

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


def organisations(f: Filters) -> sa.Select:
    stmt = sa.select(Organisation).options(joinedload(Organisation.merged_into))
    stmt = stmt.where(Organisation.merged_into_id.is_not(None) if f.merged else Organisation.merged_into_id.is_(None))
    if f.country:
        stmt = stmt.where(Organisation.country == f.country)
    if f.kind:
        stmt = stmt.where(Organisation.kind == OrgKind(f.kind))
    if f.q:
        stmt = stmt.where(sa.or_(matches_all_words(Organisation.search_key, f.q),
                                 Organisation.domain == f.q.strip().lower()))
    return stmt.order_by(Organisation.name_en_key, Organisation.id)


@dataclass
class Usage:
    forums: int = 0
    registrations: int = 0
    delegates: int = 0


def usage(org_ids: list[int]) -> dict[int, Usage]:
    """For each organisation: in how many forums it registered, how many registrations and delegates (one query)."""
    out = {i: Usage() for i in org_ids}
    if not org_ids:
        return out
    delegates = (sa.select(sa.func.count()).where(Registration.company_id == CompanyRegistration.id)
                 .correlate(CompanyRegistration).scalar_subquery())
    for org_id, forums, regs, dels in db.session.execute(
        sa.select(CompanyRegistration.organisation_id, sa.func.count(sa.distinct(CompanyRegistration.forum_id)),
                  sa.func.count(CompanyRegistration.id), sa.func.coalesce(sa.func.sum(delegates), 0))
        .where(CompanyRegistration.organisation_id.in_(org_ids)).group_by(CompanyRegistration.organisation_id)
    ):
        out[org_id] = Usage(forums=forums, registrations=regs, delegates=int(dels))
    return out


@dataclass
class RegistrationRow:
    company: CompanyRegistration
    states: dict[str, int]  # RegState value -> delegates in it

    @property
    def delegates(self) -> int:
        return sum(self.states.values())


def registrations(org_id: int) -> list[RegistrationRow]:
    """The organisation's company registrations in every forum, newest forum first, with delegates per state."""
    companies = list(db.session.scalars(
        sa.select(CompanyRegistration).join(Forum, Forum.id == CompanyRegistration.forum_id)
        .options(joinedload(CompanyRegistration.forum))
        .where(CompanyRegistration.organisation_id == org_id)
        .order_by(Forum.starts_at.desc(), CompanyRegistration.created_at.desc(), CompanyRegistration.id)
    ))
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if companies:
        for company_id, state, n in db.session.execute(
            sa.select(Registration.company_id, Registration.state, sa.func.count())
            .where(Registration.company_id.in_([c.id for c in companies]))
            .group_by(Registration.company_id, Registration.state)
        ):
            counts[company_id][state.value] = n
    return [RegistrationRow(company=c, states={s.value: counts[c.id].get(s.value, 0) for s in RegState})
            for c in companies]


def merged_into_this(org_id: int) -> list[Organisation]:
    return list(db.session.scalars(
        sa.select(Organisation).where(Organisation.merged_into_id == org_id).order_by(Organisation.id)))


# --- possible duplicates ------------------------------------------------------------------------

MIN_FUZZY = 5  # names shorter than this differ by one letter too easily (Aral / Arai): not compared


@dataclass(frozen=True)
class Pair:
    a: int  # the lower id
    b: int
    reason: str  # "domain", "name" (one's name is the other's, or the same without spaces), "spelling"


def _deletions(key: str) -> set[str]:
    return {key[:i] + key[i + 1:] for i in range(len(key))} | {key}


def _one_edit(x: str, y: str) -> bool:
    """x and y differ by one letter inserted, dropped or changed, or two neighbours swapped."""
    if x == y or abs(len(x) - len(y)) > 1:
        return False
    if len(x) == len(y):
        diff = [i for i in range(len(x)) if x[i] != y[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and x[diff[0]] == y[diff[1]]
                                  and x[diff[1]] == y[diff[0]])
    short, long_ = (x, y) if len(x) < len(y) else (y, x)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def possible_duplicates() -> list[Pair]:
    """Pairs of live organisations that are probably one, which the matching keys did not join. Deterministic:
    - the same website domain;
    - the same country, and a name of one equals a name of the other once spaces are dropped
      ("Sakura Trading" / "SakuraTrading"), or one's native name is the other's English one;
    - the same country, and names (of at least MIN_FUZZY letters) one small edit apart: a letter added,
      dropped or changed, or two neighbours swapped ("Kazakh Oil" / "Kazak Oil").
    """
    rows = db.session.execute(
        sa.select(Organisation.id, Organisation.country, Organisation.name_key, Organisation.name_en_key,
                  Organisation.domain).where(Organisation.merged_into_id.is_(None)).order_by(Organisation.id)
    ).all()
    found: dict[tuple[int, int], str] = {}

    def add(i: int, j: int, reason: str) -> None:
        if i != j:
            found.setdefault((min(i, j), max(i, j)), reason)

    by_domain: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        if r.domain:
            by_domain[r.domain].append(r.id)
    for ids in by_domain.values():
        for j in ids[1:]:
            add(ids[0], j, "domain")

    # Each organisation's names without spaces, per country: equal ones are the "name" rule.
    exact: dict[tuple[str, str], list[int]] = defaultdict(list)
    for r in rows:
        for key in {r.name_key.replace(" ", ""), r.name_en_key.replace(" ", "")} - {""}:
            exact[(r.country, key)].append(r.id)
    for ids in exact.values():
        for j in sorted(set(ids))[1:]:
            add(min(ids), j, "name")

    # One edit apart: two such names share a variant with one letter deleted (or the name itself).
    variants: dict[tuple[str, str], set[tuple[int, str]]] = defaultdict(set)
    for r in rows:
        for key in {r.name_key.replace(" ", ""), r.name_en_key.replace(" ", "")}:
            if len(key) >= MIN_FUZZY:
                for v in _deletions(key):
                    variants[(r.country, v)].add((r.id, key))
    for members in variants.values():
        if len(members) < 2:
            continue
        ordered = sorted(members)
        for n, (i, x) in enumerate(ordered):
            for j, y in ordered[n + 1:]:
                if i != j and _one_edit(x, y):
                    add(i, j, "spelling")
    # Newest first: a duplicate that a registration has just created is at the top.
    return [Pair(a, b, reason) for (a, b), reason in sorted(found.items(), key=lambda p: (-p[0][1], -p[0][0]))]


def load(ids: set[int]) -> dict[int, Organisation]:
    if not ids:
        return {}
    return {o.id: o for o in db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(ids)))}
