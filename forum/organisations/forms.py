"""Forms of the organisations pages: their shape only; the rules are in organisations.services."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from forum.organisations.models import OrgKind
from forum.organisations.services import OrganisationInput
from forum.registration import choices

KIND_LABELS = {
    OrgKind.COMPANY.value: _l("Company"),
    OrgKind.GOVERNMENT.value: _l("Government body"),
    OrgKind.STATE_COMPANY.value: _l("State company"),
    OrgKind.ASSOCIATION.value: _l("Association or chamber"),
    OrgKind.UNIVERSITY.value: _l("University"),
    OrgKind.INTERNATIONAL.value: _l("International organisation"),
    OrgKind.OTHER.value: _l("Other"),
}


def kind_label(value) -> str:
    value = getattr(value, "value", value)
    return str(KIND_LABELS.get(value, value))


class OrganisationForm(FlaskForm):
    legal_name = StringField(_l("Legal name, as written natively"), validators=[DataRequired(), Length(max=300)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=300)])
    country = SelectField(_l("Country"), validators=[DataRequired()])
    city = StringField(_l("City"), validators=[Optional(), Length(max=120)])
    sector = SelectField(_l("Sector"), validators=[Optional()])
    website = StringField(_l("Website"), validators=[Optional(), Length(max=300)],
                          description=_l("Its domain joins registrations that give the same website."))
    kind = SelectField(_l("Kind"), choices=list(KIND_LABELS.items()))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = choices.country_list()
        self.sector.choices = [("", "—")] + [c for c in choices.sector_choices() if c[0]]

    def load(self, org) -> None:
        for name in ("legal_name", "name_en", "country", "city", "sector", "website"):
            getattr(self, name).data = getattr(org, name)
        self.kind.data = org.kind.value

    def to_input(self) -> OrganisationInput:
        return OrganisationInput(legal_name=self.legal_name.data or "", name_en=self.name_en.data or "",
                                 country=self.country.data or "", city=self.city.data or "",
                                 sector=self.sector.data or "", website=self.website.data or "",
                                 kind=self.kind.data or "")


class MergeForm(FlaskForm):
    keep = HiddenField(validators=[DataRequired()])
    away = HiddenField(validators=[DataRequired()])
    confirm = BooleanField(_l("Yes, move every registration and merge these two organisations."),
                           validators=[DataRequired(message=_l("Tick the box to confirm the merge."))])
