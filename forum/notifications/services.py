"""Queue e-mail in the recipient's language, in the caller's transaction. Nothing is sent here."""
from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import force_locale

from forum.db import db
from forum.notifications.models import OutboxMessage


def queue(template: str, *, to: str, to_name: str = "", language: str = "en", forum_id: int | None = None,
          attachments: list[dict] | None = None, **context: Any) -> OutboxMessage:
    """Render templates/mail/<template>.txt (first line 'Subject: ...') and its HTML twin into the outbox.

    `to_name` is the person's name as they wrote it, for the To header ("Әлия Нұрланқызы <a@b.kz>").
    `attachments`: text files sent with it, each {"filename", "content_type", "text"} (a calendar: content_type
    "text/calendar; method=PUBLISH").
    """
    with force_locale(language or "en"):
        text = render_template(f"mail/{template}.txt", **context)
        subject_line, _, body = text.partition("\n")
        subject = subject_line.removeprefix("Subject:").strip()
        html = render_template("mail/_layout.html", subject=subject, body=body.strip(), **context)
    msg = OutboxMessage(
        template=template, to_addr=to, to_name=(to_name or "")[:200], language=language or "en", subject=subject,
        body_text=body.strip() + "\n", body_html=html, forum_id=forum_id,
        attachments=[dict(a) for a in attachments] if attachments else None,
    )
    db.session.add(msg)
    return msg
