"""The JSON API for scanning devices (Bearer device tokens, no cookies, no CSRF)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
