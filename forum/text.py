"""Rules for text people type: single-line text (what can end up in a mail header, a subject or a name in To, has
no line break), and a short multi-line note (a contact's note, a meeting's next step)."""
from __future__ import annotations

# Everything str.splitlines() breaks on: CR and LF, and the rarer separators a mail client may honour too.
LINE_BREAKS = frozenset("\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def is_one_line(value: str | None) -> bool:
    return not value or not any(c in LINE_BREAKS for c in value)


def is_plain_address(value: str | None) -> bool:
    """An e-mail address as the app stores it: an @, and no space or line break anywhere."""
    return bool(value) and "@" in value and not any(c.isspace() or c in LINE_BREAKS for c in value)


# The control characters a multi-line note may keep: line breaks (as \n) and tabs.
NOTE_CONTROLS = frozenset("\n\t")


def clean_note(value, *, field: str, limit: int, too_long_code: str) -> str:
    """A short multi-line text as stored: NFC, outer spaces trimmed, line breaks as \\n; at most `limit` characters
    and no control character but line breaks and tabs. Raises InvalidInput for `field`."""
    from flask_babel import gettext as _

    from forum.db import nfc
    from forum.errors import InvalidInput

    text = nfc(value if isinstance(value, str) else "") or ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if any((ord(c) < 32 or ord(c) == 127) and c not in NOTE_CONTROLS for c in text):
        raise InvalidInput(_("Remove the invisible control characters from this text."),
                           code="control_characters", field=field)
    if len(text) > limit:
        raise InvalidInput(_("At most %(n)d characters (this text has %(count)d).", n=limit, count=len(text)),
                           code=too_long_code, field=field)
    return text
