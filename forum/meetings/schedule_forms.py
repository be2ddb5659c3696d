from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from forum.meetings.scheduling import MAX_SECONDS, MIN_SECONDS


class RunForm(FlaskForm):
    time_limit = IntegerField(_l("Time limit (seconds)"), validators=[
        InputRequired(_l("Give the scheduler a time limit.")),
        NumberRange(min=MIN_SECONDS, max=MAX_SECONDS,
                    message=_l("Between %(min)s and %(max)s seconds."))],
        description=_l("The scheduler stops at the proven best plan, or at this limit with the best plan found."))


class PublishForm(FlaskForm):
    confirm = BooleanField(_l("Yes, publish this schedule and e-mail the delegates whose meetings change"),
                           validators=[DataRequired(_l("Tick the box to confirm."))])
