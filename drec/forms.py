"""Showing a service's refusal on a portal form, next to the fields it names."""

from django import forms

from drec.errors import DomainError


def show_error(form: forms.Form, error: DomainError) -> None:
    """Attach ``error`` to ``form``: each named field gets its reasons, the rest goes on top."""
    placed = False
    if isinstance(error.errors, dict):
        for field, reasons in error.errors.items():
            if field in form.fields:
                for reason in reasons if isinstance(reasons, list) else [reasons]:
                    form.add_error(field, str(reason))
                placed = True
    if not placed:
        form.add_error(None, error.message)
