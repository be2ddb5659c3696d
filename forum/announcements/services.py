"""Messages to registrants: the draft (texts per language and a filter), the e-mail one recipient gets, sending it
once to everyone the filter reaches, and sending again what failed.

Each recipient's text is chosen with the one fallback rule (forums.content: their language -> Russian for kk/uz ->
English -> any filled), over the languages that have both a subject and a body, so a subject and its body are
always of one language. The footer is in the recipient's own language (the mail is rendered in it).
"""
from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import ngettext

from forum import clock, languages
from forum.accounts.models import User
from forum.announcements import targeting
from forum.announcements.models import Announcement, AnnouncementRecipient
from forum.audit import services as audit
from forum.db import db
from forum.errors import InvalidInput, InvalidState
from forum.forums import content
from forum.forums.models import Forum
from forum.notifications import services as mail
from forum.notifications.models import MailStatus, OutboxMessage
from forum.registration import states
from forum.teams import permissions
from forum.teams.models import Permission
from forum.text import LINE_BREAKS
from forum.urls import external_url

SUBJECT_MAX = 200
BODY_MAX = 20_000
TEMPLATE = "announcement"


class ComposeError(InvalidInput):
    """Several field errors at once ({field: message}, fields subject_<lang> / body_<lang>); nothing was saved."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_("Please correct the marked fields."), code="invalid_message", field=next(iter(errors)))
        self.errors = errors


def _controls(text: str, allowed: frozenset[str] = frozenset()) -> bool:
    return any(unicodedata.category(c) == "Cc" and c not in allowed for c in text)


def clean_texts(subjects: dict[str, str | None], bodies: dict[str, str | None]) -> tuple[dict[str, str],
                                                                                          dict[str, str]]:
    """The texts as stored (NFC, trimmed, \\n line breaks; only the languages written), or ComposeError."""
    errors: dict[str, str] = {}
    out_s: dict[str, str] = {}
    out_b: dict[str, str] = {}
    for code in languages.CODES:
        raw_s, raw_b = subjects.get(code), bodies.get(code)
        subject = unicodedata.normalize("NFC", raw_s if isinstance(raw_s, str) else "").strip()
        body = unicodedata.normalize("NFC", raw_b if isinstance(raw_b, str) else "")
        body = body.replace("\r\n", "\n").replace("\r", "\n").strip()
        s_field, b_field = f"subject_{code}", f"body_{code}"
        if any(c in LINE_BREAKS for c in subject):
            errors[s_field] = _("Write the subject on one line.")
        elif _controls(subject):
            errors[s_field] = _("Remove the invisible control characters from this text.")
        elif len(subject) > SUBJECT_MAX:
            errors[s_field] = _("At most %(n)d characters (this text has %(count)d).", n=SUBJECT_MAX,
                                count=len(subject))
        if _controls(body, frozenset("\n\t")):
            errors[b_field] = _("Remove the invisible control characters from this text.")
        elif len(body) > BODY_MAX:
            errors[b_field] = _("At most %(n)d characters (this text has %(count)d).", n=BODY_MAX, count=len(body))
        if subject and not body and b_field not in errors:
            errors[b_field] = _("Write the message in this language too, or remove its subject.")
        if body and not subject and s_field not in errors:
            errors[s_field] = _("Give the message in this language a subject, or remove it.")
        if subject:
            out_s[code] = subject
        if body:
            out_b[code] = body
    if not errors and not out_s:
        errors[f"subject_{languages.DEFAULT}"] = _("Write a subject and a message in at least one language.")
    if errors:
        raise ComposeError(errors)
    return out_s, out_b


def _lock(ann: Announcement) -> Forum:
    """The forum's lock, then the announcement as it is now: a send, an edit and a delete queue behind each other."""
    forum = states.lock_forum(ann.forum_id)
    db.session.refresh(ann)
    return forum


def _not_sent(ann: Announcement) -> None:
    if ann.is_sent:
        raise InvalidState(_("This message has already been sent."), code="already_sent")


