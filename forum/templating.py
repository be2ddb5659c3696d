"""Jinja helpers: forum-local times, plain-words registration state, labels for codes."""
from __future__ import annotations

from datetime import datetime

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time, format_timedelta
from babel.lists import format_list
from flask import Flask, current_app, request
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from forum import clock, languages
from forum.teams import permissions
from forum.teams.labels import permission_help, permission_label
from forum.teams.models import Permission
from forum.forums.models import Forum, Phase
from forum.registration import choices
from forum.registration.models import RegState
from forum.registration.states import state_label


MENU_FORUMS = 5  # the newest forums in the Manage menu; /manage/ lists them all


def _loc() -> str:
    return str(get_locale() or "en")


def _fmt_loc() -> str:
    # International English: "5 August, 18:00", not "August 5, 6:00 PM".
    loc = _loc()
    return "en_GB" if loc == "en" else loc


def _offset(forum: Forum, at: datetime | None) -> str:
    """'+05:00': the offset in force at that instant (a zone with daylight saving has two)."""
    raw = (at or clock.now()).astimezone(forum.tz).strftime("%z")
    return f"{raw[:3]}:{raw[3:]}"


def local_date(dt: datetime, forum: Forum, fmt: str = "long") -> str:
    return format_date(dt.astimezone(forum.tz), format=fmt, locale=_fmt_loc())


def local_day_month(dt: datetime, forum: Forum) -> str:
    """'5 August' / '8月5日' / '5 августа'."""
    return format_skeleton("MMMMd", dt.astimezone(forum.tz), locale=_fmt_loc())


def local_time(dt: datetime, forum: Forum) -> str:
    # 24-hour clock everywhere: it is what Astana, Tashkent and Tokyo read, whatever the UI language.
    return format_time(dt, format="HH:mm", tzinfo=forum.tz, locale=_fmt_loc())


def local_datetime(dt: datetime | None, forum: Forum, fmt: str = "long") -> str:
    """'7 December 2026, 09:00' / '2026年12月7日 09:00': the forum's wall clock, never seconds or offsets.

    For prose where the zone is named nearby; lists and history use `local_datetime_zoned`.
    """
    if dt is None:
        return ""
    pattern = Locale.parse(_fmt_loc()).datetime_formats["medium"]
    return str(pattern).replace("{1}", local_date(dt, forum, fmt)).replace("{0}", local_time(dt, forum))


def local_datetime_zoned(dt: datetime | None, forum: Forum, fmt: str = "medium") -> str:
    """'7 Dec 2026, 09:00 (Astana, UTC+05:00)': a timestamp that names its zone, for lists and history.

    fmt="long", for e-mails: '7 December 2026, 09:00 Astana time (Asia/Almaty, UTC+05:00)'.
    """
    if dt is None:
        return ""
    if fmt == "long":
        return f"{local_datetime(dt, forum)} {zone_label(forum, dt)}"
    return _("%(datetime)s (%(city)s, UTC%(offset)s)", datetime=local_datetime(dt, forum, "medium"),
             city=forum.city, offset=_offset(forum, dt))


def utc_datetime(dt: datetime | None) -> str:
    """'24 Nov 2026, 09:15 UTC': a time that belongs to no forum (an account's last sign-in)."""
    if dt is None:
        return ""
    from datetime import timezone

    dt = dt.astimezone(timezone.utc)
    pattern = Locale.parse(_fmt_loc()).datetime_formats["medium"]
    text = str(pattern).replace("{1}", format_date(dt, format="medium", locale=_fmt_loc())).replace(
        "{0}", format_time(dt, format="HH:mm", tzinfo=timezone.utc, locale=_fmt_loc()))
    return f"{text} UTC"


def zone_label(forum: Forum, at: datetime | None = None) -> str:
    """'Astana time (Asia/Almaty, UTC+05:00)', with the offset in force at `at` (default: now)."""
    return _("%(city)s time (%(zone)s, UTC%(offset)s)", city=forum.city, zone=forum.timezone,
             offset=_offset(forum, at))


