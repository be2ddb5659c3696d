"""The private calendar subscription URL: no sign-in, the token in the URL is the key."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("agenda_calendar", __name__, url_prefix="/calendar")