def save_draft(forum: Forum, *, subjects: dict, bodies: dict, flt: targeting.Filter, by: User,
               announcement: Announcement | None = None) -> Announcement:
    """Create or change a draft. Raises ComposeError (nothing saved) or InvalidState once it is sent."""
    permissions.require(by, forum, Permission.MANAGE)
    subjects, bodies = clean_texts(subjects, bodies)
    if announcement is None:
        announcement = Announcement(forum_id=forum.id, created_by_id=by.id if by.is_authenticated else None)
        db.session.add(announcement)
    else:
        if announcement.forum_id != forum.id:
            raise InvalidState(_("This message belongs to another forum."), code="other_forum")
        _lock(announcement)
        _not_sent(announcement)
    announcement.subjects, announcement.bodies, announcement.filters = subjects, bodies, flt.as_dict()
    db.session.flush()
    return announcement


def delete_draft(ann: Announcement, *, by: User) -> None:
    permissions.require(by, ann.forum_id, Permission.MANAGE)
    _lock(ann)
    _not_sent(ann)
    audit.record(subject_type="announcement", subject_id=ann.id, action="draft_deleted", actor=by,
                 forum_id=ann.forum_id, languages=sorted(ann.subjects))
    db.session.delete(ann)
    db.session.flush()


# --- the e-mail one recipient gets --------------------------------------------------------------

def complete_languages(ann: Announcement) -> dict[str, str]:
    """{language: subject} of the languages with both a subject and a body: those a recipient may get."""
    return {code: s for code, s in (ann.subjects or {}).items()
            if (s or "").strip() and ((ann.bodies or {}).get(code) or "").strip()}


@dataclass(frozen=True)
class Letter:
    recipient: targeting.Recipient
    text_language: str  # the language of the subject and body they get
    subject: str
    body: str  # the whole text body, footer included

    @property
    def is_fallback(self) -> bool:
        return self.text_language != self.recipient.language


def _text_for(ann: Announcement, r: targeting.Recipient) -> tuple[str, str, str]:
    """(text language, subject, body) for this recipient: content.pick over the complete languages."""
    subjects = complete_languages(ann)
    lang = content.picked_language(subjects, r.language)
    if lang is None:
        raise InvalidState(_("The message has no text yet."), code="no_text")
    bodies = {code: ann.bodies[code] for code in subjects}
    return lang, content.pick(subjects, lang), content.pick(bodies, lang)


def _context(forum: Forum, subject: str, body: str) -> dict:
    # Not "subject"/"body": the HTML layout takes those (the whole mail's).
    return {"forum": forum, "message_subject": subject, "message_body": body,
            "link": external_url("forums.detail", slug=forum.slug)}


def letter(ann: Announcement, r: targeting.Recipient) -> Letter:
    """Exactly what `send` queues for this recipient (the same template in the same language)."""
    lang, subject, body = _text_for(ann, r)
    with force_locale(r.language):
        text = render_template(f"mail/{TEMPLATE}.txt", **_context(ann.forum, subject, body))
    subject_line, _nl, rest = text.partition("\n")
    return Letter(recipient=r, text_language=lang, subject=subject_line.removeprefix("Subject:").strip(),
                  body=rest.strip() + "\n")


# --- sending ------------------------------------------------------------------------------------

@dataclass
class Sent:
    total: int = 0
    by_language: list[tuple[str, int]] = field(default_factory=list)


