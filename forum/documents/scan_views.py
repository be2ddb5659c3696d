"""Signed copies (section 1): upload, download, and the verify box."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("documents_scans", __name__, url_prefix="/manage/<slug>/documents")

