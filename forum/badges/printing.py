"""The badge desk: which badges to print, in which order, what each one shows; printing a batch marks it.

- The desk works on the forum's approved delegates and their live badges, loaded in one query (a
  registration approved before badges existed shows as "not printed" until the batch issues its badge).
- A badge is "not printed", "printed", or "changed since printed" when what it would print now (issuing.
  fingerprint: names, position, company, country, category) differs from what was printed.
- The desk's order: country (its name in the reader's language), then Latin surname (`surname`), then
  the rest of the Latin name: how the printed badges are laid out on the tables at the entrance.
- Downloading a batch (`print_batch`) issues missing badges, draws the PDF through forum.badges.render and
  marks every badge in it printed, in the caller's transaction.
- A delegate sees and downloads their own badge (`own_badge`): the delegate, or their company's contact
  person, and only while approved.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator

import sqlalchemy as sa
from babel.dates import format_interval
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased, contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from forum.accounts.models import User
from forum.badges import issuing, render
from forum.badges.models import Badge, TeamRole
from forum.db import db
from forum.forums.models import Forum, ForumStatus
from forum.registration import choices
from forum.registration.models import Category, CompanyRegistration, RegState, Registration
from forum.search import fold, query_words
from forum.teams import permissions
from forum.teams.models import Permission, TeamMember

NO_BADGE, NOT_PRINTED, PRINTED, CHANGED, REVOKED = "no_badge", "not_printed", "printed", "changed", "revoked"
# The status filter: what the desk may ask for, and which row statuses each one shows.
STATUS_FILTERS = {
    "to_print": (_l("To print (new or changed)"), {NO_BADGE, NOT_PRINTED, CHANGED}),
    "not_printed": (_l("Not printed yet"), {NO_BADGE, NOT_PRINTED}),
    "changed": (_l("Changed since printed"), {CHANGED}),
    "printed": (_l("Printed and up to date"), {PRINTED}),
    "revoked": (_l("Revoked by the organizers"), {REVOKED}),
}
STATUS_LABELS = {NO_BADGE: _l("Not printed yet"), NOT_PRINTED: _l("Not printed yet"), PRINTED: _l("Printed"),
                 CHANGED: _l("Changed since printed"), REVOKED: _l("Revoked")}
TEAM_LABELS = {TeamRole.ORGANIZER.value: _l("Organizer"), TeamRole.STAFF.value: _l("Staff")}


def band_label(category: str) -> str:
    """The word on a badge's coloured band, in the current language."""
    if category in TEAM_LABELS:
        return str(TEAM_LABELS[category])
    return choices.category_label(category)


# --- the desk's order --------------------------------------------------------------------------

# Patronymics as CIS passports write them after the given name ("Ivanov Ivan Ivanovich"): then the
# surname is the first word. Kazakh -uly/-kyzy and Uzbek o'g'li/qizi stand last as surnames themselves
# in two-word names ("Aliya Nurlankyzy"), so they count only in three words or more.
_PATRONYMIC = re.compile(r"(ovich|evich|ich|ovna|evna|ichna|inichna|uly|ulu|kyzy|qizi|ogli|ugli)$")


def _plain(word: str) -> str:
    """'Yoʻldoshev' -> 'yoldoshev', 'Öwezow' -> 'owezow': for sorting only."""
    text = unicodedata.normalize("NFKD", fold(word))
    return "".join(c for c in text if not unicodedata.combining(c))


def surname(latin_name: str) -> str:
    """The family name in a Latin name, for sorting: the word(s) written in capitals ("YAMADA Taro",
    "Taro YAMADA", "VAN DER BERG Anna"); else the first word when the last one is a patronymic
    ("Ivanov Ivan Ivanovich"); else the last word ("Taro Yamada", "Aliya Nurlankyzy")."""
    words = latin_name.split()
    if not words:
        return ""
    capitals = [w for w in words if sum(c.isalpha() for c in w) >= 2 and w.isupper()]
    if capitals and len(capitals) < len(words):
        return " ".join(capitals)
    if len(words) >= 3 and _PATRONYMIC.search(_plain(words[-1])):
        return words[0]
    return words[-1]


