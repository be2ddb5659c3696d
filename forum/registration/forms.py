from __future__ import annotations

import re

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, EmailField, FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Email, Length, Optional

from forum import languages as ui_languages
from forum.forms_util import CheckboxesField
from forum.registration import choices
from forum.registration.services import MAX_DELEGATES, CompanyInput, DelegateInput


class PersonFields:
    """A delegate's own fields, as the registration form, a correction and a substitution ask for them."""

    full_name = StringField(_l("Full name, as written natively"), validators=[DataRequired(), Length(max=200)],
                            description=_l("For example 山田 太郎, Әлия Нұрланқызы, Oʻktam Gʻulomov"))
    latin_name = StringField(_l("Name in Latin letters"), validators=[DataRequired(), Length(max=200)],
                             description=_l("As in the passport, e.g. YAMADA Taro"))
    position = StringField(_l("Position"), validators=[Optional(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)],
                        description=_l("With country code, e.g. +81 90 1234 5678"))
    languages = CheckboxesField(_l("Languages spoken"), validators=[Optional()])


class DelegateForm(PersonFields, Form):
    class Meta:
        # A plain Form (no CSRF of its own inside the FieldList) still speaks the reader's language.
        def get_translations(self, form):
            from flask_wtf.i18n import translations

            return translations

    category = SelectField(_l("Category"), choices=choices.CATEGORIES.items(), default="delegate")
    language = SelectField(_l("Correspondence language"), choices=ui_languages.choices(),
                           default=lambda: ui_languages.known(str(get_locale() or "")))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.languages.choices = choices.language_choices()


