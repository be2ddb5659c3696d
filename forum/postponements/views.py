"""A delegate's answer to a postponement, through the signed personal link in their e-mail (no sign-in)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("postponements", __name__, url_prefix="/postponed")
