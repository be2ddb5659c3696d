"""The phone scanner page and the JSON endpoints it calls (session + CSRF token in the X-CSRFToken header).

- GET  /manage/<slug>/scan          the page (with ?q= a name search drawn by the server, for phones without JS)
- POST /manage/<slug>/scan          the page's form without JavaScript: a typed code, or a delegate from the search
- POST /manage/<slug>/scan/check    JSON {code | registration, nonce, direction, device} -> the verdict, as JSON
- GET  /manage/<slug>/scan/search   JSON: approved delegates matching ?q= (a tap sends their registration to /check)
- POST /manage/<slug>/scan/device-token  JSON {label, replaces?} -> a device token for this phone (offline mode),
  once; the token the phone held before (`replaces`: its secret) is revoked
- GET  /manage/<slug>/scan/sw.js    the service worker that keeps the page working offline (checkin.offline_app)
- GET  /manage/<slug>/scan/manifest.webmanifest   the web app manifest ("Add to home screen")

Every scan goes through checkin.services.check_in (a tap on a name through checkin.people.check_in_person,
which calls it with the delegate's live badge); what the answer says comes from checkin.messages.
"""
from __future__ import annotations

import uuid

from flask import Blueprint, current_app, flash, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forum.api import tokens
from forum.checkin import messages, offline_app, people, queries, services
from forum.checkin.forms import ScanForm
from forum.db import db
from forum.errors import DomainError, InvalidInput
from forum.forums.models import Forum
from forum.registration import choices
from forum.search import MAX_QUERY_CHARS
from forum.security import Permission, current_forum, forum_permission

bp = Blueprint("scanner", __name__, url_prefix="/manage/<slug>/scan")

FORM_FIELDS = ("code", "device", "direction")  # the fields of ScanForm a person sees (errors go next to them)


def _new_nonce() -> str:
    return uuid.uuid4().hex


