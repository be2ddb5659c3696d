"""The phone scanner page and the JSON endpoints it calls (session + CSRF)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("scanner", __name__, url_prefix="/manage/<slug>/scan")
