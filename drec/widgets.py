"""Widgets of the portal's forms."""

from django import forms


class CheckboxDropdown(forms.CheckboxSelectMultiple):
    """Several choices as a list of checkboxes in a dropdown (``<details>``): one click per
    choice, no Ctrl, and it works without JavaScript; its summary says "Any", the one choice
    ticked, or "3 selected". Rendered by templates/partials/checkbox_dropdown.html (the
    portal's field partial picks it by ``checkbox_dropdown``)."""

    checkbox_dropdown = True
