"""Domain errors carry a machine code (for the API and tests) and a message (for people)."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    status = 409

    def __init__(self, message: str, code: str = "error", field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.field = field


class InvalidInput(DomainError):
    status = 400


class InvalidState(DomainError):
    status = 409


class CapacityReached(DomainError):
    status = 409


class NotAllowed(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("Not possible right now"),
    413: _l("Too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong"),
}

EXPLANATIONS = {
    400: _l("The request could not be understood."),
    403: _l("You do not have permission to see this page."),
    404: _l("There is nothing at this address. Check the link, or start from the home page."),
    405: _l("This address does not accept that kind of request."),
    413: _l("What you sent is too large."),
    429: _l("Too many attempts in a short time. Please wait a few minutes and try again."),
    500: _l("The error has been logged. Please try again; if it keeps happening, contact the organizers."),
}


def _render(status: int, message: str | None = None, code: str | None = None):
    if _wants_json():
        return jsonify(error=code or str(status), message=str(message or EXPLANATIONS.get(status, ""))), status
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=TITLES.get(status, TITLES[500]),
            message=message or EXPLANATIONS.get(status, ""),
        ),
        status,
    )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(e: CSRFError):
        return _render(
            400,
            _l("This form has expired or did not come from this site. Go back, reload the page and submit it again."),
            "csrf",
        )

    @app.errorhandler(DomainError)
    def domain_error(e: DomainError):
        return _render(e.status, e.message, e.code)

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        status = e.code or 500
        body, status = _render(status, None, str(status))
        # A 405 says which methods the address takes (HTTP requires it; API clients read it).
        return body, status, [(k, v) for k, v in e.get_headers() if k == "Allow"]

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        from forum.extensions import db

        db.session.rollback()
        return _render(500)
