"""Badge tokens: short, ASCII, versioned, signed with the forum's Ed25519 key. Pure: no Flask, no database.

A token is the version character "1" followed by the RFC 4648 base32 (upper case, no padding) of

    forum tag (4 bytes) | badge id (9 random bytes) | Ed25519 signature (64 bytes)

where the forum tag is the first 4 bytes of SHA-256 of the forum's public key (it names the forum
without a database id) and the signature covers DOMAIN + version + forum tag + badge id. That is
1 + 124 characters. Base32 in upper case is what a QR code's alphanumeric mode packs best, a person can
type it from a printout (no 0/O or 1/l pairs: base32 has neither 0, 1, 8 nor 9), and it survives any
reader that changes case: parsing is case-insensitive. No personal data, nothing to enumerate.

Verifying needs only the public key, so an offline scanner can do it (issue 11).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

VERSION = "1"
DOMAIN = b"forum-badge:"
TAG_BYTES, ID_BYTES, SIG_BYTES = 4, 9, 64
_BODY_BYTES = TAG_BYTES + ID_BYTES + SIG_BYTES
_BODY_CHARS = -(-_BODY_BYTES * 8 // 5)  # base32 without padding
TOKEN_CHARS = 1 + _BODY_CHARS
# What a camera or a person may hand over: the bare token, or the badge URL <base>/b/<token>, with stray
# white space around it. Anything after the token in a URL (query, fragment, slash) is ignored.
_IN_URL = re.compile(r"/b/([0-9A-Za-z]+)(?:[/?#].*)?$", re.IGNORECASE)


class TokenError(ValueError):
    """The code is not a valid badge token for this key. `code` is the check-in result code it maps to."""

    def __init__(self, code: str, why: str) -> None:
        super().__init__(why)
        self.code = code


@dataclass(frozen=True)
class KeyPair:
    private: bytes  # 32 raw bytes: never leaves the server
    public: bytes  # 32 raw bytes: goes to scanners


@dataclass(frozen=True)
class Parsed:
    version: str
    forum_tag: bytes
    badge_id: bytes
    signature: bytes


def new_key_pair() -> KeyPair:
    key = Ed25519PrivateKey.generate()
    from cryptography.hazmat.primitives import serialization as ser

    raw = ser.Encoding.Raw
    return KeyPair(private=key.private_bytes(raw, ser.PrivateFormat.Raw, ser.NoEncryption()),
                   public=key.public_key().public_bytes(raw, ser.PublicFormat.Raw))


def forum_tag(public_key: bytes) -> bytes:
    return hashlib.sha256(public_key).digest()[:TAG_BYTES]


def new_badge_id() -> bytes:
    return secrets.token_bytes(ID_BYTES)


def _message(tag: bytes, badge_id: bytes) -> bytes:
    return DOMAIN + VERSION.encode() + tag + badge_id


def sign(keys: KeyPair, badge_id: bytes) -> str:
    """The token for this badge of the forum whose key pair this is."""
    if len(badge_id) != ID_BYTES:
        raise ValueError("a badge id has %d bytes" % ID_BYTES)
    tag = forum_tag(keys.public)
    signature = Ed25519PrivateKey.from_private_bytes(keys.private).sign(_message(tag, badge_id))
    body = base64.b32encode(tag + badge_id + signature).decode("ascii").rstrip("=")
    return VERSION + body


def parse(code: str | None) -> Parsed:
    """Read a token from what a camera or a person gave; raise TokenError("invalid") for anything else.

    The signature is not checked here (see verify)."""
    if not isinstance(code, str):
        raise TokenError("invalid", "no code")
    text = code.strip()
    if not text.isascii():
        raise TokenError("invalid", "not ASCII")
    m = _IN_URL.search(text)
    if m:
        text = m.group(1)
    text = text.upper()
    if not text or text[0] != VERSION:
        raise TokenError("invalid", "unknown version")
    body = text[1:]
    if len(body) != _BODY_CHARS:
        raise TokenError("invalid", "wrong length")
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except (binascii.Error, ValueError):
        raise TokenError("invalid", "not base32") from None
    if len(raw) != _BODY_BYTES or base64.b32encode(raw).decode().rstrip("=") != body:
        raise TokenError("invalid", "not canonical")  # trailing bits set: another spelling of a token
    return Parsed(VERSION, raw[:TAG_BYTES], raw[TAG_BYTES:TAG_BYTES + ID_BYTES], raw[TAG_BYTES + ID_BYTES:])


def verify(public_key: bytes, code: str | None) -> bytes:
    """The badge id of a genuine token of this forum. Raises TokenError: "invalid" (garbage, unknown version,
    bad signature) or "wrong_forum" (a well-formed token naming another forum's key)."""
    parsed = parse(code)
    tag = forum_tag(public_key)
    if parsed.forum_tag != tag:
        raise TokenError("wrong_forum", "another forum's token")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(parsed.signature, _message(tag, parsed.badge_id))
    except InvalidSignature:
        raise TokenError("invalid", "bad signature") from None
    return parsed.badge_id
