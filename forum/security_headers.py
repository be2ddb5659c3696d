"""The security headers of every response, in one place (registered by the factory).

The Content-Security-Policy allows only the app's own files: no inline <script>, no on...= handler,
no style="..." attribute, nothing from another site (the venue network may be closed anyway). Page
behaviour lives in forum/static/js/, styles in forum/static/css/. Mail HTML (templates/mail/) is not
served as a page and is not bound by this.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, request

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    # data: for Bootstrap's inline SVG icons in its CSS (select arrows, checkboxes) and the empty favicon.
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "X-Content-Type-Options": "nosniff",
    # Password links carry their token in the path: never send it to another site. Not "no-referrer":
    # over HTTPS Flask-WTF checks that a form post's Referer is a page of this site.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("ENV_NAME") == "production" and current_app.config.get("STRICT_TRANSPORT_SECURITY"):
        response.headers.setdefault("Strict-Transport-Security", current_app.config["STRICT_TRANSPORT_SECURITY"])
    if request.endpoint != "static" and "Cache-Control" not in response.headers:
        # Pages are made for one person: their registrations, the organizer's lists and exports, a
        # registration's confirmation. None may stay in a shared computer's cache or a proxy's, and
        # marking every page is simpler than remembering each personal one. Static files stay cached.
        response.headers["Cache-Control"] = "no-store"
    return response
