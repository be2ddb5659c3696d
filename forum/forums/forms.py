from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from forum.forms_util import CheckboxesField
from forum.forums.models import TEXT_FIELDS, TEXT_LANGUAGES, ForumStatus, WaitlistMode
from forum.forums.services import ForumInput, text_field_name
from forum.registration import choices

COMMON_ZONES = ["Asia/Almaty", "Asia/Tashkent", "Asia/Bishkek", "Asia/Dushanbe", "Asia/Ashgabat", "Asia/Tokyo",
                "Asia/Aqtobe", "Asia/Samarkand", "Europe/Moscow", "UTC"]
FMT = "%Y-%m-%dT%H:%M"


class ForumForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)], render_kw={"lang": "en"})
    slug = StringField(_l("Address (slug)"), validators=[DataRequired(), Length(max=80)],
                       description=_l("Part of the web address: lower-case letters, digits, hyphens."))
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)])
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=200)], render_kw={"lang": "en"})
    country = SelectField(_l("Country"), validators=[DataRequired()])
    timezone = SelectField(_l("Time zone"), validators=[DataRequired()],
                           description=_l("All times below are in this zone."))
    starts_local = DateTimeLocalField(_l("Starts"), format=FMT, validators=[DataRequired()])
    ends_local = DateTimeLocalField(_l("Ends"), format=FMT, validators=[DataRequired()])
    opens_local = DateTimeLocalField(_l("Registration opens"), format=FMT, validators=[DataRequired()])
    closes_local = DateTimeLocalField(_l("Registration closes"), format=FMT, validators=[DataRequired()])
    capacity = IntegerField(_l("Capacity (approved delegates at most)"), validators=[DataRequired(), NumberRange(min=1, max=100000)])
    status = SelectField(_l("Status"), choices=[(s.value, s.value) for s in ForumStatus])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10_000)], render_kw={"lang": "en", "rows": 5})
    practical_info = TextAreaField(_l("Practical information"), validators=[Optional()],
                                   render_kw={"lang": "en", "rows": 5},
                                   description=_l("Visa, transport, dress code. Plain text: an empty line starts a new paragraph."))
    programme = TextAreaField(_l("Programme"), validators=[Optional()],
                              render_kw={"lang": "en", "rows": 5}, description=_l("Plain text: one line per item, an empty line between days."))
    public_categories = CheckboxesField(
        _l("Categories the public form may ask for"), validators=[Optional()],
        description=_l("Delegate is always offered. Speaker, press and VIP chosen on the form are requests: "
                       "you confirm them on the registration's page."))

    badge_deadline_local = DateTimeLocalField(
        _l("Badge deadline"), format=FMT, validators=[Optional()],
        description=_l("Until then, contact persons and delegates correct names, e-mail and languages themselves; "
                       "after it only your team can. Empty: until the forum starts."))
    allow_substitutions = BooleanField(_l("Contact persons may send a colleague in a delegate's place (substitution)"),
                                       default=True)
    waitlist_mode = SelectField(
        _l("When an approved delegate gives up their place"),
        choices=[(WaitlistMode.AUTO.value, _l("Approve the first delegate on the waiting list automatically")),
                 (WaitlistMode.ASK.value, _l("Ask me: show the free place and whom to promote"))],
        default=WaitlistMode.AUTO.value,
        description=_l("Also when you raise the capacity. The waiting list is in the order delegates were put on it."))

    def __init__(self, *args, cancelled: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = choices.country_list()
        from zoneinfo import available_timezones

        rest = sorted(z for z in available_timezones() if "/" in z and z not in COMMON_ZONES)
        self.timezone.choices = [(z, z) for z in COMMON_ZONES] + [(z, z) for z in rest]
        from forum.templating import status_label

        # Cancelling is its own confirmed action, never a choice here; a cancelled forum shows just that.
        self.status.choices = [(s.value, status_label(s.value)) for s in ForumStatus
                               if (s is ForumStatus.CANCELLED) == cancelled]
        self.public_categories.choices = list(choices.CATEGORIES.items())

    def to_input(self) -> ForumInput:
        return ForumInput(
            slug=self.slug.data, title=self.title.data, city=self.city.data, venue=self.venue.data or "",
            country=self.country.data, timezone=self.timezone.data, starts_local=self.starts_local.data,
            ends_local=self.ends_local.data, opens_local=self.opens_local.data, closes_local=self.closes_local.data,
            capacity=self.capacity.data, status=self.status.data, description=self.description.data or "",
            public_categories=list(self.public_categories.data or []),
            badge_deadline_local=self.badge_deadline_local.data, allow_substitutions=bool(self.allow_substitutions.data),
            waitlist_mode=self.waitlist_mode.data or WaitlistMode.AUTO.value,
            practical_info=self.practical_info.data or "", programme=self.programme.data or "",
            texts={lang: {field: self.text_field(lang, field).data or "" for field in TEXT_FIELDS}
                   for lang in TEXT_LANGUAGES},
        )

    def text_field(self, lang: str, field: str):
        """The field of one forum text in one language (English: the forum's own title, venue ...)."""
        return self[text_field_name(lang, field)]

    def filled(self) -> dict[str, list[str]]:
        """Like forums.content.filled, for what the form holds now: {language: [fields with text]}."""
        return {lang: [field for field in TEXT_FIELDS if (self.text_field(lang, field).data or "").strip()]
                for lang in ("en",) + TEXT_LANGUAGES}

    def language_has_errors(self, lang: str) -> bool:
        return any(self.text_field(lang, field).errors for field in TEXT_FIELDS)

    def load(self, forum) -> None:
        for name in ("title", "slug", "city", "venue", "country", "timezone", "capacity", "description",
                     "practical_info", "programme"):
            getattr(self, name).data = getattr(forum, name)
        for row in forum.texts:
            for field in TEXT_FIELDS:
                self.text_field(row.language, field).data = getattr(row, field) or ""
        self.status.data = forum.status.value
        self.waitlist_mode.data = forum.waitlist_mode.value
        self.public_categories.data = list(forum.public_categories or ["delegate"])
        self.allow_substitutions.data = forum.allow_substitutions
        self.badge_deadline_local.data = (forum.local(forum.badge_deadline).replace(tzinfo=None)
                                          if forum.badge_deadline else None)
        for field, attr in (("starts_local", "starts_at"), ("ends_local", "ends_at"),
                            ("opens_local", "registration_opens_at"), ("closes_local", "registration_closes_at")):
            getattr(self, field).data = forum.local(getattr(forum, attr)).replace(tzinfo=None)


# The other languages' texts: ja_title, ja_venue ... uz_programme, each marked with its language (`lang`) so that
# browsers, screen readers and fonts treat it as that language. Their labels are the English fields' ones: the
# fieldset around them is named in the language itself.
_TEXT_LABELS = {"title": _l("Title"), "venue": _l("Venue"), "description": _l("Description"),
                "practical_info": _l("Practical information"), "programme": _l("Programme")}
for _lang in TEXT_LANGUAGES:
    for _field in TEXT_FIELDS:
        _cls = StringField if _field in ("title", "venue") else TextAreaField
        setattr(ForumForm, text_field_name(_lang, _field),
                _cls(_TEXT_LABELS[_field], validators=[Optional()],  # lengths: the service's (after NFC)
                     render_kw={"lang": _lang} if _cls is StringField else {"lang": _lang, "rows": 5}))
del _lang, _field, _cls


class ReopenForumForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(message=_l("Give the reason: everyone restored receives it.")),
                                                     Length(max=2000)],
                           description=_l("Sent to every delegate and contact person restored, in the e-mail that tells them."))
    confirm = BooleanField(_l("Yes, reopen this forum, restore these registrations and tell these people."),
                           validators=[DataRequired(message=_l("Tick the box to confirm the reopening."))])


