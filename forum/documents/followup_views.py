"""Follow-up (section 1): status, review dates, notes, the documents due for review."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("documents_followup", __name__, url_prefix="/manage/<slug>/documents")

