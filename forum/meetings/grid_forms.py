"""The meeting grid's forms: the shape of the input only. Every value is read as text and judged by
meetings.grid, so a hostile one ('25:99', a NUL) comes back as an error next to its field."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from forum.forms_util import CheckboxesField
from forum.registration.choices import language_choices


class _Checkboxes(CheckboxesField):
    """Checkboxes whose values the service checks (slots of this forum, languages of the list)."""

    def pre_validate(self, form) -> None:
        pass


class SettingsForm(FlaskForm):
    enabled = BooleanField(_l("B2B meetings are on for this forum"))
    request_deadline = StringField(
        _l("Requests must be answered by"), validators=[Length(max=40)], render_kw={"type": "datetime-local"},
        description=_l("Forum-local time. Empty: the start of the first session. Unanswered requests expire then."))
    open_request_quota = StringField(_l("Requests a delegate may have waiting for an answer"),
                                     validators=[Length(max=10)], render_kw={"inputmode": "numeric"})
    default_max_meetings = StringField(_l("Meetings per delegate at most"), validators=[Length(max=10)],
                                       render_kw={"inputmode": "numeric"},
                                       description=_l("A delegate may set a lower number for themselves."))


class SessionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=200)], description=_l("E.g. “Day 1, morning”."))
    day = StringField(_l("Day"), validators=[Length(max=20)], render_kw={"type": "date"})
    start = StringField(_l("Starts at"), validators=[Length(max=10)], render_kw={"type": "time"})
    end = StringField(_l("Ends at"), validators=[Length(max=10)], render_kw={"type": "time"})
    slot_minutes = StringField(_l("Slot length (minutes)"), validators=[Length(max=10)], default="20",
                               render_kw={"inputmode": "numeric"})
    gap_minutes = StringField(_l("Gap between slots (minutes)"), validators=[Length(max=10)], default="0",
                              render_kw={"inputmode": "numeric"},
                              description=_l("Time to change tables between two meetings."))
    breaks = TextAreaField(_l("Breaks"), validators=[Length(max=500)], render_kw={"rows": 2},
                           description=_l("HH:MM-HH:MM, separated by commas, e.g. 10:30-11:00, 12:30-13:30. "
                                          "No slot overlaps a break."))


class DeleteSessionForm(FlaskForm):
    confirm = BooleanField(_l("Yes, delete this session and its slots"), validators=[DataRequired()])


class AddTablesForm(FlaskForm):
    numbers = StringField(_l("Table numbers"), validators=[Length(max=200)],
                          description=_l("E.g. 1-40, or 41-45, 50."))
    label = StringField(_l("Label (optional)"), validators=[Length(max=200)],
                        description=_l("Where they are, e.g. “Hall B”."))


class TableForm(FlaskForm):
    number = StringField(_l("Number"), validators=[Length(max=10)], render_kw={"inputmode": "numeric"})
    label = StringField(_l("Label (optional)"), validators=[Length(max=200)])
    active = BooleanField(_l("In use"))
    all_slots = BooleanField(_l("Available in every slot"))
    slots = _Checkboxes(_l("Only in these slots"), choices=[])


class InterpreterForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=300)])
    email = StringField(_l("E-mail (optional)"), validators=[Length(max=300)], render_kw={"type": "email"})
    languages = _Checkboxes(_l("Languages (at least two)"), choices=[])
    active = BooleanField(_l("Works at this forum"))
    all_slots = BooleanField(_l("Available in every slot"))
    slots = _Checkboxes(_l("Only in these slots"), choices=[])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.languages.choices = language_choices()


class AvailabilityForm(FlaskForm):
    unavailable = _Checkboxes(_l("I cannot meet at this time"), choices=[])
    max_meetings = StringField(_l("At most this many meetings"), validators=[Length(max=10)],
                               render_kw={"inputmode": "numeric"})


class OptOutForm(FlaskForm):
    count = HiddenField()
    confirm = BooleanField(_l("Yes, take me out of the B2B meetings"), validators=[DataRequired()])


class OptInForm(FlaskForm):
    pass