def _code(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(_("Scan a badge or type its code."), code="code_required", field="code")
    return value


def _scan(forum: Forum, *, code: object, registration: object, nonce: object, device: object,
          direction: object) -> services.Outcome:
    """A scanned or typed code through check_in; a delegate picked from the name search through their badge."""
    if registration not in (None, ""):
        return people.check_in_person(forum, registration, by=current_user, device=device, nonce=nonce,
                                      direction=direction)
    return services.check_in(forum, _code(code), by=current_user, device=device, nonce=nonce, direction=direction)


def _arrivals(forum: Forum) -> dict:
    a = queries.arrivals(forum)
    return {"arrived": a.arrived, "expected": a.expected, "present": a.present,
            "text": messages.arrivals_text(a.arrived, a.expected)}


def _answer(forum: Forum, outcome: services.Outcome) -> dict:
    """The verdict as the page shows it and the JSON gives it."""
    return {**messages.verdict(outcome, forum).as_dict(), "replayed": outcome.replayed,
            "delegate": messages.delegate_shown(outcome.badge), "arrivals": _arrivals(forum)}


def _person(p: people.Person) -> dict:
    return {"registration": p.registration, "full_name": p.full_name, "latin_name": p.latin_name,
            "position": p.position, "company": p.company, "company_latin": p.company_latin, "country": p.country,
            "country_name": choices.country_name(p.country) if p.country else "",
            "category": p.category, "category_label": messages.category_label(p.category),
            "inside": p.inside, "arrived": p.arrived,
            "presence": _("Inside") if p.inside else _("Arrived, now outside") if p.arrived else _("Not arrived yet")}


def _search(forum: Forum, q: str) -> dict:
    q = q[:MAX_QUERY_CHARS]
    found, more = people.find(forum, q)
    too_short = bool(q.strip()) and not people.long_enough(q)
    if too_short:
        message = _("Type at least three letters of the name (two Japanese characters).")
    elif q.strip() and not found:
        message = _("No approved delegate matches “%(q)s”.", q=q.strip())
    elif more:
        message = _("Only the first %(n)d matches are shown: type more of the name.", n=len(found))
    else:
        message = ""
    return {"query": q, "results": [_person(p) for p in found], "more": more, "too_short": too_short,
            "message": message}


def _render(forum: Forum, form: ScanForm, *, answer: dict | None = None, status: int = 200):
    q = request.args.get("q", "")
    search = _search(forum, q) if q.strip() else None
    return render_template("checkin/scanner.html", forum=forum, form=form, answer=answer, search=search, q=q,
                           arrivals=answer["arrivals"] if answer else _arrivals(forum),
                           new_nonce=_new_nonce, words=offline_app.words(forum)), status


def _fresh_form(device: str = "", direction: str = "in") -> ScanForm:
    return ScanForm(formdata=None, nonce=_new_nonce(), device=device[:services.DEVICE_MAX],
                    direction=direction if direction in ("in", "out") else "in")


@bp.get("")
@forum_permission(Permission.CHECKIN)
def page(slug: str):
    return _render(current_forum(), _fresh_form(request.args.get("device", ""), request.args.get("direction", "in")))


@bp.post("")
@forum_permission(Permission.CHECKIN)
def manual(slug: str):
    """The form without JavaScript: the verdict drawn by the server, in the same words as the JSON's."""
    forum = current_forum()
    form = ScanForm()
    if not form.validate():
        return _render(forum, form, status=422)
    try:
        outcome = _scan(forum, code=form.code.data, registration=form.registration.data, nonce=form.nonce.data,
                        device=form.device.data, direction=form.direction.data)
    except DomainError as e:
        db.session.rollback()
        if e.field in FORM_FIELDS:
            getattr(form, e.field).errors = [e.message]
            return _render(forum, form, status=422)
        flash(e.message, "error")
        return _render(forum, form, status=e.status)
    answer = _answer(forum, outcome)
    db.session.commit()
    return _render(forum, _fresh_form(form.device.data or "", form.direction.data or "in"), answer=answer)


def _json_error(e: DomainError):
    return jsonify(error=e.code, field=e.field, message=str(e.message)), e.status


@bp.post("/check")
@forum_permission(Permission.CHECKIN)
def check(slug: str):
    forum = current_forum()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _json_error(InvalidInput(_("The scan must be sent as a JSON object."), code="invalid_json"))
    try:
        outcome = _scan(forum, code=data.get("code"), registration=data.get("registration"), nonce=data.get("nonce"),
                        device=data.get("device"), direction=data.get("direction", "in"))
    except DomainError as e:
        db.session.rollback()
        return _json_error(e)
    answer = _answer(forum, outcome)
    db.session.commit()
    return jsonify(answer)


@bp.get("/search")
@forum_permission(Permission.CHECKIN)
def search(slug: str):
    return jsonify(_search(current_forum(), request.args.get("q", "")))


@bp.post("/device-token")
@forum_permission(Permission.CHECKIN)
def device_token(slug: str):
    """Offline mode on this phone: a device token for the signed-in member, limited to this forum, labelled
    with the phone's name. The secret is in this answer only; the page keeps it (IndexedDB)."""
    forum = current_forum()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _json_error(InvalidInput(_("The request must be a JSON object."), code="invalid_json"))
    try:
        new = tokens.create_for_own_scanner(current_user, forum=forum, label=data.get("label"),
                                            replaces=data.get("replaces"))
    except DomainError as e:
        db.session.rollback()
        return _json_error(e)
    db.session.commit()
    return jsonify(secret=new.secret, token_id=new.token.id, label=new.token.label, prefix=new.token.prefix,
                   user_id=current_user.id), 201


@bp.get("/sw.js")
@forum_permission(Permission.CHECKIN)
def service_worker(slug: str):
    """The worker's scope is the scanner page itself (/manage/<slug>/scan, one level above this file's own
    folder, hence Service-Worker-Allowed). no-cache: the browser asks for it again on every visit, so a
    deploy reaches the phones."""
    forum = current_forum()
    body = render_template(offline_app.WORKER_TEMPLATE, version=offline_app.version(),
                           page=url_for("scanner.page", slug=forum.slug),
                           files=[url_for("static", filename=name) for name in offline_app.static_files()])
    return current_app.response_class(body, mimetype="text/javascript", headers={
        "Cache-Control": "no-cache", "Service-Worker-Allowed": url_for("scanner.page", slug=forum.slug)})


@bp.get("/manifest.webmanifest")
@forum_permission(Permission.CHECKIN)
def manifest(slug: str):
    return current_app.response_class(current_app.json.dumps(offline_app.manifest(current_forum())),
                                      mimetype="application/manifest+json")
