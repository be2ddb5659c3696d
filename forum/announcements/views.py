"""Messages to registrants (/manage/<slug>/messages): compose, preview as a recipient, send, the log."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("announcements", __name__, url_prefix="/manage/<slug>/messages")
