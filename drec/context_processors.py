"""Template context shared by every portal page."""

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from drec.menu import menu_for


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": []}
    return {"menu": SimpleLazyObject(lambda: menu_for(user, request.path))}
