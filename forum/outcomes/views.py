"""A delegate records the outcome of their meetings."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("outcomes", __name__, url_prefix="/forums/<slug>/b2b/outcomes")