def desk_key(country_name: str, latin_name: str) -> tuple[str, str, str]:
    return (_plain(country_name), _plain(surname(latin_name)), _plain(latin_name))


# --- the desk ----------------------------------------------------------------------------------

@dataclass
class Filters:
    country: str = ""  # ISO code
    category: str = ""  # a Category value
    status: str = ""  # a key of STATUS_FILTERS
    q: str = ""  # a name in any script, the company, an e-mail

    @classmethod
    def from_args(cls, args) -> "Filters":
        f = cls(**{k: (args.get(k) or "").strip() for k in cls.__dataclass_fields__})
        # Unknown values filter nothing rather than fail or silently match nothing.
        f.country = f.country.upper() if f.country.upper() in choices.COUNTRY_CODES else ""
        if f.category not in {c.value for c in Category}:
            f.category = ""
        if f.status not in STATUS_FILTERS:
            f.status = ""
        f.q = f.q[:200]
        return f

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}

    def describe(self) -> list[tuple[str, str]]:
        parts = []
        if self.country:
            parts.append((_("Country"), choices.country_name(self.country)))
        if self.category:
            parts.append((_("Category"), choices.category_label(self.category)))
        if self.status:
            parts.append((_("Status"), str(STATUS_FILTERS[self.status][0])))
        if self.q:
            parts.append((_("Search"), self.q))
        return parts


@dataclass
class Row:
    registration: Registration
    badge: Badge | None
    status: str  # NO_BADGE, NOT_PRINTED, PRINTED, CHANGED or REVOKED
    country_name: str

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


@dataclass
class Counts:
    approved: int = 0
    printed: int = 0  # printed and up to date
    not_printed: int = 0
    changed: int = 0  # printed, but what it shows has changed since
    revoked: int = 0  # revoked by an organizer, no new one issued


@dataclass
class Desk:
    counts: Counts
    rows: list[Row] = field(default_factory=list)  # the filter's rows, in the desk's order
    countries: list[tuple[str, str]] = field(default_factory=list)  # (code, name) of the approved delegates


def _status(badge: Badge | None) -> str:
    if badge is None:
        return NO_BADGE
    if badge.printed_at is None:
        return NOT_PRINTED
    return PRINTED if badge.printed_fingerprint == issuing.fingerprint(badge) else CHANGED


def _approved_with_badges(forum: Forum) -> list[tuple[Registration, Badge | None, bool]]:
    """Every approved registration of the forum with its company, its live badge, and whether an organizer
    revoked its last badge: one query."""
    live = aliased(Badge)
    rows = db.session.execute(
        sa.select(Registration, live, issuing.latest_revoked_by_organizer().label("revoked"))
        .join(Registration.company)
        .outerjoin(live, sa.and_(live.registration_id == Registration.id, live.revoked_at.is_(None)))
        .options(contains_eager(Registration.company))
        .where(Registration.forum_id == forum.id, Registration.state == RegState.APPROVED)
    ).all()
    for reg, badge, _revoked in rows:
        if badge is not None:  # its registration is this one, loaded already: no lazy load asks again
            set_committed_value(badge, "registration", reg)
    return [(reg, badge, bool(revoked)) for reg, badge, revoked in rows]


