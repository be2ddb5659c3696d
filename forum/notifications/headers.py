"""Mail headers in any script that decode back exactly. Pure: no Flask, no database.

The standard library's modern folder loses or doubles the space between two encoded words when it
folds a long non-ASCII header ("зарегистрированы нафорум"). Here a non-ASCII value is encoded as
RFC 2047 words that carry their spaces inside them, folded at 76 columns, and stored as is, so the
generator does not fold it again.
"""
from __future__ import annotations

from email import policy
from email.header import Header
from email.message import EmailMessage
from email.utils import formataddr

MAX_LINE = 76
# Generate with this policy: headers set here are already encoded and folded and must stay as they are.
POLICY = policy.default.clone(refold_source="none")  # smtplib sends with CRLF itself


def _needs_encoding(value: str) -> bool:
    return not value.isascii() or any(ord(c) < 32 for c in value)


def encode(name: str, value: str) -> str:
    """The header's value as it goes on the wire: ASCII left readable, anything else as encoded words."""
    value = " ".join(value.split())  # no CR/LF or tabs: a header is one logical line
    if not _needs_encoding(value):
        return value
    return Header(value, "utf-8", maxlinelen=MAX_LINE, header_name=name).encode(linesep="\n")


def set_header(em: EmailMessage, name: str, value: str) -> None:
    del em[name]
    em.set_raw(name, encode(name, value))


def address(display_name: str, addr: str) -> str:
    """'Ерлан Сатпаев <erlan@example.kz>' for the wire; a bare address when there is no name."""
    display_name = " ".join((display_name or "").split())
    if not display_name:
        return addr
    if not _needs_encoding(display_name):
        return formataddr((display_name, addr))
    # One encoded word, however long (names are at most 200 characters, well under the 998 a line
    # may have): split into several, RFC 2047 decoders join them without a space but Python's own
    # parser adds one, so no split reads back the same in both.
    word = Header(display_name, "utf-8", maxlinelen=10_000).encode()
    return f"{word}\n <{addr}>"


def set_address(em: EmailMessage, name: str, display_name: str, addr: str) -> None:
    del em[name]
    em.set_raw(name, address(display_name, addr))
