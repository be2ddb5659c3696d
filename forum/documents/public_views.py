"""The public page of a forum's documents (section 3): the tally, by country pair and by sector, the list of
public documents, and the counting rules."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("public_documents", __name__, url_prefix="/forums/<slug>/documents")

