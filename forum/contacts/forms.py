"""The note form: the shape of the input only (the rules are in contacts.services)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Optional

from forum.contacts.models import NOTE_MAX


class NoteForm(FlaskForm):
    # No Length validator: the service counts after NFC (what is stored), in one place.
    note = TextAreaField(_l("Note"), validators=[Optional()], render_kw={"rows": 3},
                         description=_l("Where you met, what to follow up (at most %(n)d characters). Only you see it.",
                                        n=NOTE_MAX))


class ConfirmForm(FlaskForm):
    """A form with only the CSRF token: the removal's confirmation."""
