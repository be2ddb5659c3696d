"""Device tokens in the web UI: create (shown once) and revoke."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api_tokens", __name__, url_prefix="/manage/<slug>/devices")
