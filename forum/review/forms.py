from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from forum import languages

ACTION_CHOICES = [("approve", _l("Approve")), ("reject", _l("Reject")), ("waitlist", _l("Waitlist"))]


class DecisionForm(FlaskForm):
    class Meta:
        # The page repeats this form (one per late entry); the app-wide CSRFProtect checks the token.
        csrf = False

    action = SelectField(_l("Decision"), choices=ACTION_CHOICES + [("reconsider", _l("Reconsider (back to pending)"))])
    reason = TextAreaField(_l("Reason for the decision"), validators=[Optional(), Length(max=2000)],
                           description=_l("Required to reject (the company receives it), to reconsider a rejection "
                                          "and to override the capacity."))
    override_capacity = BooleanField(_l("Approve even though the forum is full"))


class BulkForm(FlaskForm):
    action = SelectField(_l("With the selected"), choices=[("", _l("Choose…"))] + ACTION_CHOICES)
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=2000)])


class InvitationForm(FlaskForm):
    company_name = StringField(_l("Company"), validators=[DataRequired(), Length(max=300)])
    email = EmailField(_l("E-mail to send the link to"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    days_valid = IntegerField(_l("Valid for (days)"), default=7, validators=[DataRequired(), NumberRange(min=1, max=60)])
    auto_approve = BooleanField(_l("Approve the delegates as soon as the form is submitted"))
    language = SelectField(_l("Language of the e-mail"), choices=languages.choices())
    note = TextAreaField(_l("Note for the organizers (not sent)"), validators=[Optional(), Length(max=1000)])


class CategoryRequestForm(FlaskForm):
    """Confirm or decline the category a delegate asked for on the public form."""

    decision = SelectField(choices=[("confirm", _l("Confirm")), ("decline", _l("Decline"))])
