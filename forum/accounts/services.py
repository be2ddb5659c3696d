"""Accounts: creating users, signing in, and password links sent by e-mail."""
from __future__ import annotations

import hashlib
import re

import idna
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash
from sqlalchemy.exc import IntegrityError

from forum import clock
from forum.accounts.models import LANGUAGES, User
from forum.audit import services as audit
from forum.db import db, nfc, too_long
from forum.errors import InvalidInput, InvalidState, NotAllowed
from forum.notifications import services as mail
from forum.search import search_key
from forum.text import is_one_line
from forum.urls import external_url

MIN_PASSWORD_LENGTH = 10


def normalize_email(email: str) -> str:
    """One spelling per address: NFC, lower case, and the domain in its ASCII (IDNA) form.

    'Anna@Bücher.example' and 'anna@xn--bcher-kva.example' are the same mailbox, so they are the
    same account and the same delegate for the once-per-forum rule. A domain IDNA refuses is kept as
    typed (lower case); the e-mail validators decide whether it is an address at all.
    """
    email = (nfc(email) or "").lower()
    local, at, domain = email.rpartition("@")
    if at and domain and not domain.isascii():
        try:
            domain = idna.encode(domain, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            pass
    return f"{local}{at}{domain}"


def find_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def create_user(
    email: str, display_name: str, password: str | None = None, language: str = "en", *, is_admin: bool = False
) -> User:
    email = normalize_email(email)
    if not email or "@" not in email:
        raise InvalidInput(_("Enter a valid e-mail address."), code="bad_email", field="email")
    if limit := too_long(User.email, email):
        raise InvalidInput(_("At most %(n)d characters.", n=limit), code="too_long", field="email")
    if find_by_email(email) is not None:
        raise InvalidInput(_("An account with this e-mail address already exists."), code="email_taken", field="email")
    display_name = nfc(display_name) or email[:200]
    if limit := too_long(User.display_name, display_name):
        raise InvalidInput(_("At most %(n)d characters.", n=limit), code="too_long", field="display_name")
    user = User(email=email, display_name=display_name, is_admin=is_admin,
                language=language if language in LANGUAGES else "en", search_key=search_key(display_name, email))
    if password is not None:
        check_password_strength(password)
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def get_or_create_delegate_user(email: str, display_name: str, language: str = "en") -> tuple[User, bool]:
    """The account a delegate or contact person reaches their registration with."""
    user = find_by_email(email)
    if user is not None:
        return user, False
    display_name = (nfc(display_name) or "")[:200]  # the name on the account only; the registration keeps it whole
    try:
        with db.session.begin_nested():
            return create_user(email, display_name, None, language), True
    except IntegrityError:
        # Another request created this account a moment ago (users.email is unique): join it. Its
        # row is committed by now, since the insert waited for it; READ COMMITTED sees it.
        user = find_by_email(email)
        if user is None:
            raise
        return user, False


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            _("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH), code="password_short", field="password"
        )


# The hash of a random password nobody knows, made as werkzeug makes every new one (same method and
# cost; tests/accounts/test_sessions.py checks that they still agree). Sign-in checks an unknown
# account, or one without a password yet, against it: the same work as for a real account, so the
# time taken does not tell who has an account.
DUMMY_PASSWORD_HASH = (
    "scrypt:32768:8:1$pSnpVOgiMdZFN4v2$e577c1a6038b40fe9e199f41944409736461d86553894030950554c2823dbbd9"
    "fcd581567aaf70626df7b21d5efc93b430fb9a2abf2cc2842186d7e341542db0"
)


def _password_matches(user: User | None, password: str) -> bool:
    """Exactly one hash check, whether or not the account exists or has a password."""
    stored = user.password_hash if user is not None else None
    matches = check_password_hash(stored or DUMMY_PASSWORD_HASH, password)
    return matches and bool(stored)


def authenticate(email: str, password: str, *, address: str | None = None) -> User:
    """The user, or NotAllowed. Every attempt, failed or not, is audited: the caller commits either way."""
    user = find_by_email(email)
    # Same message (and the same work) whether the e-mail is unknown or the password wrong: no account probing.
    if not _password_matches(user, password):
        _audit_sign_in(user, email, address, "sign_in_failed")
        raise NotAllowed(_("E-mail or password is not correct."), code="bad_login")
    if not user.active:
        _audit_sign_in(user, email, address, "sign_in_failed", why="disabled")
        raise NotAllowed(_("This account is disabled."), code="disabled")
    user.last_login_at = clock.now()
    _audit_sign_in(user, email, address, "signed_in")
    return user


def _audit_sign_in(user: User | None, email: str, address: str | None, action: str, **details) -> None:
    # An unknown address has no user row: subject 0, with the address typed kept in the details.
    audit.record(subject_type="user", subject_id=user.id if user else 0, action=action, actor=user,
                 email=normalize_email(email)[:254], address=address or "", **details)


# --- sessions ---------------------------------------------------------------------------------
# Every session and remember-me cookie carries "<user id>:<session generation>" (User.get_id).
# Raising the generation ends all of them at once: on sign-out, when a password is set or reset,
# and when an account is deactivated. A cookie with another generation, or without one, is refused.

_SESSION_ID = re.compile(r"([0-9]{1,18}):([0-9]{1,18})", re.ASCII)


def user_for_session(session_id: str) -> User | None:
    """The active user a session or remember-me cookie names, if its generation is still current."""
    m = _SESSION_ID.fullmatch(session_id or "")
    if m is None:
        return None
    user = db.session.get(User, int(m.group(1)))
    if user is None or not user.active or user.session_generation != int(m.group(2)):
        return None
    return user


def end_all_sessions(user: User) -> None:
    """Every session and remember-me cookie of this user stops working (the next request is anonymous)."""
    user.session_generation = (user.session_generation or 0) + 1


def sign_out(user: User, *, address: str | None = None) -> None:
    """Signing out on one device signs out everywhere, remember-me cookies included; audited."""
    end_all_sessions(user)
    audit.record(subject_type="user", subject_id=user.id, action="signed_out", actor=user, address=address or "")


def active_admin_ids() -> set[int]:
    """The ids of the active site administrators, their rows locked (on PostgreSQL; SQLite's write lock
    serialises anyway). After waiting for the lock PostgreSQL re-checks the condition on the newest row
    version, so an administrator unmade or disabled a moment ago is not in the set."""
    return set(db.session.scalars(
        sa.select(User.id).where(User.is_admin.is_(True), User.active.is_(True)).order_by(User.id).with_for_update()))


def deactivate(user: User, *, by: User | None, reason: str = "") -> None:
    """The account can no longer sign in, and its sessions end now; audited (by None: the command line).

    The last active administrator is not disabled: nobody could manage users or create forums any more."""
    if not user.active:
        raise InvalidState(_("This account is already disabled."), code="already_disabled")
    if user.is_admin and not active_admin_ids() - {user.id}:
        raise InvalidState(_("This is the last active site administrator: make someone else one first."),
                           code="last_admin")
    user.active = False
    end_all_sessions(user)
    audit.record(subject_type="user", subject_id=user.id, action="deactivated", actor=by,
                 from_state="active", to_state="disabled", reason=reason)


def language_after_sign_in(user: User, chosen: str | None) -> str:
    """A language picked with the switcher before signing in wins, and becomes the account's."""
    if chosen in LANGUAGES:
        user.language = chosen
    return user.language


# --- password links ---------------------------------------------------------------------------
# A link carries the user's id and a fingerprint of the current password hash, so it stops
# working once used (the hash changes) or when it expires.

PURPOSES = {"reset": "PASSWORD_RESET_MAX_AGE", "set": "PASSWORD_SET_MAX_AGE"}


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="forum.password")


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "none").encode()).hexdigest()[:16]


