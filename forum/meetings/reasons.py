"""Why a request has no meeting, in plain words: for the delegates concerned and for the organizers.

The codes are the solver's (solver.REASONS), plus `not_taking_part` for a published meeting dropped because
a side left the B2B meetings (or the request was cancelled) since.
"""
from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _

from forum.registration.choices import language_name
from forum.registration.models import Registration

NOT_TAKING_PART = "not_taking_part"


def both_scripts(reg: Registration) -> str:
    """'田中 一郎 (TANAKA Ichiro)': the name as written, and in Latin letters when that differs."""
    native, latin = (reg.full_name or "").strip(), (reg.latin_name or "").strip()
    if not latin or latin == native:
        return native
    if not native:
        return latin
    return f"{native} ({latin})"


def languages_text(codes: Iterable[str]) -> str:
    """'Japanese / English': the languages of one side, by name in the reader's language."""
    names = [language_name(c) for c in codes]
    return " / ".join(names) if names else _("no language given")


def pair_text(pair_languages) -> str:
    """'Japanese–Kazakh': one side's languages, a dash, the other's."""
    mine, theirs = pair_languages
    return f"{languages_text(mine)}–{languages_text(theirs)}"


def reason_text(reason: str | None, me: Registration, other: Registration, pair_languages=None, *,
                full: str | None = None) -> str:
    """The reason a request between `me` and `other` has no meeting, addressed to `me`.

    pair_languages: (my languages, their languages), for no_interpreter (default: the two delegates' own).
    full: for participant_full, who is full when that is known: "me", "other", or None (either).
    """
    name = both_scripts(other)
    if reason == "no_common_slot":
        return _("You and %(name)s are never free at the same time.", name=name)
    if reason == "participant_full":
        if full == "me":
            return _("You already have the most meetings you accepted, or are busy at every time you and "
                     "%(name)s are both free.", name=name)
        if full == "other":
            return _("%(name)s already has the most meetings they accepted, or is busy at every time you are "
                     "both free.", name=name)
        return _("You or %(name)s already have the most meetings you accepted, or are busy at every time you "
                 "are both free.", name=name)
    if reason == "no_table":
        return _("No table was free at the times you and %(name)s are both free.", name=name)
    if reason == "no_interpreter":
        pair = pair_languages or (me.languages or [], other.languages or [])
        return _("No interpreter for %(pair)s at the times you and %(name)s are both free.",
                 pair=pair_text(pair), name=name)
    if reason == "not_selected":
        return _("It fitted, but the schedule left it out to place more important meetings (a higher priority "
                 "or a mutual must-meet).")
    if reason == NOT_TAKING_PART:
        return _("%(name)s no longer takes part in the B2B meetings, or the request was cancelled.", name=name)
    return _("Not scheduled yet: the organizers have not published a schedule with this meeting.")


def reason_label(reason: str | None, a: Registration, b: Registration) -> str:
    """The same reason for the organizers, naming both sides."""
    names = dict(a=both_scripts(a), b=both_scripts(b))
    if reason == "no_common_slot":
        return _("%(a)s and %(b)s are never free at the same time.", **names)
    if reason == "participant_full":
        return _("%(a)s or %(b)s already has the most meetings they accepted, or is busy at every time both "
                 "are free.", **names)
    if reason == "no_table":
        return _("No table was free at the times %(a)s and %(b)s are both free.", **names)
    if reason == "no_interpreter":
        return _("No interpreter for %(pair)s at the times %(a)s and %(b)s are both free.",
                 pair=pair_text((a.languages or [], b.languages or [])), **names)
    if reason == "not_selected":
        return _("It fitted, but the schedule left it out to place more important meetings (a higher priority "
                 "or a mutual must-meet).")
    if reason == NOT_TAKING_PART:
        return _("A side no longer takes part in the B2B meetings, or the request was cancelled.")
    return _("Not scheduled yet.")


def unfixed_label(code: str | None) -> str:
    """Why a published meeting could not stay where it was (problem.UNFIX_REASONS), for the organizers."""
    return {
        "side_unavailable": _("a side is no longer free then"),
        "table_unavailable": _("the table is no longer available then"),
        "interpreter_unavailable": _("the interpreter is no longer available then, or no longer works in these "
                                     "languages"),
        "interpreter_not_needed": _("the two now share a language: no interpreter is needed"),
        "interpreter_needed": _("the two no longer share a language: an interpreter is needed"),
        "over_cap": _("a side lowered the number of meetings they accept"),
    }.get(code or "", "")
