"""The message forms: the shape of the input only. The filter is read by announcements.targeting.parse and the texts
are checked by announcements.services (NFC, lengths, one line, pairs), each in one place."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import Optional
from wtforms.widgets import HiddenInput

from forum import languages
from forum.announcements import targeting
from forum.forms_util import CheckboxesField
from forum.registration import choices
from forum.registration.models import ACTIVE_STATES, Category, RegState


def _tri(label):
    return RadioField(label, choices=[(t.value, targeting.TRI_LABELS[t]) for t in targeting.Tri],
                      default=targeting.Tri.ANY.value, validate_choice=False)


class ComposeForm(FlaskForm):
    # Filter (choices are set by the view where they depend on the forum or the reader)
    state = CheckboxesField(_l("Registration state"), choices=[], validate_choice=False,
                            default=[s.value for s in ACTIVE_STATES])
    country = CheckboxesField(_l("Company country (none ticked: any)"), choices=[], validate_choice=False)
    category = CheckboxesField(_l("Category (none ticked: any)"), choices=[], validate_choice=False)
    language = CheckboxesField(_l("The recipient's language (none ticked: any)"), choices=[],
                               validate_choice=False)
    late = _tri(_l("Late entry"))
    checked_in = _tri(_l("Checked in at the venue"))
    meetings = _tri(_l("Has scheduled B2B meetings"))

    def set_choices(self, countries: list[str]) -> None:
        from forum.registration.states import state_label

        self.state.choices = [(s.value, state_label(s)) for s in RegState]
        self.country.choices = [(c, choices.country_name(c)) for c in countries]
        self.category.choices = [(c.value, choices.category_label(c.value)) for c in Category]
        self.language.choices = [(c, f"{name} ({c})") for c, name in languages.choices()]

    def load_filter(self, flt: targeting.Filter) -> None:
        d = flt.as_dict()
        for name in targeting.MULTI_FIELDS + targeting.TRI_FIELDS:
            getattr(self, name).data = d[name]

    def texts(self) -> tuple[dict[str, str], dict[str, str]]:
        return ({c: getattr(self, f"subject_{c}").data or "" for c in languages.CODES},
                {c: getattr(self, f"body_{c}").data or "" for c in languages.CODES})

    def load_texts(self, subjects: dict, bodies: dict) -> None:
        for c in languages.CODES:
            getattr(self, f"subject_{c}").data = (subjects or {}).get(c, "")
            getattr(self, f"body_{c}").data = (bodies or {}).get(c, "")


# One subject and one body per language, each marked with its language (`lang`) for spell checkers and readers.
for _code in languages.CODES:
    setattr(ComposeForm, f"subject_{_code}", StringField(_l("Subject"), render_kw={"lang": _code}))
    setattr(ComposeForm, f"body_{_code}", TextAreaField(_l("Message"), render_kw={"lang": _code, "rows": 8}))


class ConfirmForm(FlaskForm):
    confirm = BooleanField(_l("Yes"))
    # The number of people the organizer saw and confirmed (send); the service refuses when it has changed.
    expected = IntegerField(validators=[Optional()], widget=HiddenInput())
