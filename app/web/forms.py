"""Form errors on pages: the services' own messages, placed next to the field they are about.

The result is the ``errors`` mapping the templates take (``ui.field_errors(errors, "email")`` next to a
field, ``ui.form_errors(errors)`` at the top): one key per field the form shows, and ``body`` for
every other problem, as whole sentences.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from pydantic import ValidationError

from app.api.errors import validation_fields
from app.exceptions import ConduitError

FormErrors = dict[str, list[str]]


def sentence(message: str) -> str:
    """``"email or password is invalid"`` → ``"Email or password is invalid"``."""
    return message[:1].upper() + message[1:]


def by_field(fields: Mapping[str, Sequence[str]], shown: Collection[str]) -> FormErrors:
    """Problems with a field the form shows stay with it; the others go in the list at the top."""
    errors: FormErrors = {}
    for field, problems in fields.items():
        if field in shown:
            errors.setdefault(field, []).extend(problems)
        else:
            errors.setdefault("body", []).extend(sentence(f"{field} {problem}") for problem in problems)
    return errors


def from_validation(error: ValidationError, shown: Collection[str]) -> FormErrors:
    """The same messages the API gives for this input (``{"username": ["can't be blank"]}``)."""
    return by_field(validation_fields(error.errors()), shown)


def from_service(error: ConduitError, shown: Collection[str]) -> FormErrors:
    """A rule a service checked (a taken username...), or its message when no field is named."""
    return by_field(error.fields, shown) or {"body": [sentence(error.message)]}
