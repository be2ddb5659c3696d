"""Badges for the badge desk (PDF batches, reissue, revoke) and each delegate's own badge and e-badge page."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("badges", __name__, url_prefix="/manage/<slug>/badges")
