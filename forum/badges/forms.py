from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from forum import languages
from forum.badges.issuing import REASON_MAX

LAYOUT_CHOICES = [("a4", _l("A4 sheets, four badges each, with cut marks")), ("a6", _l("A6, one badge per page"))]


class DownloadForm(FlaskForm):
    """Download the badges the desk's filter selects. The filter rides along in hidden inputs, read by
    printing.Filters.from_args like the list's query string."""

    layout = SelectField(_l("Layout"), choices=LAYOUT_CHOICES, default="a4")
    language = SelectField(_l("Language of the badges' labels"), choices=languages.choices(),
                           default=languages.DEFAULT)
    team = BooleanField(_l("Add the team's organizer and staff badges"))


class ReissueForm(FlaskForm):
    reason = TextAreaField(_l("Reason (kept in the log)"), validators=[Optional(), Length(max=REASON_MAX)],
                           description=_l("For example: badge lost, name corrected."))


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason (kept in the log)"), validators=[DataRequired(), Length(max=REASON_MAX)])
    confirm = BooleanField(_l("Yes, this badge must stop working at the door"), validators=[DataRequired()])
