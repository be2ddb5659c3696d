"""The JSON API for scanning devices (Bearer device tokens, no cookies, no CSRF).

Every endpoint: authenticate the token (401), find the forum (404), check the token may act there (403),
validate the body with its schema (400, 413, 415), call one service, commit once, answer JSON. Errors are
JSON everywhere under /api/ (here, and forum/errors.py for what never reaches a view: an unknown address,
a wrong method), never an HTML page.
"""
from __future__ import annotations

import pydantic_core
from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, UnsupportedMediaType

from forum.api import schemas, tokens
from forum.api.auth import Unauthorized, authenticated, current_forum, current_token, www_authenticate
from forum.checkin import messages, offline
from forum.checkin.models import Result
from forum.api.openapi import document, operation
from forum.api.scanner_data import scanner_data as scanner_data_of
from forum.checkin import services as checkin
from forum.db import db
from forum.errors import EXPLANATIONS, DomainError, NotFound
from forum.extensions import csrf, limiter
from forum.forums.models import Forum

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Bearer tokens, never cookies: a page of another site cannot make a browser send one, so there is nothing
# for a CSRF token to protect.
csrf.exempt(bp)
# Sixteen devices at one door scan faster than any login limit allows; a token is 256 random bits, so there
# is nothing to guess by trying. No rate limit here, whatever defaults the site gets later.
limiter.exempt(bp)

# A check-in is a few hundred bytes; a code is at most what a QR code holds (schemas.CODE_MAX characters),
# which JSON may spell with 12 bytes each (a surrogate pair): any body the schema allows fits.
BODY_MAX = 128 * 1024


class InvalidBody(DomainError):
    status = 400

    def __init__(self, problems: list[schemas.Problem]) -> None:
        first = problems[0]
        super().__init__(first.message, code=first.code, field=first.field)
        self.problems = problems


def _json(model: BaseModel, status: int = 200, headers: dict | None = None) -> Response:
    return current_app.response_class(model.model_dump_json(exclude_none=isinstance(model, schemas.Error)),
                                      status=status, headers=headers, mimetype="application/json")


def _error(status: int, code: str, text: str, *, field: str | None = None,
           problems: list[schemas.Problem] | None = None, headers: dict | None = None) -> Response:
    return _json(schemas.Error(error=code, message=str(text), field=field, errors=problems), status, headers)


@bp.errorhandler(DomainError)
def _domain_error(e: DomainError) -> Response:
    headers = {"WWW-Authenticate": www_authenticate(e)} if isinstance(e, Unauthorized) else None
    return _error(e.status, e.code, e.message, field=e.field, problems=getattr(e, "problems", None), headers=headers)


HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large",
              415: "unsupported_media_type"}


@bp.errorhandler(HTTPException)
def _http_error(e: HTTPException) -> Response:
    status = e.code or 500
    headers = {k: v for k, v in e.get_headers() if k in ("Allow",)}
    if status == 413 and request.endpoint == "api.checkin_batch":  # refused by the body's length, unread
        return _domain_error(offline.too_large())
    return _error(status, HTTP_CODES.get(status, str(status)), e.description if status == 415 else
                  EXPLANATIONS.get(status, e.description or ""), headers=headers)


def _problem(err: dict) -> schemas.Problem:
    name = ".".join(str(part) for part in err["loc"]) or None
    kind = err["type"]
    if kind == "json_invalid":
        return schemas.Problem(code="invalid_json", message=_("The body is not valid JSON."))
    if name is None:
        return schemas.Problem(code="invalid_json", message=_("The body must be a JSON object."))
    if kind == "missing":
        return schemas.Problem(field=name, code="field_required", message=_("%(field)s is required.", field=name))
    if kind == "extra_forbidden":
        return schemas.Problem(field=name, code="field_unknown",
                               message=_("%(field)s is not a field of this request.", field=name))
    return schemas.Problem(field=name, code="field_invalid",
                           message=_("%(field)s is not valid: %(why)s", field=name, why=err["msg"]))


def _raw_body(limit: int = BODY_MAX, too_large: Exception | None = None) -> bytes:
    if not request.is_json:
        raise UnsupportedMediaType(_("Send the body as JSON, with Content-Type: application/json."))
    # Checked here rather than with request.max_content_length: the app's own check of every request for
    # NUL bytes has opened the body's stream (with the site's limit) before this blueprint is reached.
    if (request.content_length or 0) > limit:
        raise too_large or RequestEntityTooLarge()
    raw = request.get_data(cache=False)  # a body without a length: the site's MAX_CONTENT_LENGTH holds
    if len(raw) > limit:
        raise too_large or RequestEntityTooLarge()
    return raw


