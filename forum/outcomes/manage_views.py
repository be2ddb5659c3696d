"""The organizers' results: the funnel by country pair and by sector, CSV and XLSX."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("outcomes_manage", __name__, url_prefix="/manage/<slug>/b2b/results")
