from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from forum.api.models import ApiToken
from forum.db import column_length


class DeviceTokenForm(FlaskForm):
    """Shape only: the service checks the person may check in here, and the label again after NFC."""

    user = SelectField(_l("Team member"), coerce=int, validate_choice=False, validators=[DataRequired()],
                       description=_l("The device acts with this person's permissions; scans name them."))
    label = StringField(_l("Device name"), validators=[DataRequired(), Length(max=column_length(ApiToken.label))],
                        description=_l("E.g. \"Gate 1\" or \"Registration desk tablet\": every scan records it."))


class RevokeTokenForm(FlaskForm):
    pass
