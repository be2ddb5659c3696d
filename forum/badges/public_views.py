"""The page a badge's QR code opens: /b/<token>, whatever camera app read it.

Who sees what:
- a signed-in member of the badge's forum's team with the check-in permission: the badge holder, the
  badge's state at the door, and a "Check in" button; after it, the check-in result in the scanner's
  words and colours (green, amber, red);
- a signed-in approved delegate of the badge's forum (contacts.queries.badge_card): the holder's card
  (names in both scripts, position, company, country, the company's B2B profile) and a "Save contact"
  form, posted to /b/<token>/contact; "This is your badge" on their own; and for a holder whose company
  did not consent to the directory, no more than anyone else sees;
- anyone else (anonymous, other forums' delegates and teams): only that the badge is valid for this forum,
  plus the holder's name and company when their company agreed to the participant directory, or that a
  team badge is one. A revoked, forged, unknown or not-approved badge is "not a valid badge", with no
  word on why (that would help a forger). Never indexed, never cached.

Why the check-in is a POST and not the GET itself: a GET must be safe to repeat and to fetch ahead. Link
previews, a browser's prefetch or prerender of a page it has seen, a reload, a back button — none of them
may admit a badge again or record a scan nobody made. The GET shows where the badge stands; the button
posts a nonce made when the page was drawn (check_in's idempotence key), so a double tap or a re-sent
form records one scan and answers as the first did. The answer is then shown by a redirect to
/b/<token>?scan=<nonce>, which reads that scan back: reloading the result records nothing.
"""
from __future__ import annotations

import secrets

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.attendance import scan as attendance_scan
from forum.attendance.forms import ScanConfirmForm as HeldForm
from forum.badges import lookup
from forum.checkin import messages, queries, services
from forum.contacts import queries as contact_queries
from forum.contacts import services as contact_services
from forum.contacts.forms import NoteForm
from forum.db import db
from forum.errors import InvalidInput, NotAllowed
from forum.extensions import limiter
from forum.teams.models import Permission
from forum.teams.permissions import has_permission, is_on_a_team

bp = Blueprint("badge_page", __name__)

DEVICE = "Badge page"  # the device label of the scans made from this page (the scanner's are named by staff)


def _limit() -> str:
    return current_app.config["RATELIMIT_BADGE_PAGE"]


def _team_member() -> bool:
    # Staff checking people in from their phone's camera share the venue's address with every delegate.
    return bool(current_user.is_authenticated and is_on_a_team(current_user))


def _private(response):
    """Nobody's search engine, nobody's cache: the page says who holds a badge."""
    response.headers["X-Robots-Tag"] = "noindex, nofollow, noarchive"
    response.headers["Cache-Control"] = "no-store, private"
    return response


def _page(template: str, status: int = 200, **context):
    return _private(current_app.make_response((render_template(template, **context), status)))


@bp.get("/b/<token>")
@limiter.limit(_limit, exempt_when=_team_member)
def show(token: str):
    found = lookup.find(token)
    if found is not None and has_permission(current_user, found.forum, Permission.CHECKIN):
        badge = found.badge
        scan = queries.own_scan(badge, request.args.get("scan"), current_user)
        return _page("badges/badge_page_staff.html", found=found, badge=badge, holder=services.describe(badge),
                     scan=scan, nonce="page-" + secrets.token_urlsafe(18), messages=messages)
    if found is None or not found.is_valid:
        return _page("badges/badge_page.html", 404, found=None)
    card = contact_queries.badge_card(current_user, found.badge)
    form = NoteForm(data={"note": card.contact.note if card and card.contact else ""})
    meeting = _scan_meeting(found, card)
    db.session.commit()  # the no-shows marked, the meeting confirmed (a refusal left nothing: a savepoint)
    return _public_page(found, card, form, meeting=meeting)


# Sec-Fetch-Site values under which opening the badge may confirm a meeting: typed or opened by a camera app
# (none, or no header from an older browser), or a link on our own pages. A link on another site must not make
# a signed-in delegate's browser confirm anything: it gets a button (a CSRF-protected POST) instead.
SCAN_EFFECT_SITES = (None, "", "none", "same-origin")


def _scan_meeting(found: lookup.Found, card: contact_queries.BadgeCard | None) -> attendance_scan.ScanResult | None:
    """A delegate opening the badge of someone they meet: the meeting in its window is confirmed as held
    (attendance.rules.confirm, via SCAN), or the card says when it is."""
    if card is None or card.is_own or found.badge.registration is None:
        return None
    allowed = request.headers.get("Sec-Fetch-Site") in SCAN_EFFECT_SITES
    return attendance_scan.on_badge_opened(card.owner, found.badge.registration, by=current_user, confirm=allowed)


def _public_page(found: lookup.Found, card: contact_queries.BadgeCard | None, form: NoteForm, status: int = 200,
                 meeting=None):
    return _page("badges/badge_page.html", status, found=found, badge=found.badge, messages=messages, card=card,
                 form=form, meeting=meeting, held_form=HeldForm(),
                 consented=found.badge.registration is not None and found.badge.registration.company.directory_consent)


@bp.post("/b/<token>/held")
@limiter.limit(_limit, exempt_when=_team_member)
@login_required
def confirm_held(token: str):
    """"Confirm the meeting" on the card (when the card was opened from another site, see SCAN_EFFECT_SITES)."""
    found = lookup.find(token)
    if found is None or not found.is_valid or found.badge.registration is None:
        abort(404)
    if not HeldForm().validate_on_submit():
        abort(400)
    owner = contact_services.owner_in(current_user, found.forum)
    if owner is None or contact_services.is_self(owner, found.badge.registration):
        abort(404)
    result = attendance_scan.on_badge_opened(owner, found.badge.registration, by=current_user, confirm=True)
    if result is None:
        abort(404)
    if result.error:
        flash(result.error, "error")
    db.session.commit()
    return redirect(url_for(".show", token=found.badge.token), 303)


@bp.post("/b/<token>")
def check_in(token: str):
    """The "Check in" button: one scan, recorded once per nonce, then the result page (see the module's doc)."""
    found = lookup.find(token)
    if found is None:
        abort(404)
    try:
        outcome = services.check_in(found.forum, token, by=current_user, device=DEVICE,
                                    nonce=request.form.get("nonce", ""))
    except NotAllowed:
        abort(403)
    except InvalidInput:
        abort(400)
    db.session.commit()
    return redirect(url_for(".show", token=found.badge.token, scan=outcome.scan.nonce), 303)


@bp.post("/b/<token>/contact")
@limiter.limit(_limit, exempt_when=_team_member)
@login_required
def save_contact(token: str):
    """The card's "Save contact" form: saves the holder in the viewer's contacts, or updates the note of the
    one saved before (contacts.services.save); then back to the card. A refusal says no more than the page."""
    found = lookup.find(token)
    if found is None or not found.is_valid:
        abort(404)
    form = NoteForm()
    if not form.validate_on_submit():
        abort(400)
    owner = contact_services.owner_in(current_user, found.forum)
    try:
        _contact, created = contact_services.save(owner, found.badge, form.note.data)
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except InvalidInput as e:
        db.session.rollback()
        form.note.errors = [e.message]
        return _public_page(found, contact_queries.badge_card(current_user, found.badge), form, 422)
    db.session.commit()
    flash(_("Saved in your contacts.") if created else _("The note is updated."), "success")
    return redirect(url_for(".show", token=found.badge.token), 303)
