"""The shapes of the follow-up forms; the rules (dates, lengths, who may write) are in followup.py."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.widgets import DateInput

from forum.documents.followup import NOTE_MAX
from forum.documents.labels import STATUSES


class FollowUpForm(FlaskForm):
    # Checked by the service (a coded error next to the field), so a bad value never half-saves.
    status = SelectField(_l("Status"), choices=lambda: [(s.value, str(label)) for s, label in STATUSES.items()],
                         validate_choice=False)
    next_review_on = StringField(_l("Next review"), widget=DateInput(),
                                 description=_l("Leave empty when no review is planned."))
    next = HiddenField()


class NoteForm(FlaskForm):
    noted_on = StringField(_l("Date"), widget=DateInput())
    text = TextAreaField(_l("Note"), description=_l("What happened: at most %(n)d characters.", n=NOTE_MAX),
                         render_kw={"rows": 3, "maxlength": NOTE_MAX})
    next = HiddenField()