def forum_dates(forum: Forum) -> str:
    """'7 December 2026, 09:00 – 9 December 2026, 18:00 Astana time (Asia/Almaty, UTC+05:00)'."""
    return _("%(start)s – %(end)s %(zone)s", start=local_datetime(forum.starts_at, forum),
             end=local_datetime(forum.ends_at, forum), zone=zone_label(forum, forum.starts_at))


def phase_text(forum: Forum, now: datetime | None = None) -> str:
    now = now or clock.now()
    phase = forum.phase(now)
    when = lambda dt: _("%(date)s, %(time)s %(city)s time", date=local_day_month(dt, forum),  # noqa: E731
                        time=local_time(dt, forum), city=forum.city)
    if phase is Phase.OPEN:
        return _("Registration open until %(when)s", when=when(forum.registration_closes_at))
    if phase is Phase.NOT_YET_OPEN:
        return _("Registration opens on %(when)s", when=when(forum.registration_opens_at))
    if phase is Phase.LATE:
        return _("Registration closed — you can request a late entry")
    status = forum.status.value
    if status == "cancelled":
        return _("This forum has been cancelled")
    if status == "postponed":
        return _("This forum has been postponed")
    if status == "draft":
        return _("Draft — not visible to the public")
    return _("Registration closed")


def waited(since: datetime, now: datetime | None = None) -> str:
    """'1 day, 2 hours' / '3 hours, 5 minutes' / '4 minutes': two units are what a queue needs."""
    from datetime import timedelta

    total = max(int(((now or clock.now()) - since).total_seconds()), 0)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    units = [(days, 86400), (hours, 3600), (minutes, 60)]
    parts = [format_timedelta(timedelta(seconds=n * size), threshold=1, locale=_loc()) for n, size in units if n]
    if not parts:
        return _("less than a minute")
    return format_list(parts[:2], style="unit", locale=_loc())


STATE_STYLES = {
    RegState.PENDING: "warning", RegState.APPROVED: "success", RegState.REJECTED: "danger",
    RegState.WAITLISTED: "info", RegState.WITHDRAWN: "secondary", RegState.CANCELLED: "dark",
}


def state_badge(state: RegState) -> Markup:
    style = STATE_STYLES[state]
    text_cls = " text-dark" if style in ("warning", "info") else ""
    return Markup('<span class="badge text-bg-{}{}">{}</span>').format(style, text_cls, state_label(state))


def action_label(action: str) -> str:
    return {
        "submitted": _("Company registration submitted"), "created": _("Registered"),
        "state_change": _("Status changed"), "used": _("Invitation used"),
        "disputed": _("Disputed by the owner of the e-mail address (“this wasn't me”)"),
        "category_confirmed": _("Category confirmed"), "category_declined": _("Category request declined"),
        "corrected": _("Data corrected"), "substitute_created": _("Registered in a colleague's place"),
        "change_acknowledged": _("Change since approval marked as seen"),
        "cancelled": _("Forum cancelled"), "reopened": _("Forum reopened"),
        "postponed": _("Forum postponed"), "postponement_confirmed": _("Still attends after the postponement"),
        "postponement_declined": _("Cannot attend after the postponement"),
        "postponement_reminded": _("Reminded to answer the postponement"),
    }.get(action, action)


def state_value_label(value: str | None) -> str:
    if not value:
        return "—"
    try:
        return state_label(RegState(value))
    except ValueError:
        return value


def status_label(value: str) -> str:
    return {
        "draft": _("Draft"), "published": _("Published"), "closed": _("Registration closed"), "held": _("Held"),
        "cancelled": _("Cancelled"), "postponed": _("Postponed"),
    }.get(value, value)


def app_links(text: str) -> Markup:
    """A mail paragraph as HTML: escaped, its lines joined with <br>, and a line that is exactly one URL of the
    app itself (under BASE_URL) made a link. Only the app puts such lines in its mails; a name, a company or
    a title that looks like a URL stays text (Jinja's urlize would link it)."""
    from flask import current_app
    from markupsafe import escape

    base = current_app.config["BASE_URL"].rstrip("/") + "/"
    lines = []
    for line in str(text).split("\n"):
        url = line.strip()
        if url.startswith(base) and not any(c.isspace() or c in "<>\"'" for c in url):
            lines.append(Markup('<a href="{0}">{0}</a>').format(url))
        else:
            lines.append(escape(line))
    return Markup("<br>").join(lines)


