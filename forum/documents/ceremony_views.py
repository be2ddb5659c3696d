"""The signing ceremony (section 2): the order, the run-sheet PDF, the live view; the outcome report PDF."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("documents_ceremony", __name__, url_prefix="/manage/<slug>/documents")

