"""One rule for single-line text: what can end up in a mail header (a subject, a name in To) has no line break."""
from __future__ import annotations

# Everything str.splitlines() breaks on: CR and LF, and the rarer separators a mail client may honour too.
LINE_BREAKS = frozenset("\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def is_one_line(value: str | None) -> bool:
    return not value or not any(c in LINE_BREAKS for c in value)


def is_plain_address(value: str | None) -> bool:
    """An e-mail address as the app stores it: an @, and no space or line break anywhere."""
    return bool(value) and "@" in value and not any(c.isspace() or c in LINE_BREAKS for c in value)
