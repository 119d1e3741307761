"""Template context shared by every portal page."""

from functools import cache
from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from drec.menu import BADGES, menu_for


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": []}
    # Each badge's count is asked at most once per request, by the menu or the page (the
    # template calls these: e.g. {{ pending_permission_requests }} on the dashboard).
    counts = {name: cache(badge[0]) for name, badge in BADGES.items()}
    return {"menu": SimpleLazyObject(lambda: menu_for(user, request.path, counts=counts)), **counts}
