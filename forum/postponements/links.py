"""The personal link of one PostponementReply: signed, single-person, and answering only until answer_by.

The token carries the reply's id and the registration's public id, signed with the app's secret under its own
salt; its timestamp is read against forum.clock, like every other time in the app. Two limits apply: the
signature is refused after LINK_MAX_AGE (a ceiling whatever the organizer chose), and the postponement's
answer_by closes the answers.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from forum import clock
from forum.db import db
from forum.postponements.models import Postponement, PostponementReply
from forum.urls import external_url

SALT = "forum.postponement-reply"
LINK_MAX_AGE = 400 * 24 * 3600  # seconds; config POSTPONEMENT_LINK_MAX_AGE overrides


class _ClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=_ClockSigner)


def token_for(reply: PostponementReply) -> str:
    return _serializer().dumps({"r": reply.id, "p": reply.registration.public_id})


def link_for(reply: PostponementReply) -> str:
    return external_url("postponements.reply", token=token_for(reply))


@dataclass
class Found:
    """What a link points at, and whether it may still be answered."""

    reply: PostponementReply | None
    status: str  # "ok", "invalid" (404), "expired", "replaced" (410)


def find(token: str) -> Found:
    """The reply a link names, or why it names none; never another person's reply."""
    max_age = current_app.config.get("POSTPONEMENT_LINK_MAX_AGE", LINK_MAX_AGE)
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        return Found(None, "expired")
    except BadSignature:
        return Found(None, "invalid")
    if not (isinstance(data, dict) and isinstance(data.get("r"), int) and isinstance(data.get("p"), str)):
        return Found(None, "invalid")
    reply = db.session.get(PostponementReply, data["r"])
    if reply is None or reply.registration.public_id != data["p"]:
        return Found(None, "invalid")
    latest = latest_of(reply.postponement.forum_id)
    if latest is not None and latest.id != reply.postponement_id:
        return Found(reply, "replaced")
    if clock.now() > reply.postponement.answer_by:
        return Found(reply, "expired")
    return Found(reply, "ok")


def latest_of(forum_id: int) -> Postponement | None:
    import sqlalchemy as sa

    return db.session.scalars(sa.select(Postponement).where(Postponement.forum_id == forum_id)
                              .order_by(Postponement.created_at.desc(), Postponement.id.desc()).limit(1)).first()
