"""Postponing a forum (/manage/<slug>/postpone) and who still comes (/manage/<slug>/postponement)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("postponements_manage", __name__, url_prefix="/manage/<slug>")
