"""The table sheet's QR code: a URL that lets whoever holds the printed sheet of one table (its host) confirm
that table's meetings. The token is an HMAC of the table under the app's SECRET_KEY, so nothing is stored;
it stays valid while the table exists (print the sheets again after rotating SECRET_KEY)."""
from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app

from forum.meetings.models import MeetingTable
from forum.urls import external_url

TOKEN_LENGTH = 22  # 132 bits of the HMAC, base64url


def table_token(table: MeetingTable) -> str:
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    digest = hmac.new(key, f"b2b-table:{table.forum_id}:{table.id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:TOKEN_LENGTH]


def token_matches(table: MeetingTable, token: str) -> bool:
    return isinstance(token, str) and hmac.compare_digest(table_token(table).encode(), token.encode("utf-8", "replace"))


def table_url(table: MeetingTable) -> str:
    """The absolute URL printed as the table sheet's QR code (attendance.table_views)."""
    return external_url("attendance_table.sheet", table_ref=str(table.id), token=table_token(table))
