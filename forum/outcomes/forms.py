"""The outcome form: the shape of the input only (the rules are in outcomes.services)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.fields import DateField
from wtforms.validators import InputRequired, Optional

from forum.outcomes.models import NEXT_STEP_MAX, OutcomeKind

KIND_LABELS = {
    OutcomeKind.NOT_HELD: _l("Did not take place"),
    OutcomeKind.NO_INTEREST: _l("No common interest"),
    OutcomeKind.INFORMATIVE: _l("Informative"),
    OutcomeKind.COOPERATION: _l("Cooperation likely"),
}


def kind_label(kind: OutcomeKind | str | None) -> str:
    if kind is None:
        return str(_l("Not recorded"))
    return str(KIND_LABELS.get(OutcomeKind(kind), kind))


class OutcomeForm(FlaskForm):
    kind = RadioField(_l("What did the meeting lead to?"), choices=[(k.value, v) for k, v in KIND_LABELS.items()],
                      validators=[InputRequired(message=_l("Choose what the meeting led to."))])
    # No Length validator: the service counts after NFC (what is stored), in one place.
    next_step = TextAreaField(_l("Next step (optional)"), validators=[Optional()], render_kw={"rows": 2},
                              description=_l("For example: send a price offer; visit the plant (at most %(n)d "
                                             "characters).", n=NEXT_STEP_MAX))
    next_step_on = DateField(_l("Date of the next step (optional)"), validators=[Optional()])
    # Choices are the documents the delegate's company signed (set by the view); "" is none.
    document = SelectField(_l("Signed document (optional)"), choices=[], validate_choice=False)
