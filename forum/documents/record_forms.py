"""The record form: the shape of the input only (every rule is in documents.records).

Fields are plain text and choices as typed; the service parses the date, the amount and the jobs, so an error
comes back next to its field with what was typed still in it. Party blocks are a FieldList
(`parties-<i>-<field>`): two by default, one more per "Add a party" (a submit button, so it works without
JavaScript). Titles are one per event language (`titles-<i>-title`, the language in a hidden field) with
the authoritative one chosen by a radio named `authoritative_language`.
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import MultiDict
from wtforms import (BooleanField, FieldList, Form, FormField, HiddenField, RadioField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import Optional

from forum.documents import labels, money, records
from forum.documents.models import Capacity, Ceremony, Confidentiality, DocKind
from forum.forms_util import CheckboxesField
from forum.registration import choices


class _Plain(Form):
    class Meta:
        # A plain Form inside a FieldList (no CSRF of its own) still speaks the reader's language.
        def get_translations(self, form):
            from flask_wtf.i18n import translations

            return translations


class TitleForm(_Plain):
    language = HiddenField()
    title = StringField(_l("Title"))


class PartyForm(_Plain):
    company = SelectField(_l("Registered company"), validate_choice=False,
                          description=_l("Pick it when the party is a company registered at this forum: its name "
                                         "and country are copied."))
    organisation = StringField(_l("Organisation"), description=_l("As written natively, e.g. Қазақстан сауда-"
                                                                   "өнеркәсіп палатасы"))
    country = SelectField(_l("Country"), validate_choice=False)
    kind = SelectField(_l("Kind of party"), validate_choice=False)
    signatory_name = StringField(_l("Signed by"), description=_l("Any script: 青葉 太郎, Әлихан Сәрсенов, "
                                                                  "Oʻktam Gʻulomov"))
    signatory_position = StringField(_l("Position"))
    signatory_registration = HiddenField()
    capacity = RadioField(_l("Signed"), validate_choice=False, default=Capacity.OWN.value)
    principal_name = StringField(_l("On behalf of (name)"))
    principal_position = StringField(_l("Principal's position"))
    poa_reference = StringField(_l("Power of attorney reference"), description=_l("e.g. No. 12/2024 of 3 May 2024"))
    exchanged_by_name = StringField(_l("Exchanged on stage by (if someone else)"))
    exchanged_by_position = StringField(_l("Their position"))
    side = SelectField(_l("Stands on the"), validate_choice=False)

    def offer(self, companies: list[tuple[str, str]]) -> None:
        self.company.choices = [("", str(_l("— not a registered company —")))] + companies
        self.country.choices = choices.country_choices()
        self.kind.choices = [("", str(_l("Choose…")))] + [(k.value, str(label))
                                                            for k, label in labels.PARTY_KINDS.items()]
        self.capacity.choices = [(k.value, str(label)) for k, label in labels.CAPACITIES.items()]
        self.side.choices = [("left", str(_l("Left"))), ("right", str(_l("Right")))]

    def to_input(self) -> records.PartyInput:
        return records.PartyInput(**{name: getattr(self, name).data or "" for name in (
            "organisation", "company", "country", "kind", "signatory_name", "signatory_position",
            "signatory_registration", "capacity", "principal_name", "principal_position", "poa_reference",
            "exchanged_by_name", "exchanged_by_position", "side")})


class RecordForm(FlaskForm):
    kind = SelectField(_l("Type"), validate_choice=False, default=DocKind.MOU.value)
    titles = FieldList(FormField(TitleForm), max_entries=records.MAX_TITLES)
    authoritative_language = RadioField(_l("Authoritative version"), validate_choice=False)
    signed_on = StringField(_l("Date signed"), description=_l("In the forum's time zone."))
    place = StringField(_l("Place"))
    ceremony = SelectField(_l("Exchanged"), validate_choice=False, default=Ceremony.MAIN_STAGE.value)
    parties = FieldList(FormField(PartyForm), min_entries=2, max_entries=records.MAX_PARTIES)
    exchanged_now = BooleanField(_l("It has been exchanged: mark it exchanged now"))
    sectors = CheckboxesField(_l("Sectors"), validators=[Optional()])
    value = StringField(_l("Value"), description=_l("Optional. Digits, e.g. 1 250 000 or 1,250,000.50"))
    currency = SelectField(_l("Currency"), validate_choice=False)
    expected_jobs = StringField(_l("Expected jobs"), description=_l("Optional."))
    confidentiality = SelectField(_l("Confidentiality"), validate_choice=False, default=Confidentiality.PUBLIC.value)
    counts_in_tally = BooleanField(_l("Counts in the public tally"), default=True)
    meetings = CheckboxesField(_l("Came out of these B2B meetings"), validators=[Optional()])
    notes = TextAreaField(_l("Organizers' notes"), description=_l("Seen only by the documents team."))
    scan = FileField(_l("Scanned signed copy (PDF or image)"),
                     description=_l("Optional; it can also be attached later."))

    def offer(self, *, languages: list[str], companies: list[tuple[str, str]], meetings: list[tuple[str, str]]) -> None:
        """Fill the choices; `languages`: the title rows (the event's, then any a title has)."""
        self.kind.choices = [(k.value, str(label)) for k, label in labels.KINDS.items()]
        self.ceremony.choices = [(k.value, str(label)) for k, label in labels.CEREMONIES.items()]
        self.confidentiality.choices = [(k.value, str(label)) for k, label in labels.CONFIDENTIALITY.items()]
        self.currency.choices = [("", "—")] + money.currency_choices()
        self.sectors.choices = list(choices.SECTORS.items())
        self.meetings.choices = meetings
        self.authoritative_language.choices = [(lang, choices.language_name(lang)) for lang in languages]
        by_lang = {e.form.language.data: e.form.title.data for e in self.titles.entries if e.form.language.data}
        while len(self.titles.entries):
            self.titles.pop_entry()
        for lang in languages:
            self.titles.append_entry({"language": lang, "title": by_lang.get(lang, "")})
        for entry in self.parties.entries:
            entry.form.offer(companies)

    def load(self, data: records.DocumentInput) -> None:
        for name in ("kind", "authoritative_language", "signed_on", "place", "ceremony", "sectors", "value",
                     "currency", "expected_jobs", "confidentiality", "counts_in_tally", "meetings", "notes"):
            getattr(self, name).data = getattr(data, name)
        while len(self.titles.entries):
            self.titles.pop_entry()
        for t in data.titles:
            self.titles.append_entry({"language": t.language, "title": t.title})
        while len(self.parties.entries):
            self.parties.pop_entry()
        for p in data.parties:
            self.parties.append_entry(p.__dict__)
        while len(self.parties.entries) < 2:
            self.parties.append_entry()

    def to_input(self) -> records.DocumentInput:
        return records.DocumentInput(
            titles=[records.TitleInput(e.form.language.data or "", e.form.title.data or "")
                    for e in self.titles.entries],
            authoritative_language=self.authoritative_language.data or "", kind=self.kind.data or "",
            signed_on=self.signed_on.data or "", place=self.place.data or "", ceremony=self.ceremony.data or "",
            sectors=list(self.sectors.data or []), value=self.value.data or "", currency=self.currency.data or "",
            expected_jobs=self.expected_jobs.data or "", confidentiality=self.confidentiality.data or "",
            counts_in_tally=bool(self.counts_in_tally.data), parties=[e.form.to_input() for e in self.parties.entries],
            meetings=list(self.meetings.data or []), exchanged_now=bool(self.exchanged_now.data),
            notes=self.notes.data or "")

    def party_company_ids(self) -> list[str]:
        return [e.form.company.data for e in self.parties.entries if e.form.company.data]


# What a party's or a title's input is called: '<list>-<index>-<field>', the index in ASCII digits.
_LIST_KEY = re.compile(r"(parties|titles)-([0-9]{1,3})-([a-z_]+)")


def record_formdata(formdata: MultiDict) -> tuple[MultiDict, int]:
    """The submitted form without malformed list keys ('parties-²-kind' would be a 500 in WTForms), and how
    many parties it holds (so the view refuses a 21st rather than FieldList dropping it unseen)."""
    out, parties = MultiDict(), set()
    for key, value in formdata.items(multi=True):
        if key.startswith(("parties", "titles")):
            m = _LIST_KEY.fullmatch(key)
            if m is None:
                continue
            if m.group(1) == "parties":
                parties.add(int(m.group(2)))
        out.add(key, value)
    return out, len(parties)


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Why is it withdrawn?"),
                           description=_l("Kept in the register and its history; shown to the documents team."))