def desk(forum: Forum, f: Filters) -> Desk:
    """The counts of the whole forum and the rows the filter selects, in the desk's order."""
    counts = Counts()
    names: dict[str, str] = {}
    words = query_words(f.q)
    rows = []
    for reg, badge, revoked in _approved_with_badges(forum):
        status = REVOKED if badge is None and revoked else _status(badge)
        counts.approved += 1
        if status in (NO_BADGE, NOT_PRINTED):
            counts.not_printed += 1
        elif status == PRINTED:
            counts.printed += 1
        elif status == CHANGED:
            counts.changed += 1
        else:
            counts.revoked += 1
        country = reg.company.country
        if country not in names:
            names[country] = choices.country_name(country)
        if f.country and country != f.country:
            continue
        if f.category and reg.category.value != f.category:
            continue
        if f.status and status not in STATUS_FILTERS[f.status][1]:
            continue
        if words and not all(w in reg.search_key for w in words):
            continue
        rows.append(Row(reg, badge, status, names[country]))
    rows.sort(key=lambda r: desk_key(r.country_name, r.registration.latin_name) + (r.registration.id,))
    countries = sorted(names.items(), key=lambda item: _plain(item[1]))
    return Desk(counts, rows, countries)


# --- printing ----------------------------------------------------------------------------------

def badge_url(badge: Badge) -> str:
    """What the badge's QR code holds: <BASE_URL>/b/<token>, which any phone camera opens."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/b/{badge.token}"


def dates_text(forum: Forum) -> str:
    """'7–9 December 2026 · Astana' in the current language, in the forum's own calendar days."""
    start, end = forum.local(forum.starts_at), forum.local(forum.ends_at)
    loc = str(get_locale() or "en")
    days = format_interval(start.date(), end.date(), skeleton="yMMMMd", locale="en_GB" if loc == "en" else loc)
    return f"{days} · {forum.city}"


def content(badge: Badge, forum: Forum, *, dates: str | None = None) -> render.BadgeContent:
    """What one badge shows, every label in the current language."""
    reg = badge.registration
    dates = dates if dates is not None else dates_text(forum)
    if reg is None:  # a team badge: the person's name, and the band says organizer or staff
        name = badge.user.display_name if badge.user else ""
        return render.BadgeContent(
            forum_title=forum.title, dates=dates, full_name=name, latin_name=name, position="", company="",
            company_latin="", country="", category=badge.category, category_label=band_label(badge.category),
            qr_url=badge_url(badge))
    company: CompanyRegistration = reg.company
    return render.BadgeContent(
        forum_title=forum.title, dates=dates, full_name=reg.full_name, latin_name=reg.latin_name,
        position=reg.position, company=company.legal_name, company_latin=company.name_en,
        country=choices.country_name(company.country), category=reg.category.value,
        category_label=band_label(reg.category.value), qr_url=badge_url(badge))


def batch(forum: Forum, f: Filters, *, by: User | None, team: bool = False) -> list[Badge]:
    """The live badges the filter selects, in the desk's order (missing ones issued first); with `team`,
    then the forum's team members' organizer and staff badges (needs the manage permission), by name,
    those the status filter selects. `by` None: the command line, which the server's operator runs."""
    if by is not None:
        permissions.require(by, forum, Permission.REVIEW)
        if team:
            permissions.require(by, forum, Permission.MANAGE)
    elif team:
        raise ValueError("team badges are issued by a team manager")
    issuing.ensure_badges(forum)
    badges = [row.badge for row in desk(forum, f).rows if row.badge is not None]
    if team:
        wanted = STATUS_FILTERS[f.status][1] if f.status else None
        badges.extend(b for b in team_badges(forum, by=by) if wanted is None or _status(b) in wanted)
    return badges


def team_badges(forum: Forum, *, by: User) -> list[Badge]:
    """The live organizer or staff badge of every member of the forum's team (issued when missing), by name."""
    members = list(db.session.scalars(
        sa.select(TeamMember).options(joinedload(TeamMember.user)).where(TeamMember.forum_id == forum.id)))
    existing = {b.user_id: b for b in db.session.scalars(
        sa.select(Badge).options(joinedload(Badge.user))
        .where(Badge.forum_id == forum.id, Badge.user_id.is_not(None), Badge.revoked_at.is_(None)))}
    badges = [existing.get(m.user_id) or issuing.team_badge(forum, m.user, by=by) for m in members]
    return sorted(badges, key=lambda b: (_plain(b.user.display_name), b.id))


