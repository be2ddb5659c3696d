"""A delegate's agenda: the phone page, its PDF and ICS, the private calendar URL (issue 12)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("agendas", __name__, url_prefix="/forums/<slug>/b2b/agenda")
