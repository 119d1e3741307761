"""Showing a service's refusal on a portal form, next to the fields it names."""

from collections.abc import Iterable
from typing import cast

from django import forms

from drec.errors import DomainError, Forbidden, NotFound, Unauthorized
from drec.inputs import object_id
from drec.permissions import FORBIDDEN
from organizations.models import Organization


def on_form(error: DomainError) -> DomainError:
    """``error`` when a form should show it (invalid input, a conflict, a refusal that says
    why). A denial of access or an object that is not the caller's is raised again: the portal
    answers it with the 403 or 404 page, as the API answers 403 or 404."""
    if isinstance(error, NotFound | Unauthorized) or (isinstance(error, Forbidden) and error.message == FORBIDDEN):
        raise error
    return error


def show_error(form: forms.BaseForm, error: DomainError) -> None:
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

    def valid_value(self, value: object) -> bool:
        return object_id(value) is not None


Choices = list[tuple[str, str]]


def set_choices(
    form: forms.Form, *, organizations: Iterable[Organization] | None, blank: str = "All", **options: Choices
) -> None:
    """Fill the options of ``form``'s choice fields: ``organizationId`` offers ``organizations``
    after ``blank``, or is dropped when ``organizations`` is None (the caller acts for its own
    organization only); each field named in ``options`` offers those."""
    if organizations is None:
        del form.fields["organizationId"]
    else:
        options = {"organizationId": [("", blank), *((str(o.pk), o.name) for o in organizations)], **options}
    for name, choices in options.items():
        cast(forms.ChoiceField, form.fields[name]).choices = choices