def send(ann: Announcement, *, confirmed: bool, by: User, expected: int | None = None,
         now: datetime | None = None) -> Sent:
    """Queue one e-mail per person the filter reaches now, in their language, in this transaction; once.

    Under the forum's lock: a second send (another tab, another organizer) waits, then finds it sent.
    `expected`: the number the organizer confirmed ("send to N people"); when the filter reaches another number
    by now (someone registered or checked in meanwhile), nothing is sent and they confirm again.
    """
    permissions.require(by, ann.forum_id, Permission.MANAGE)
    if not confirmed:
        raise InvalidInput(_("Tick the box to confirm the sending."), code="not_confirmed", field="confirm")
    forum = _lock(ann)
    _not_sent(ann)
    if not complete_languages(ann):
        raise InvalidState(_("The message has no text yet."), code="no_text")
    people = targeting.recipients(forum.id, targeting.Filter.from_dict(ann.filters))
    if not people:
        raise InvalidState(_("Nobody matches the filter: there is no one to send it to."), code="no_recipients")
    if expected is not None and expected != len(people):
        raise InvalidState(ngettext("The message now reaches %(num)d person, not %(expected)d: check and confirm "
                                    "again.", "The message now reaches %(num)d people, not %(expected)d: check and "
                                    "confirm again.", len(people), expected=expected), code="reach_changed")
    now = now or clock.now()
    langs: Counter = Counter()
    text_langs: Counter = Counter()
    for r in people:
        lang, subject, body = _text_for(ann, r)
        msg = mail.queue(TEMPLATE, to=r.email, to_name=r.name, language=r.language, forum_id=forum.id,
                         **_context(forum, subject, body))
        db.session.add(AnnouncementRecipient(announcement=ann, registration_id=r.registration_id, email=r.email,
                                             name=r.name[:200], language=r.language, text_language=lang,
                                             outbox=msg))
        langs[r.language] += 1
        text_langs[lang] += 1
    ann.sent_at, ann.sent_by_id, ann.recipients_count = now, by.id if by.is_authenticated else None, len(people)
    db.session.flush()  # the unique (announcement, address) constraint is the last guard
    done = Sent(total=len(people), by_language=targeting.count_by_language(langs))
    audit.record(subject_type="announcement", subject_id=ann.id, action="sent", actor=by, forum_id=forum.id,
                 people=done.total, by_language=dict(done.by_language), text_languages=dict(text_langs))
    return done


def resend_failed(ann: Announcement, *, confirmed: bool, by: User, now: datetime | None = None) -> int:
    """A new outbox message, with the same text, for each recipient whose latest delivery FAILED; returns how many.

    The others (queued, sending, sent) are left alone. The recipient row points to the new message.
    """
    permissions.require(by, ann.forum_id, Permission.MANAGE)
    if not confirmed:
        raise InvalidInput(_("Tick the box to confirm sending again."), code="not_confirmed", field="confirm")
    _lock(ann)
    if not ann.is_sent:
        raise InvalidState(_("This message has not been sent yet."), code="not_sent")
    now = now or clock.now()
    failed = list(db.session.scalars(
        sa.select(AnnouncementRecipient).join(AnnouncementRecipient.outbox)
        .where(AnnouncementRecipient.announcement_id == ann.id, OutboxMessage.status == MailStatus.FAILED)
        .order_by(AnnouncementRecipient.id)))
    langs: Counter = Counter()
    for rec in failed:
        old = rec.outbox
        new = OutboxMessage(template=old.template, to_addr=old.to_addr, to_name=old.to_name, language=old.language,
                            subject=old.subject, body_text=old.body_text, body_html=old.body_html,
                            forum_id=old.forum_id, attachments=old.attachments)
        db.session.add(new)
        rec.outbox = new
        rec.resent_count += 1
        rec.last_resent_at = now
        langs[rec.language] += 1
    db.session.flush()
    if failed:
        audit.record(subject_type="announcement", subject_id=ann.id, action="resent", actor=by,
                     forum_id=ann.forum_id, people=len(failed), by_language=dict(targeting.count_by_language(langs)),
                     recipients=[rec.id for rec in failed])
    return len(failed)


__all__ = ["SUBJECT_MAX", "BODY_MAX", "ComposeError", "clean_texts", "save_draft", "delete_draft",
           "complete_languages", "Letter", "letter", "Sent", "send", "resend_failed"]
