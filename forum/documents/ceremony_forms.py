"""The ceremony pages' forms: the shape of the input only; forum.documents.ceremony judges every value, so a
hostile one comes back as an error next to its field."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length

from forum.documents.ceremony import MAX_LANGUAGES
from forum.registration.choices import language_choices

LANGUAGE_FIELDS = tuple(f"language_{i}" for i in range(1, MAX_LANGUAGES + 1))


class _Language(SelectField):
    """A language of the event; the service checks the value (an unknown one is an error, not a 400)."""

    def pre_validate(self, form) -> None:
        pass


class SettingsForm(FlaskForm):
    prefix = StringField(_l("Prefix of the register numbers"), validators=[Length(max=40)],
                         description=_l("E.g. CAJ-2024 gives CAJ-2024-001. A new prefix applies to documents "
                                        "recorded from now on."))
    language_1 = _Language(_l("First language of the event"))
    language_2 = _Language(_l("Second language"))
    language_3 = _Language(_l("Third language"))
    language_4 = _Language(_l("Fourth language"))
    language_5 = _Language(_l("Fifth language"))
    language_6 = _Language(_l("Sixth language"))
    ceremony_at = StringField(_l("Ceremony starts at"), validators=[Length(max=40)],
                              render_kw={"type": "datetime-local"}, description=_l("Forum-local time. May be empty."))
    ceremony_place = StringField(_l("Ceremony place"), validators=[Length(max=400)],
                                 description=_l("E.g. “Main hall, Palace of Independence”."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _l("—"))] + language_choices()
        for name in LANGUAGE_FIELDS:
            getattr(self, name).choices = choices

    def languages(self) -> list[str]:
        return [getattr(self, name).data or "" for name in LANGUAGE_FIELDS]


class MoveForm(FlaskForm):
    position = StringField(_l("Move to place"), validators=[Length(max=10)], render_kw={"inputmode": "numeric"})
