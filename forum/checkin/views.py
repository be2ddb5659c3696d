"""The check-in dashboard."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("checkin", __name__, url_prefix="/manage/<slug>/checkin")