def url_with(**changes) -> str:
    """The current URL with some query arguments changed (for pagination and filters)."""
    from flask import url_for

    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items()})
    args = {k: v for k, v in args.items() if v not in (None, "")}
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def waitlist_offer(forum: Forum):
    """'1 place free — promote …?' for the current user, when they may decide and the forum asks (registration.waitlist)."""
    from flask_login import current_user

    from forum.registration import waitlist

    if not permissions.has_permission(current_user, forum, Permission.REVIEW):
        return None
    return waitlist.offer(forum)


def b2b_nav_links(forum, entries) -> list[tuple[str, str, bool]]:
    """(href, label, active) for the B2B navigation, in the given order."""
    from flask import request, url_for

    out = [(url_for(endpoint, slug=forum.slug), label, endpoint) for endpoint, label in entries]
    here = request.endpoint or ""
    # A page with no entry of its own (a run, a company, one request) lights the entry it belongs to: the one
    # named in B2B_NAV_PARENTS, else the only entry of its blueprint.
    lit = here if any(e == here for _h, _l, e in out) else B2B_NAV_PARENTS.get(here)
    if lit is None:
        same = [e for _h, _l, e in out if e.split(".")[0] == here.split(".")[0]]
        lit = same[0] if len(same) == 1 else None
    return [(href, label, endpoint == lit) for href, label, endpoint in out]


B2B_NAV_PARENTS = {
    "b2b.request": "b2b.requests", "b2b.new_request": "b2b.requests",
    "b2b_directory.company": "b2b_directory.directory", "b2b_directory.company_profile": "b2b_directory.profile",
}


def init_app(app: Flask) -> None:
    from forum.meetings import states as meeting_states

    app.jinja_env.filters.update(
        local_datetime=local_datetime, local_date=local_date, local_time=local_time, waited=waited,
        ucfirst=lambda v: str(v)[:1].upper() + str(v)[1:], local_datetime_zoned=local_datetime_zoned,
        app_links=app_links, utc_datetime=utc_datetime,
    )
    app.jinja_env.globals.update(
        zone_label=zone_label, forum_dates=forum_dates, phase_text=phase_text, state_badge=state_badge, state_label=state_label,
        country_name=choices.country_name, sector_label=lambda k: str(choices.SECTORS.get(k, k)),
        language_name=choices.language_name, category_label=choices.category_label, categories=choices.CATEGORIES, status_label=status_label,
        url_with=url_with, ui_languages=languages.choices(), RegState=RegState, Phase=Phase, action_label=action_label,
        state_value_label=state_value_label, has_permission=permissions.has_permission,
        permissions_of=permissions.permissions_of, is_on_a_team=permissions.is_on_a_team, Permission=Permission,
        waitlist_offer=waitlist_offer,
        permission_label=permission_label, permission_help=permission_help,
        manage_menu=lambda user: permissions.visible_forums(user, limit=MENU_FORUMS),
        b2b_nav_links=b2b_nav_links, has_endpoint=lambda name: name in current_app.view_functions, priority_label=meeting_states.priority_label, request_state_label=meeting_states.state_label,
    )

    from forum.documents import labels as document_labels, money

    app.jinja_env.globals.update(document_labels.JINJA_GLOBALS, format_amount=money.format_amount)

    from forum.forums import cancellation

    # The cancellation banner (templates/_macros/cancellation.html) marks the reason with its language.
    app.jinja_env.globals.update(cancellation_reason_language=cancellation.shown_reason_language)

    @app.context_processor
    def _inject():
        from flask import has_request_context

        from forum.accounts.forms import LanguageForm

        if not has_request_context():  # e-mails rendered by services, the CLI or the worker
            return {"current_lang": _loc()}
        return {"language_form": LanguageForm(formdata=None, lang=_loc()), "current_lang": _loc()}