class RegistrationForm(FlaskForm):
    legal_name = StringField(_l("Company legal name, as written natively"), validators=[DataRequired(), Length(max=300)])
    name_en = StringField(_l("Company name in English"), validators=[DataRequired(), Length(max=300)])
    country = SelectField(_l("Country"), validators=[DataRequired()])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=120)])
    sector = SelectField(_l("Sector"), validators=[DataRequired()])
    website = StringField(_l("Website"), validators=[Optional(), Length(max=300), URL(require_tld=True)],
                          description=_l("Optional, e.g. https://example.kz"))
    profile = TextAreaField(_l("Short company profile"), validators=[Optional(), Length(max=2000)],
                            description=_l("What you do and what partners you look for (at most 2000 characters)."))
    contact_name = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=200)])
    contact_email = EmailField(_l("Contact e-mail"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
                               description=_l("Confirmations go here; it becomes the company's sign-in."))
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=40)])
    contact_position = StringField(_l("Contact person's position"), validators=[Optional(), Length(max=200)])
    delegates = FieldList(FormField(DelegateForm), min_entries=1, max_entries=MAX_DELEGATES)
    directory_consent = BooleanField(_l("The company and its delegates may appear in the participant directory"))
    privacy_accepted = BooleanField(_l("I have read the privacy notice and agree to it"),
                                    validators=[DataRequired(message=_l("Registration needs your agreement to the privacy notice."))])
    late_reason = TextAreaField(_l("Why are you registering after the deadline?"), validators=[Optional(), Length(max=2000)])
    endorsed_by = StringField(_l("Endorsing organisation (optional)"), validators=[Optional(), Length(max=300)],
                              description=_l("For example a chamber of commerce that supports your request."))
    # The honeypot: hidden from people (CSS), left empty by them; a bot that fills every field fills it too.
    comment = StringField(_l("Leave this field empty"), validators=[Optional()])

    def __init__(self, *args, late: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = choices.country_choices()
        self.sector.choices = choices.sector_choices()
        if late:
            self.late_reason.validators = [DataRequired(message=_l("Tell the organizers why you are registering after the deadline.")), Length(max=2000)]
            self.late_reason.flags.required = True  # flags were set from the class's validators: mark it too

    def offer_categories(self, values: list[str] | None) -> None:
        """Offer only these delegate categories (the forum's public ones); None: all (an organizer's entry)."""
        if values is None:
            return
        for entry in self.delegates.entries:
            field = entry.form.category
            field.choices = [(v, label) for v, label in choices.CATEGORIES.items() if v in values]
            if len(values) > 1:
                field.description = _l("Speaker, press and VIP are requests: the organizers confirm them.")

    def to_input(self, language: str) -> CompanyInput:
        return CompanyInput(
            legal_name=self.legal_name.data, name_en=self.name_en.data, country=self.country.data, city=self.city.data,
            sector=self.sector.data, website=self.website.data or "", profile=self.profile.data or "",
            contact_name=self.contact_name.data, contact_email=self.contact_email.data,
            contact_phone=self.contact_phone.data or "", contact_position=self.contact_position.data or "",
            directory_consent=bool(self.directory_consent.data), privacy_accepted=bool(self.privacy_accepted.data),
            late_reason=self.late_reason.data or "", endorsed_by=self.endorsed_by.data or "", language=language,
            delegates=[
                DelegateInput(
                    full_name=e.form.full_name.data, latin_name=e.form.latin_name.data, email=e.form.email.data,
                    position=e.form.position.data or "", phone=e.form.phone.data or "",
                    languages=list(e.form.languages.data or []), category=e.form.category.data,
                    language=e.form.language.data,
                )
                for e in self.delegates.entries
            ],
        )


# What a delegate's input is called: 'delegates-<index>-<field>', the index in ASCII digits.
_DELEGATE_KEY = re.compile(r"delegates-([0-9]{1,6})-([a-z_]+)")


def delegate_formdata(formdata: MultiDict) -> tuple[MultiDict, int]:
    """The submitted form without malformed delegate keys, and how many delegates it holds.

    WTForms reads the index with int() after str.isdigit(), which is true for '²' (a 500); a key
    such as 'delegates-x' or 'delegates-²-email' is no field of this form and is left out. The
    count lets the view refuse an 11th delegate instead of FieldList dropping it without a word.
    """
    out, indices = MultiDict(), set()
    for key, value in formdata.items(multi=True):
        if key.startswith("delegates"):
            m = _DELEGATE_KEY.fullmatch(key)
            if m is None:
                continue
            indices.add(int(m.group(1)))
        out.add(key, value)
    return out, len(indices)


def with_delegate_removed(formdata: MultiDict, index: int) -> MultiDict:
    """The submitted form with delegate `index` taken out and the later ones renumbered."""
    out = MultiDict()
    for key, value in formdata.items(multi=True):
        m = _DELEGATE_KEY.fullmatch(key)
        if m is not None:
            n, rest = int(m.group(1)), m.group(2)
            if n == index:
                continue
            key = f"delegates-{n - 1 if n > index else n}-{rest}"
        elif key.startswith("delegates"):
            continue
        out.add(key, value)
    return out


class DisputeForm(FlaskForm):
    """Only the CSRF token: the link's token says which registration."""


class WithdrawForm(FlaskForm):
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=500)])


class CorrectionForm(PersonFields, FlaskForm):
    """A delegate's data as a badge and the forum's e-mails use it (registration.corrections)."""

    language = SelectField(_l("Correspondence language"), choices=ui_languages.choices())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.languages.choices = choices.language_choices()

    def load(self, values) -> None:
        for name in ("full_name", "latin_name", "position", "email", "phone", "language"):
            getattr(self, name).data = getattr(values, name)
        self.languages.data = list(values.languages or [])

    def values(self) -> dict:
        return dict(full_name=self.full_name.data or "", latin_name=self.latin_name.data or "",
                    position=self.position.data or "", email=self.email.data or "", phone=self.phone.data or "",
                    languages=list(self.languages.data or []), language=self.language.data or "")


class SubstituteForm(CorrectionForm):
    """The colleague who goes instead, and the confirmation: the replaced delegate's registration is withdrawn."""

    confirm = BooleanField(_l("Yes, withdraw this delegate and register the colleague in their place. "
                              "This cannot be undone here."),
                           validators=[DataRequired(message=_l("Tick the box to confirm the substitution."))])


class CompanyNamesForm(FlaskForm):
    legal_name = StringField(_l("Company legal name, as written natively"), validators=[DataRequired(), Length(max=300)])
    name_en = StringField(_l("Company name in English"), validators=[DataRequired(), Length(max=300)])


class AcknowledgeForm(FlaskForm):
    """Only the CSRF token: the organizer has seen what changed since the approval."""