def _body(model: type[BaseModel]) -> BaseModel:
    raw = _raw_body()
    try:
        return model.model_validate_json(raw)
    except ValidationError as e:
        raise InvalidBody([_problem(err) for err in e.errors(include_url=False)]) from None


# The batch upload (issue 11) takes up to offline.BATCH_MAX scans of the largest size the item schema allows.
# Every character of a JSON string may be sent as a 6-byte \uXXXX escape (a code's character outside the BMP as
# a 12-byte surrogate pair), the keys too; plus the punctuation and some whitespace (pretty-printed) per item.
_ESCAPED = 6


def _string_bytes(chars: int, per_char: int = _ESCAPED) -> int:
    return 2 + chars * per_char


ITEM_WHITESPACE = 256
BATCH_ITEM_MAX = (
    _string_bytes(schemas.BATCH_CODE_MAX, 2 * _ESCAPED) + _string_bytes(checkin.NONCE_MAX)
    + 2 * _string_bytes(schemas.TIME_MAX) + _string_bytes(len("out"))
    + _string_bytes(max(len(r.value) for r in Result))
    + sum(_string_bytes(len(name)) + 2 for name in schemas.BatchItem.model_fields)  # "key": ... ,
    + 2 + ITEM_WHITESPACE)
BATCH_BODY_MAX = (offline.BATCH_MAX * BATCH_ITEM_MAX + _string_bytes(len("scans")) + _string_bytes(len("sent_at"))
                  + _string_bytes(schemas.TIME_MAX) + 1024)


@bp.url_value_preprocessor
def _allow_batch_sized_bodies(endpoint: str | None, values: dict | None) -> None:
    # Before anything reads the body (the app's NUL check does, with the site's 1 MiB limit): see
    # documents/scan_views.py, the same reason.
    if endpoint == "api.checkin_batch" and request.method == "POST":
        request.max_content_length = BATCH_BODY_MAX


def _item_problem(err: dict) -> tuple[str, str, str | None]:
    loc = [str(part) for part in err["loc"]]
    kind = err["type"]
    if not loc:
        return "item_invalid", _("A scan must be a JSON object."), None
    name = loc[0]
    if kind == "extra_forbidden":
        return "field_unknown", _("%(field)s is not a field of a scan.", field=name), name
    if kind == "missing":
        return f"{name}_required", _("%(field)s is required.", field=name), name
    return f"{name}_invalid", _("%(field)s is not valid: %(why)s", field=name, why=err["msg"]), name


def batch_item(raw: object) -> offline.Item | offline.Malformed:
    """One item of a batch, validated alone: a malformed one is answered with its first problem."""
    nonce = raw.get("nonce") if isinstance(raw, dict) else None
    nonce = nonce if isinstance(nonce, str) and len(nonce) <= checkin.NONCE_MAX else None
    try:
        item = schemas.BatchItem.model_validate(raw)
    except ValidationError as e:
        code, text, name = _item_problem(e.errors(include_url=False)[0])
        return offline.Malformed(code=code, message=text, field=name, nonce=nonce)
    return offline.Item(code=item.code, nonce=item.nonce, scanned_at=item.scanned_at, direction=item.direction,
                        synced_at=item.synced_at,
                        offline_status=item.offline_status.value if item.offline_status else None)


def _batch_body() -> tuple[list, object]:
    """The batch's outer shape: a bare array, or {"scans": [...], "sent_at": ...}; the items are left raw."""
    raw = _raw_body(BATCH_BODY_MAX, offline.too_large())
    try:
        body = pydantic_core.from_json(raw)
    except ValueError:
        raise InvalidBody([schemas.Problem(code="invalid_json", message=_("The body is not valid JSON."))]) from None
    if isinstance(body, list):
        return body, None
    if not isinstance(body, dict):
        raise InvalidBody([schemas.Problem(code="invalid_json", message=_(
            "The body must be a JSON array of scans, or an object with the scans in \"scans\"."))])
    try:
        envelope = schemas.BatchEnvelope.model_validate(body)
    except ValidationError as e:
        raise InvalidBody([_problem(err) for err in e.errors(include_url=False)]) from None
    return envelope.scans, envelope.sent_at


def _forum() -> Forum:
    """The forum of the route, loaded with the token (auth.authenticated), or 404."""
    forum = current_forum()
    if forum is None:
        raise NotFound(_("There is no forum at this address."), code="forum_not_found")
    return forum


@bp.get("/ping")
@operation("Is the server there?", response=schemas.Ping, tags=("status",),
           description="Answers without a token and without touching the database.")
def ping():
    return _json(schemas.Ping())


@bp.get("/openapi.json")
@operation("This document (OpenAPI 3.1)", response={"type": "object"}, tags=("status",))
def openapi_document():
    doc = current_app.extensions.get("forum_openapi")
    if doc is None:
        doc = current_app.extensions["forum_openapi"] = document(current_app)
    return current_app.json.response(doc)


