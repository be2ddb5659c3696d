"""Small helpers shared by forms in every domain."""
from __future__ import annotations

from wtforms import Form, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def field_by_name(form: Form, name: str):
    """'delegates-1-email' -> form.delegates[1].form.email, or None."""
    for field in form:
        if field.name == name:
            return field
        if hasattr(field, "entries"):
            for entry in field.entries:
                sub = getattr(entry, "form", None)
                if sub is not None:
                    found = field_by_name(sub, name)
                    if found is not None:
                        return found
    return None


def apply_errors(form: Form, errors: dict[str, str]) -> list[str]:
    """Put service errors next to their fields; return those with no field to go next to.

    A field that already shows an error (from the form's own checks) keeps just that one.
    """
    orphans = []
    for name, message in errors.items():
        field = field_by_name(form, name)
        if field is None:
            orphans.append(message)
        elif not field.errors:
            field.errors = [message]
    return orphans


def show_error(form: Form, error) -> bool:
    """A service's DomainError next to its field when the form has that field, else as a flash message.

    Returns True when it went next to a field (the input was wrong: 422) and False otherwise (the
    request was fine but the action is not possible now: 409).
    """
    from flask import flash

    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        flash(error.message, "error")
        return False
    field.errors = [error.message]
    return True
