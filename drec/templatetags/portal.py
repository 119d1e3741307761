"""Template helpers of the portal: form fields in the portal's look, and the access check."""

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms, template
from django.utils import timezone
from django.utils.safestring import SafeString

from accounts.models import ROLE_LABELS, User
from acl.selectors import granted_masks
from drec.formats import people_date, people_moment
from drec.routes import portal_actions

T = TypeVar("T")

register = template.Library()


@register.filter
def control(field: forms.BoundField) -> SafeString:
    """Render a form field's widget with Bootstrap's classes (and the invalid state)."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    existing = widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{existing} {css}".strip()})


@register.filter
def is_choice_list(field: forms.BoundField) -> bool:
    """Radio buttons or checkboxes, one per choice (rendered as a fieldset)."""
    return isinstance(field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple)


@register.filter
def instant(value: T) -> T | datetime:
    """An ISO 8601 string of the API's answers as a datetime (for ``|date``); other values as they are."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


@register.filter
def when(value: datetime | date | str | None, zone: str | None = None) -> str:
    """A moment for people: ``{{ read.end|when:device.timezone }}`` gives "1 Dec 2026, 21:00 UTC"
    (in the zone named, an IANA name such as a device's, else the portal's); a date gives
    "1 Dec 2026"; an API answer's ISO string is read first; nothing gives "—"."""
    value = instant(value)
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    if not isinstance(value, datetime):
        return people_date(value)
    try:
        tz = ZoneInfo(zone) if zone else timezone.get_current_timezone()
    except (ZoneInfoNotFoundError, ValueError):
        tz = timezone.get_current_timezone()
    return people_moment(value, tz)


@register.filter
def get_item(mapping: Mapping[Any, Any] | None, key: object) -> Any:
    """``{{ mapping|get_item:key }}``: a dict's value for a variable key."""
    return mapping.get(key) if mapping else None


def _masks(context: template.Context) -> tuple[User | None, dict[str, int] | None]:
    """The signed-in user of the page and its grants (asked once per request), or Nones."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return None, None
    if not hasattr(request, "_acl_masks"):
        request._acl_masks = granted_masks(user)
    return user, request._acl_masks


@register.simple_tag(takes_context=True)
def can(context: template.Context, url_name: str, key: str = "GET") -> bool:
    """``{% can "device-list" "POST delete" as can_delete %}``: whether the user may do that
    portal action, by the rule the action declares (the API twin's): a button is shown exactly
    when pressing it would be allowed."""
    declared = portal_actions().get((url_name, key))
    if declared is None:
        raise template.TemplateSyntaxError(f"No portal action {key!r} is declared for {url_name!r}.")
    user, masks = _masks(context)
    return declared.rule.allows(user, masks=masks) if user else declared.rule.public


@register.filter
def role_label(role: str) -> str:
    """A role code in people's words ("OrganizationAdmin" → "Organization admin")."""
    return ROLE_LABELS.get(role, role)
