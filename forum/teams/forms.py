from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from forum import languages
from forum.forms_util import CheckboxesField
from forum.teams.labels import LABELS
from forum.teams.models import Permission

PERMISSION_CHOICES = [(p.value, LABELS[p]) for p in Permission]
# No DataRequired on the checkboxes: it would mark every box `required` (the browser would ask for all of
# them). teams.services refuses an empty choice, and the page shows that next to the boxes.


class AddMemberForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    permissions = CheckboxesField(_l("Permissions"), choices=PERMISSION_CHOICES)
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)],
                       description=_l("Only for someone without an account yet; an existing account keeps its name."))
    language = SelectField(_l("Language of the invitation"), choices=languages.choices(), validators=[Optional()],
                           description=_l("Only for someone without an account yet; others get the e-mail in "
                                          "their own language."))


class MemberForm(FlaskForm):
    """One member's permissions. The page repeats it (prefix "m<member id>-"); CSRFProtect checks the token."""

    class Meta:
        csrf = False

    permissions = CheckboxesField(_l("Permissions"), choices=PERMISSION_CHOICES)


class RemoveMemberForm(FlaskForm):
    pass