# Each reason's label is written in its own language, whatever the page's: the organizer sees at once which
# box is which language, as the language switcher names each language in itself (forum.languages).
REASON_LABELS = {"en": "Reason (English)", "ja": "理由（日本語）", "ru": "Причина (русский)",
                 "kk": "Себебі (қазақша)", "uz": "Sabab (oʻzbekcha)"}


def _reason(lang: str) -> TextAreaField:
    return TextAreaField(REASON_LABELS[lang], validators=[Optional(), Length(max=2000)],
                         render_kw={"lang": lang, "rows": 3})


class CancelReasonsForm(FlaskForm):
    """Cancelling a forum: the reason in any of the five languages (at least one: the service checks), and
    the confirmation. Each registrant reads the reason in their language, or the nearest one given."""

    reason_en = _reason("en")
    reason_ja = _reason("ja")
    reason_ru = _reason("ru")
    reason_kk = _reason("kk")
    reason_uz = _reason("uz")
    confirm = BooleanField(_l("Yes, cancel this forum and tell everyone registered."),
                           validators=[DataRequired(message=_l("Tick the box to confirm the cancellation."))])

    def reason_fields(self):
        return [(lang, getattr(self, f"reason_{lang}")) for lang in REASON_LABELS]

    def reasons(self) -> dict[str, str | None]:
        return {lang: f.data for lang, f in self.reason_fields()}
