"""Device tokens: every rule about the secrets scanning devices send as `Authorization: Bearer <token>`.

- A token belongs to one user and acts with that user's permissions, forum by forum; it may be limited to
  one forum (`forum_id`), and the web UI makes only such tokens. It is made only for a user who may check
  in on that forum (on some forum, for an unlimited one).
- The secret is `fdt_` + 43 URL-safe characters (256 random bits). Only its SHA-256 is stored, so looking
  a token up by the hash of what was sent is the comparison: nothing secret is compared character by
  character, and a stolen database holds no usable token. The first characters (`prefix`) are kept to
  recognise a token in a list.
- Revoking is for ever; a disabled account's tokens stop working with it (and work again if the account
  is enabled again, as its password does).
- Creating and revoking are audited; using a token is not (the scans record `api_token_id`), and
  `last_used_at` moves at most once a minute, so that sixteen devices do not queue on one row.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, lazyload

from forum import clock
from forum.accounts.models import User
from forum.api.models import ApiToken
from forum.audit import services as audit
from forum.badges.models import ForumKey
from forum.db import db, nfc, too_long
from forum.errors import InvalidInput, InvalidState, NotAllowed, NotFound
from forum.forums.models import Forum
from forum.teams import permissions
from forum.teams.models import Permission, TeamMember

SCHEME = "fdt_"  # "forum device token": recognisable in a config file, a log or a secret scanner's rules
SECRET_BYTES = 32
PREFIX_CHARS = 12  # what lists show: the scheme and 8 characters of the secret (the column holds 12)
SECRET_MAX = 200  # anything longer sent as a token is not one (no hashing of megabytes)
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, to whoever made it; never stored


@dataclass(frozen=True)
class Listed:
    token: ApiToken
    can_scan: bool  # whether its user may check in on the forum of the list right now
    reads_documents: bool = False  # whether it may read the forum's whole documents register through the API


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _clean_label(label: object) -> str:
    if not isinstance(label, str) or not (label := nfc(label) or ""):
        raise InvalidInput(_("Give the device a name, e.g. \"Gate 1\": scans show it."), code="label_required",
                           field="label")
    if not label.isprintable():
        raise InvalidInput(_("The name cannot contain control characters."), code="label_invalid", field="label")
    if limit := too_long(ApiToken.label, label):
        raise InvalidInput(_("At most %(n)d characters.", n=limit), code="label_too_long", field="label")
    return label


def may_scan_somewhere(user: User) -> bool:
    if user.is_admin:
        return True
    return bool(db.session.scalar(sa.select(sa.exists().where(
        TeamMember.user_id == user.id, sa.or_(TeamMember.checkin, TeamMember.manage)))))


def create(user: User, *, label: str, forum: Forum | None, by: User | None, now: datetime | None = None,
           known_secret: str | None = None) -> NewToken:
    """A new token for `user`, limited to `forum` (None: every forum where the user may check in).

    `known_secret`: only for `forum demo`, whose device token is published like its passwords (so that
    `make run` can print it every time); never from a form or the API.

    `by` None is the operator at the command line; in the web a forum manager makes tokens for their forum
    only (an unlimited token would reach forums they do not manage: administrators only)."""
    if by is not None:
        if forum is None:
            permissions.require_admin(by)
        else:
            permissions.require(by, forum, Permission.MANAGE)
    return _made(user, label=label, forum=forum, by=by, now=now, known_secret=known_secret)


def create_for_own_scanner(user: User, *, forum: Forum, label: str, replaces: object = None,
                           now: datetime | None = None) -> NewToken:
    """The scanner page's offline mode: a check-in member makes a token for their own phone, limited to this
    forum (never for someone else, never unlimited). Audited and listed on the Devices page like any other,
    where a manager revokes it.

    `replaces` is the secret of the token this phone held until now (the phone was renamed, or another member
    signed in on it): that token, if it is a live token of this forum, is revoked in the same transaction, so a
    phone never leaves a live token behind it. Holding the secret is the right to use it, so it is the right to
    end it too, whoever's it was; anything else sent there is ignored."""
    permissions.require(user, forum, Permission.CHECKIN)
    new = _made(user, label=label, forum=forum, by=user, now=now)
    old = _held(replaces)
    if old is not None and old.id != new.token.id and old.revoked_at is None and old.forum_id == forum.id:
        old.revoked_at, old.revoked_by_id = now or clock.now(), user.id
        db.session.flush()
        audit.record(subject_type="api_token", subject_id=old.id, action="api_token_revoked", actor=user,
                     forum_id=forum.id, label=old.label, prefix=old.prefix, replaced_by=new.token.id)
    return new


