"""A delegate's saved contacts: "My contacts" (list, search, note, export as vCard or CSV)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("contacts", __name__, url_prefix="/forums/<slug>/contacts")
