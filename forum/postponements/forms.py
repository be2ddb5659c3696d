from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from forum import languages
from forum.forums.forms import FMT
from forum.postponements.models import Answer

REASON_LANGUAGES = languages.CODES


class PostponeForm(FlaskForm):
    starts_local = DateTimeLocalField(_l("New start"), format=FMT, validators=[DataRequired()],
                                      description=_l("In the forum's time zone."))
    ends_local = DateTimeLocalField(_l("New end"), format=FMT, validators=[DataRequired()])
    answer_by_local = DateTimeLocalField(_l("Delegates answer by"), format=FMT, validators=[DataRequired()],
                                         description=_l("Their personal links work until then; before the new start."))
    reason_en = TextAreaField(_l("Reason (English)"), validators=[Optional(), Length(max=2000)])
    reason_ja = TextAreaField(_l("Reason (Japanese)"), validators=[Optional(), Length(max=2000)])
    reason_ru = TextAreaField(_l("Reason (Russian)"), validators=[Optional(), Length(max=2000)])
    reason_kk = TextAreaField(_l("Reason (Kazakh)"), validators=[Optional(), Length(max=2000)])
    reason_uz = TextAreaField(_l("Reason (Uzbek)"), validators=[Optional(), Length(max=2000)])
    confirm = BooleanField(_l("Yes, move the forum to these dates and ask every delegate whether they still attend."),
                           validators=[DataRequired(message=_l("Tick the box to confirm the postponement."))])

    def reasons(self) -> dict[str, str]:
        return {lang: getattr(self, f"reason_{lang}").data or "" for lang in REASON_LANGUAGES
                if hasattr(self, f"reason_{lang}")}


class RemindForm(FlaskForm):
    confirm = BooleanField(_l("Yes, send one reminder to each delegate who has not answered."),
                           validators=[DataRequired(message=_l("Tick the box to confirm the reminders."))])


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    answer = SelectField(_l("Answer"), validators=[Optional()], choices=[
        ("", _l("All")), (Answer.PENDING.value, _l("Not answered")), (Answer.CONFIRMED.value, _l("Still attend")),
        (Answer.DECLINED.value, _l("Cannot attend"))])


class ConfirmForm(FlaskForm):
    pass


class DeclineForm(FlaskForm):
    confirm = BooleanField(_l("Yes, I cannot attend: give up my place."),
                           validators=[DataRequired(message=_l("Tick the box to confirm that you give up your place."))])