def revoke_itself(token: ApiToken, *, now: datetime | None = None) -> None:
    """A device ends its own token ("Forget this phone"): whoever holds the secret may stop it. Audited as
    revoked by the token's user."""
    if token.revoked_at is not None:
        raise InvalidState(_("This device token was revoked already."), code="token_revoked")
    token.revoked_at, token.revoked_by_id = now or clock.now(), token.user_id
    db.session.flush()
    audit.record(subject_type="api_token", subject_id=token.id, action="api_token_revoked", actor=token.user,
                 forum_id=token.forum_id, label=token.label, prefix=token.prefix, by_itself=True)


def _held(secret: object) -> ApiToken | None:
    if not isinstance(secret, str) or not secret or len(secret) > SECRET_MAX or not secret.isascii():
        return None
    return db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest(secret)))


def _made(user: User, *, label: str, forum: Forum | None, by: User | None, now: datetime | None,
          known_secret: str | None = None) -> NewToken:
    label = _clean_label(label)
    if not user.active:
        raise InvalidInput(_("This account is disabled: its tokens would not work."), code="user_disabled",
                           field="user")
    # A forum's token serves the door (check-in) or the documents register's API (the documents permission);
    # a token for every forum is for check-in only.
    if not ((permissions.has_permission(user, forum, Permission.CHECKIN)
             or permissions.has_permission(user, forum, Permission.DOCUMENTS)) if forum is not None
            else may_scan_somewhere(user)):
        raise InvalidInput(_("%(name)s may not use a device token here: give them the check-in or the documents "
                             "permission on the forum's team first.", name=user.display_name),
                           code="no_checkin_permission", field="user")
    secret = SCHEME + secrets.token_urlsafe(SECRET_BYTES)
    if known_secret is not None:
        if not known_secret.startswith(SCHEME) or len(known_secret) < len(secret) or not known_secret.isascii():
            raise ValueError("a device token is fdt_ and at least 43 more ASCII characters")
        secret = known_secret
    token = ApiToken(user_id=user.id, forum_id=forum.id if forum else None, label=label, token_hash=digest(secret),
                     prefix=secret[:PREFIX_CHARS], created_at=now or clock.now(), created_by_id=by.id if by else None)
    db.session.add(token)
    db.session.flush()
    audit.record(subject_type="api_token", subject_id=token.id, action="api_token_created", actor=by,
                 forum_id=token.forum_id, label=label, user=user.email, prefix=token.prefix)
    return NewToken(token=token, secret=secret)


@dataclass(frozen=True)
class Authenticated:
    token: ApiToken  # live, its user loaded
    forum: Forum | None = None  # the forum asked for (None: no forum has that slug, or none was asked for)
    member: TeamMember | None = None  # the token user's place on that forum's team, if any
    public_key: bytes | None = None  # that forum's badge key (None: it has none yet); never the private one


def authenticate(secret: str | None, *, forum_slug: str | None = None,
                 now: datetime | None = None) -> Authenticated | None:
    """The live token whose secret this is, with its user loaded; None for anything else (unknown, revoked,
    or its user disabled). Notes the use, at most once a minute.

    With `forum_slug`, the same query also reads that forum, the user's membership of its team and its public
    key: what a request about one forum asks next (one round trip instead of three on every scan)."""
    if not secret or len(secret) > SECRET_MAX or not secret.isascii():
        return None
    stmt = sa.select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.token_hash == digest(secret))
    if forum_slug is not None:
        stmt = (stmt.add_columns(Forum, TeamMember, ForumKey.public_key).select_from(ApiToken)
                .outerjoin(Forum, Forum.slug == forum_slug)
                .outerjoin(TeamMember, sa.and_(TeamMember.forum_id == Forum.id,
                                               TeamMember.user_id == ApiToken.user_id))
                .outerjoin(ForumKey, ForumKey.forum_id == Forum.id)
                .options(lazyload(Forum.texts)))  # the hot path shows no forum title: not its texts' query
    row = db.session.execute(stmt).first()
    if row is None:
        return None
    token = row[0]
    if token.revoked_at is not None or not token.user.active:
        return None
    now = now or clock.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        _touch(token, now)
    return Authenticated(token, *row[1:]) if forum_slug is not None else Authenticated(token)


