"""The company profile form: the shape of the input only (the rules are in meetings.profiles)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, TextAreaField
from wtforms.validators import Length, Optional

from forum.forms_util import CheckboxesField
from forum.meetings import profiles
from forum.registration import choices


class ProfileForm(FlaskForm):
    offers = TextAreaField(_l("What your company offers"), validators=[Optional(), Length(max=profiles.TEXT_MAX)],
                           description=_l("Products, technology, services, in any language (at most %(n)d characters).",
                                          n=profiles.TEXT_MAX))
    seeks = TextAreaField(_l("What your company seeks"), validators=[Optional(), Length(max=profiles.TEXT_MAX)],
                          description=_l("Technology needs, partners, investment, distribution… (at most %(n)d "
                                         "characters).", n=profiles.TEXT_MAX))
    seek_kinds = CheckboxesField(_l("You are looking for"), validators=[Optional()])
    sectors = CheckboxesField(_l("Sectors"), validators=[Optional()],
                              description=_l("At most %(n)d.", n=profiles.MAX_SECTORS))
    target_countries = SelectMultipleField(_l("Target countries"), validators=[Optional()],
                                           description=_l("Hold Ctrl (or ⌘) to choose several."))
    languages = CheckboxesField(_l("Languages your delegates speak"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seek_kinds.choices = list(profiles.SEEK_KIND_LABELS.items())
        self.sectors.choices = list(choices.SECTORS.items())
        self.target_countries.choices = choices.country_list()
        self.languages.choices = choices.language_choices()

    def load(self, data: profiles.ProfileInput) -> None:
        for name in profiles.EDITABLE:
            getattr(self, name).data = getattr(data, name)

    def to_input(self) -> profiles.ProfileInput:
        return profiles.ProfileInput(**{name: getattr(self, name).data or ([] if name not in ("offers", "seeks")
                                                                           else "")
                                        for name in profiles.EDITABLE})