def print_batch(forum: Forum, f: Filters, out: BinaryIO, *, by: User | None, layout: str = "a6",
                team: bool = False, mark: bool = True) -> int:
    """Draw the filter's badges into `out` as a PDF and (unless `mark` is False) mark them printed, in the
    caller's transaction. Returns how many; 0 writes nothing."""
    badges = batch(forum, f, by=by, team=team)
    if not badges:
        return 0
    render.render(iter_contents(badges, forum), out, layout=layout, title=f"{forum.title} — {_('Badges')}")
    if mark:
        issuing.mark_printed(badges)
    return len(badges)


def print_one(badge: Badge, out: BinaryIO, *, by: User) -> None:
    """One delegate's badge on an A6 page for the badge desk (a reissued badge, say); marks it printed."""
    permissions.require(by, badge.forum_id, Permission.REVIEW)
    render.render([content(badge, badge.forum)], out, layout="a6", title=_("Badge"))
    issuing.mark_printed([badge])


def desk_badge(forum: Forum, badge_id: int) -> Badge | None:
    """A live delegate badge of this forum, by its id (organizer pages), or None."""
    badge = db.session.get(Badge, badge_id)
    if badge is None or badge.forum_id != forum.id or badge.registration_id is None or not badge.is_live:
        return None
    return badge


def desk_registration(forum: Forum, reg_id: int) -> Registration | None:
    """An approved registration of this forum, by its id (organizer pages), or None."""
    reg = db.session.get(Registration, reg_id)
    if reg is None or reg.forum_id != forum.id or reg.state is not RegState.APPROVED:
        return None
    return reg


# --- the delegate's own badge ------------------------------------------------------------------

def own_registration(reg_pid: str, user: User) -> Registration | None:
    """The approved registration with this public id, if `user` is its delegate or their company's contact
    person; None for anyone or anything else (the page then says 404, whatever the reason)."""
    if not getattr(user, "is_authenticated", False):
        return None
    reg = db.session.scalar(sa.select(Registration).options(joinedload(Registration.company))
                            .where(Registration.public_id == reg_pid))
    if reg is None or reg.state is not RegState.APPROVED:
        return None
    if user.id not in (reg.user_id, reg.company.contact_user_id):
        return None
    return reg


def own_cancelled_forum(reg_pid: str, user: User) -> Forum | None:
    """The cancelled forum of the registration with this public id when `user` is its delegate or their
    company's contact person (their badge went with the forum); None otherwise."""
    if not getattr(user, "is_authenticated", False):
        return None
    reg = db.session.scalar(sa.select(Registration).options(joinedload(Registration.company))
                            .where(Registration.public_id == reg_pid))
    if reg is None or user.id not in (reg.user_id, reg.company.contact_user_id):
        return None
    return reg.forum if reg.forum.status is ForumStatus.CANCELLED else None


def own_badge(reg: Registration) -> Badge:
    """The delegate's live badge, issued now if they have none yet. Raises InvalidState ("badge_revoked")
    when the organizers revoked it: a new one comes only from them."""
    return issuing.badge_for(reg)


def file_name(badge: Badge) -> str:
    """'badge-YAMADA-Taro.pdf': ASCII, for the download."""
    latin = badge.registration.latin_name if badge.registration else (badge.user.display_name if badge.user else "")
    plain = unicodedata.normalize("NFKD", latin).encode("ascii", "ignore").decode()
    return f"badge-{re.sub(r'[^A-Za-z0-9]+', '-', plain).strip('-') or badge.code[:8]}.pdf"


def own_badge_pdf(badge: Badge, out: BinaryIO) -> None:
    """The delegate's own badge on an A6 page. Not marked printed: the badge desk still prints its own."""
    render.render([content(badge, badge.forum)], out, layout="a6", title=_("Badge"))


def iter_contents(badges: list[Badge], forum: Forum) -> Iterator[render.BadgeContent]:
    """Each badge's content as the renderer asks for it (one page at a time)."""
    dates = dates_text(forum)
    return (content(b, forum, dates=dates) for b in badges)