def _touch(token: ApiToken, now: datetime) -> None:
    # Requests of one device arrive together: the first takes the row; the others skip it rather than wait
    # for its transaction (PostgreSQL's SKIP LOCKED; SQLite has one writer anyway). Never a lock to queue on,
    # so never a deadlock with the badge row a check-in locks next.
    stale = (sa.select(ApiToken.id)
             .where(ApiToken.id == token.id,
                    sa.or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOUCH_EVERY))
             .with_for_update(skip_locked=True).scalar_subquery())
    db.session.execute(sa.update(ApiToken).where(ApiToken.id == stale).values(last_used_at=now)
                       .execution_options(synchronize_session=False))


def authorize(token: ApiToken, forum: Forum, permission: Permission = Permission.CHECKIN) -> None:
    """Raise NotAllowed unless the token may do this on this forum: within its forum limit, and its user holds
    the permission there now."""
    if token.forum_id is not None and token.forum_id != forum.id:
        raise NotAllowed(_("This device token is for another forum."), code="token_other_forum")
    permissions.require(token.user, forum, permission)


def _reaches(forum: Forum):
    """The tokens that can act on `forum`: those limited to it, and the unlimited ones of people who may check
    in there (administrators everywhere)."""
    member = sa.and_(TeamMember.forum_id == forum.id, TeamMember.user_id == ApiToken.user_id)
    scans = sa.or_(User.is_admin, TeamMember.checkin, TeamMember.manage)
    documents = sa.and_(User.active, sa.or_(User.is_admin, TeamMember.documents, TeamMember.manage))
    stmt = (sa.select(ApiToken, sa.and_(User.active, scans).label("can_scan"), documents.label("reads_documents"))
            .join(User, User.id == ApiToken.user_id).outerjoin(TeamMember, member)
            .where(sa.or_(ApiToken.forum_id == forum.id, sa.and_(ApiToken.forum_id.is_(None), scans))))
    return stmt


def for_forum(forum: Forum) -> list[Listed]:
    """The devices page: live tokens first (newest first), then revoked ones; users loaded. One query."""
    stmt = (_reaches(forum).options(joinedload(ApiToken.user), joinedload(ApiToken.created_by),
                                    joinedload(ApiToken.revoked_by))
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc()))
    return [Listed(token=t, can_scan=bool(can), reads_documents=bool(docs))
            for t, can, docs in db.session.execute(stmt).all()]


def on_forum(forum: Forum, token_id: int) -> ApiToken:
    """A token the forum's devices page lists; NotFound for any other."""
    token = db.session.scalar(_reaches(forum).where(ApiToken.id == token_id).with_only_columns(ApiToken))
    if token is None:
        raise NotFound(_("There is no such device token for this forum."), code="token_not_found")
    return token


def scanning_members(forum: Forum) -> list[User]:
    """Who may get a token in the forum's web UI: active team members holding the check-in or the documents
    permission (manage includes both)."""
    return list(db.session.scalars(
        sa.select(User).join(TeamMember, TeamMember.user_id == User.id)
        .where(TeamMember.forum_id == forum.id, User.active,
               sa.or_(TeamMember.checkin, TeamMember.documents, TeamMember.manage))
        .order_by(User.display_name, User.id)))


def revoke(token: ApiToken, *, by: User | None, forum: Forum | None = None, now: datetime | None = None) -> None:
    """The token stops working now, for good. `by` None: the command line. In the web, a manager of a forum
    the token can act on may revoke it (taking access away is always allowed to them); audited."""
    if by is not None:
        if forum is None:
            permissions.require_admin(by)
        else:
            permissions.require(by, forum, Permission.MANAGE)
            on_forum(forum, token.id)
    if token.revoked_at is not None:
        raise InvalidState(_("This device token was revoked already."), code="token_revoked")
    token.revoked_at = now or clock.now()
    token.revoked_by_id = by.id if by else None
    db.session.flush()
    audit.record(subject_type="api_token", subject_id=token.id, action="api_token_revoked", actor=by,
                 forum_id=forum.id if forum else token.forum_id, label=token.label, prefix=token.prefix)


def all_tokens(forum: Forum | None = None) -> list[ApiToken]:
    """Every token (the command line's list), optionally only those that can act on `forum`."""
    stmt = _reaches(forum).with_only_columns(ApiToken) if forum is not None else sa.select(ApiToken)
    return list(db.session.scalars(stmt.options(joinedload(ApiToken.user), joinedload(ApiToken.forum))
                                   .order_by(ApiToken.id)).unique())
