"""Recording a document (section 1): the form, editing, withdrawing, the signatory picker."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("documents_record", __name__, url_prefix="/manage/<slug>/documents")

