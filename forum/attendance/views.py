"""The organizers' live board of the B2B meetings: now, held / waiting / no-show per table, free tables, walk-ins."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("attendance", __name__, url_prefix="/manage/<slug>/b2b/live")