def password_token(user: User, purpose: str) -> str:
    return _serializer().dumps({"u": user.id, "f": _fingerprint(user), "p": purpose})


def password_link(user: User, purpose: str) -> str:
    return external_url("accounts.set_password", token=password_token(user, purpose))


def user_from_token(token: str) -> User:
    return user_and_purpose_from_token(token)[0]


def user_and_purpose_from_token(token: str) -> tuple[User, str]:
    try:
        data = _serializer().loads(token, max_age=max(current_app.config[k] for k in PURPOSES.values()))
    except SignatureExpired:
        raise NotAllowed(_("This link has expired. Ask for a new one below."), code="token_expired")
    except BadSignature:
        raise NotAllowed(_("This link is not valid. Ask for a new one below."), code="token_invalid")
    purpose = data.get("p")
    if purpose not in PURPOSES:
        raise NotAllowed(_("This link is not valid. Ask for a new one below."), code="token_invalid")
    # Each purpose has its own lifetime.
    try:
        _serializer().loads(token, max_age=current_app.config[PURPOSES[purpose]])
    except SignatureExpired:
        raise NotAllowed(_("This link has expired. Ask for a new one below."), code="token_expired")
    user = db.session.get(User, data.get("u"))
    if user is None or not user.active or data.get("f") != _fingerprint(user):
        raise NotAllowed(_("This link has already been used. Ask for a new one below."), code="token_used")
    return user, purpose


def set_password(user: User, password: str, *, purpose: str = "set", address: str | None = None) -> None:
    """Set a password from a link ('set' for a new account, 'reset' after 'forgot password'); audited."""
    check_password_strength(password)
    user.set_password(password)
    # Whoever held a session (or a stolen remember-me cookie) is out; the caller signs this browser in again.
    end_all_sessions(user)
    audit.record(subject_type="user", subject_id=user.id, action="password_" + ("reset" if purpose == "reset" else "set"),
                 actor=user, address=address or "")


def request_password_reset(email: str, *, address: str | None = None) -> None:
    """Queue a reset link if the account exists; say nothing either way (the audit log knows)."""
    user = find_by_email(email)
    if user is None or not user.active:
        return
    audit.record(subject_type="user", subject_id=user.id, action="password_reset_requested", actor=None,
                 address=address or "")
    mail.queue("password_reset", to=user.email, to_name=user.display_name, language=user.language, user=user,
               link=password_link(user, "reset"))


def set_language(user: User, language: str) -> None:
    if language not in LANGUAGES:
        raise InvalidInput(_("Unknown language."), code="bad_language")
    user.language = language


def update_profile(user: User, display_name: str, language: str) -> None:
    name = nfc(display_name)
    if not name:
        raise InvalidInput(_("Enter your name."), code="name_required", field="display_name")
    if not is_one_line(name):  # it is the name in the To header of the account's mails
        raise InvalidInput(_("Write this on one line: line breaks are not allowed here."), code="line_break",
                           field="display_name")
    if limit := too_long(User.display_name, name):
        raise InvalidInput(_("At most %(n)d characters.", n=limit), code="too_long", field="display_name")
    set_language(user, language)
    user.display_name = name
    user.search_key = search_key(name, user.email)
