"""A delegate's own agenda as a PDF (the organizers' PDFs are in manage_views.py)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("agenda_pdf", __name__, url_prefix="/forums/<slug>/b2b/agenda")
