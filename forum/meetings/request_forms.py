"""The shapes of the request forms (delegates' and the B2B team's); the rules are in requests.py."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from forum.meetings.models import Priority
from forum.meetings.requests import MESSAGE_MAX
from forum.meetings.states import REASON_MAX


def priority_choices() -> list[tuple[str, str]]:
    return [(Priority.MUST.value, _l("Must meet")), (Priority.NICE.value, _l("Would like to meet"))]


def _priority(label):
    return RadioField(label, choices=priority_choices(), default=Priority.NICE.value,
                      validators=[DataRequired(message=_l("Choose a priority."))])


class RequestForm(FlaskForm):
    message = TextAreaField(_l("Message"), validators=[Optional(), Length(max=MESSAGE_MAX)],
                            description=_l("Why you would like to meet, in a few lines (at most %(n)d characters).",
                                           n=MESSAGE_MAX))
    priority = _priority(_l("Priority"))


class AcceptForm(FlaskForm):
    priority = _priority(_l("Your priority"))


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Reason (optional, shown to the other side)"),
                           validators=[Optional(), Length(max=REASON_MAX)])


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason (optional, shown to the other side)"),
                           validators=[Optional(), Length(max=REASON_MAX)])
    confirm = BooleanField(_l("Yes, cancel this accepted meeting"))


# --- the B2B team, on someone's behalf ----------------------------------------------------------------------

TEAM_REASON = _l("Reason (kept in the log)")


class TeamCreateForm(FlaskForm):
    requester = SelectField(_l("Who asks"), coerce=str, validators=[DataRequired(message=_l("Choose who asks."))])
    company = SelectField(_l("Company asked"), coerce=str,
                          validators=[DataRequired(message=_l("Choose the company asked."))])
    recipient = SelectField(_l("Delegate asked"), coerce=str, validators=[Optional()],
                            description=_l("Leave empty to ask the company: any of its delegates may accept."))
    message = TextAreaField(_l("Message"), validators=[Optional(), Length(max=MESSAGE_MAX)])
    priority = _priority(_l("Priority of the one who asks"))
    reason = TextAreaField(TEAM_REASON, validators=[Optional(), Length(max=REASON_MAX)])


class TeamAcceptForm(FlaskForm):
    recipient = SelectField(_l("Delegate who meets"), coerce=str, validators=[Optional()])
    priority = _priority(_l("Their priority"))
    reason = TextAreaField(TEAM_REASON, validators=[Optional(), Length(max=REASON_MAX)])


class TeamDeclineForm(FlaskForm):
    reason = TextAreaField(_l("Reason (shown to the delegate who asked)"), validators=[Optional(), Length(max=REASON_MAX)])


class TeamCancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason (shown to both sides)"), validators=[Optional(), Length(max=REASON_MAX)])
    confirm = BooleanField(_l("Yes, cancel this accepted meeting"))
