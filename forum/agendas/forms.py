from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired


class RenewCalendarForm(FlaskForm):
    confirm = BooleanField(_l("Yes, the old link must stop working"),
                           validators=[DataRequired(_l("Tick this box to renew the link."))])
