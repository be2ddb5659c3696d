"""The organizers' agenda PDFs: per delegate, per table (signs), per interpreter, the help desk's bundle."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("agendas_manage", __name__, url_prefix="/manage/<slug>/b2b/agendas")