@bp.post("/forums/<slug>/checkins")
@operation("Check a badge in or out", request=schemas.CheckinRequest, response=schemas.CheckinResponse,
           errors=(400, 403, 404, 413, 415), tags=("check-in",),
           description="Every scan is recorded, admitted or not, under the token's label as the device. The "
                       "answer is 200 whatever the result: `status` says it (`admitted` is true for ok).")
@authenticated
def checkin_scan(slug: str):
    token = current_token()
    forum = _forum()
    tokens.authorize(token, forum)
    body = _body(schemas.CheckinRequest)
    outcome = checkin.check_in(forum, body.code, by=token.user, device=token.label, nonce=body.nonce,
                               scanned_at=body.scanned_at, direction=body.direction, api_token_id=token.id)
    answer = schemas.CheckinResponse(
        status=outcome.status, message=messages.verdict(outcome, forum).message, admitted=outcome.admitted,
        direction=outcome.scan.direction, delegate=checkin.describe(outcome.badge),
        first_checked_in_at=outcome.first_checked_in_at,
        first_checked_in_device=outcome.first_checked_in_device if outcome.first_checked_in_at else None,
        replayed=outcome.replayed)
    db.session.commit()
    return _json(answer)


@bp.post("/token/revoke")
@operation("Revoke the token this request is made with", response=schemas.Revoked, errors=(), tags=("tokens",),
           description="A device ends its own token (a scanner's \"Forget this phone\"). From then on the token "
                       "is refused (401) like any revoked one; the forum's Devices page shows it revoked.")
@authenticated
def revoke_own_token():
    tokens.revoke_itself(current_token())
    db.session.commit()
    return _json(schemas.Revoked())


@bp.get("/forums/<slug>/scanner-data")
@operation("What an offline scanner needs", response=schemas.ScannerData, errors=(403, 404), tags=("check-in",),
           description="The forum's public key (to verify badge tokens), its revoked tokens, its approved "
                       "delegates, its team's badges and the live badges no longer approved, each with whether it "
                       "was inside and its first entry: what a scanner needs to decide offline as check-in would. "
                       "Badges approved delegates still lack are issued first.")
@authenticated
def scanner_data(slug: str):
    token = current_token()
    forum = _forum()
    tokens.authorize(token, forum)
    answer = schemas.ScannerData.model_validate(scanner_data_of(forum, by=token.user))
    db.session.commit()
    return _json(answer)


@bp.post("/forums/<slug>/checkins/batch")
@operation("Upload an offline scanner's queue", request=schemas.BatchRequest, response=schemas.BatchResponse,
           errors=(400, 403, 404, 413, 415), tags=("check-in",),
           description=f"Up to {offline.BATCH_MAX} queued scans, each recorded as a check-in with its device time "
                       "and flagged offline, in order; the answer has one result per item, in order. A malformed "
                       "item gets its `error` (and is never recorded) while the others are recorded. The same "
                       "nonce again records nothing new (`replayed`). `recorded: true` means the server has the "
                       "scan: only then may the device drop it from its queue. Conflicts the upload reveals "
                       "(duplicate_offline, revoked_after_sync, clock_skew) are listed per scan and on the "
                       "check-in dashboard. More items: 413 `batch_too_large`, nothing recorded.")
@authenticated
def checkin_batch(slug: str):
    token = current_token()
    forum = _forum()
    tokens.authorize(token, forum)
    raw_items, sent_at = _batch_body()
    offline.check_size(len(raw_items))
    done = offline.record_batch(forum, [batch_item(raw) for raw in raw_items], by=token.user, device=token.label,
                                api_token_id=token.id, sent_at=sent_at)
    answer = schemas.BatchResponse(results=[_batch_result(r, forum) for r in done.results],
                                   recorded=done.recorded, failed=done.failed, server_time=done.server_time)
    db.session.commit()
    return _json(answer)


def _batch_result(r: offline.ItemResult, forum: Forum) -> schemas.BatchResult:
    if r.error is not None:
        return schemas.BatchResult(index=r.index, nonce=r.nonce, recorded=False, error=schemas.ItemError(
            code=r.error.code, message=str(r.error.message), field=r.error.field))
    outcome = r.outcome
    return schemas.BatchResult(
        index=r.index, nonce=r.nonce, recorded=True, replayed=outcome.replayed, status=outcome.status,
        admitted=outcome.admitted, message=messages.verdict(outcome, forum).message,
        direction=outcome.scan.direction, delegate=checkin.describe(outcome.badge),
        first_checked_in_at=outcome.first_checked_in_at,
        first_checked_in_device=outcome.first_checked_in_device if outcome.first_checked_in_at else None,
        conflicts=list(r.conflicts))
