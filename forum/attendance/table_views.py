"""The table host's page, opened from the QR code on the table sheet (attendance.tokens): the table's meetings
now, and "Confirm held". No sign-in: the printed sheet is the key."""
from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("attendance_table", __name__, url_prefix="/b2b/table")


@bp.get("/<int:table_id>/<token>")
def sheet(table_id: int, token: str):
    abort(404)  # the table host's page: built with the rest of forum/attendance
