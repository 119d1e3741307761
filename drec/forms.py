"""Showing a service's refusal on a portal form, next to the fields it names."""

from django import forms

from drec.errors import DomainError, Forbidden, NotFound, Unauthorized
from drec.permissions import FORBIDDEN


def on_form(error: DomainError) -> DomainError:
    """``error`` when a form should show it (invalid input, a conflict, a refusal that says
    why). A denial of access or an object that is not the caller's is raised again: the portal
    answers it with the 403 or 404 page, as the API answers 403 or 404."""
    if isinstance(error, NotFound | Unauthorized) or (isinstance(error, Forbidden) and error.message == FORBIDDEN):
        raise error
    return error


def show_error(form: forms.Form, error: DomainError) -> None:
    """Attach ``error`` to ``form``: each named field gets its reasons, the rest goes on top."""
    on_form(error)
    placed = False
    if isinstance(error.errors, dict):
        for field, reasons in error.errors.items():
            if field in form.fields:
                for reason in reasons if isinstance(reasons, list) else [reasons]:
                    form.add_error(field, str(reason))
                placed = True
    if not placed:
        form.add_error(None, error.message)


class OrganizationChoiceField(forms.ChoiceField):
    """The organization one acts for, picked from the caller's list. Any whole number passes
    here: whether the caller may act for it is the tenancy selector's answer (404 for one
    outside its tenant, as the API answers), not the list's."""

    def valid_value(self, value) -> bool:
        return str(value).isdigit()
