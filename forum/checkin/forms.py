from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField
from wtforms.validators import Length, Optional

from forum.checkin.services import DEVICE_MAX

DIRECTION_CHOICES = [("in", _l("Entry")), ("out", _l("Exit"))]


class ScanForm(FlaskForm):
    """The scanner page's form, which works without JavaScript: a typed code, or (from the name search) a
    delegate's registration. The nonce is made when the page is drawn, so that sending the same form again
    (a reload) is the same scan. Shape only: checkin.services.check_in decides and refuses."""

    class Meta:
        # The search results repeat a small form per delegate; the app-wide CSRFProtect checks the token.
        csrf = False

    code = StringField(_l("Badge code"), validators=[Optional(), Length(max=2000)],
                       description=_l("The code printed under the QR code, or the badge's web address."))
    registration = HiddenField()
    nonce = HiddenField()
    device = StringField(_l("This device"), validators=[Optional(), Length(max=DEVICE_MAX)],
                         description=_l("A name for this phone or gate, e.g. Gate 1: every scan records it."))
    direction = RadioField(_l("Direction"), choices=DIRECTION_CHOICES, default="in")
