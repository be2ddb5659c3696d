"""Forms of the venue pages: the shape of the input only (the rules are attendance.rules)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length


class ConfirmForm(FlaskForm):
    """"Confirm held": which meeting (its public id)."""

    meeting = HiddenField(validators=[DataRequired(), Length(max=36)])


class ScanConfirmForm(FlaskForm):
    """"Confirm the meeting" on a badge's card: the meeting is the two people's one in its window."""


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search

    q = StringField(_l("Name or company, in any script"), validators=[Length(max=100)])


class WalkInForm(FlaskForm):
    """A delegate books a walk-in for themselves: where and when (a free table in the current or next slot) and
    with whom (one of the participants their search found)."""

    place = SelectField(_l("Time and table"), validators=[DataRequired(message=_l("Choose a time and a table."))],
                        validate_choice=False)
    counterpart = RadioField(_l("With"), validators=[DataRequired(message=_l("Choose who you meet."))],
                             validate_choice=False)


class StaffWalkInForm(FlaskForm):
    """The B2B team books a walk-in for any two participants."""

    place = SelectField(_l("Time and table"), validators=[DataRequired(message=_l("Choose a time and a table."))],
                        validate_choice=False)
    a = SelectField(_l("Delegate"), validators=[DataRequired(message=_l("Choose the first delegate."))],
                    validate_choice=False)
    counterpart = SelectField(_l("Meets"), validators=[DataRequired(message=_l("Choose the second delegate."))],
                              validate_choice=False)


def place_value(slot_id: int, table_id: int) -> str:
    return f"{slot_id}-{table_id}"


def parse_place(value: str | None) -> tuple[int, int] | None:
    """'12-7' -> (slot id 12, table id 7); None for anything else."""
    parts = (value or "").split("-")
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() and 0 < len(p) < 10 for p in parts):
        return None
    return int(parts[0]), int(parts[1])
