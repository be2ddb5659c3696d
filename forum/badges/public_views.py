"""The page a badge's QR code opens: /b/<token>."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("badge_page", __name__)
