"""Delegates booking a walk-in meeting at a free table themselves."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("walk_ins", __name__, url_prefix="/forums/<slug>/b2b/walk-in")
