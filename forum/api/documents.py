"""The documents register in the JSON API (issue 10): GET /api/v1/forums/<slug>/documents.

Its routes join the API blueprint of forum/api/views.py (imported by the factory before registration)."""
from __future__ import annotations

from forum.api.views import bp  # noqa: F401
