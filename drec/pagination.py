"""The one paging convention of the API (SPEC §9).

``?pageNumber=`` (or the original's ``pagenumber``) and ``?limit=``; the answer is
``{<items>: [...], "currentPage": <int>, "totalPages": <int>, "totalCount": <int>}``.
"""

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers

from drec.errors import InvalidInput


@dataclass(frozen=True)
class Page:
    number: int
    limit: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.limit


class HasQuery(Protocol):
    """What :func:`paginate` reads the page from: a request (Django's or DRF's, whose
    ``query_params`` it prefers), or anything else with a ``GET`` mapping."""

    @property
    def GET(self) -> Mapping[str, Any]: ...


def _positive_int(query: Mapping[str, Any], names: Sequence[str], default: int, *, allow_zero: bool = False) -> int:
    for name in names:
        raw = query.get(name)
        if raw is None or raw == "":
            continue
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise InvalidInput(
                f"{name} must be a whole number, got {raw!r}.", errors={name: ["Must be a whole number."]}
            ) from None
        if value < 0 or (value == 0 and not allow_zero):
            minimum = 0 if allow_zero else 1
            raise InvalidInput(
                f"{name} must be at least {minimum}, got {value}.", errors={name: [f"Must be at least {minimum}."]}
            )
        return value
    return default


def page_from_query(query: Mapping[str, Any], *, default_limit: int | None = None) -> Page:
    """Read the page number and size from a query dict; bad values are a 400 naming the field."""
    max_limit = settings.DREC_MAX_PAGE_SIZE
    number = _positive_int(query, ("pageNumber", "pagenumber"), 1)
    limit = _positive_int(query, ("limit",), default_limit or settings.DREC_PAGE_SIZE, allow_zero=True)
    # The original read limit=0 as "everything"; the largest page is the closest safe answer.
    if limit == 0 or limit > max_limit:
        limit = max_limit
    return Page(number=number, limit=limit)


def page_rows(queryset: QuerySet[Any, Any], page: Page) -> tuple[list[Any], int]:
    """The page's rows and the number of all rows; a page that is not full tells the number
    itself, so the COUNT query runs only for full (or past-the-end) pages."""
    rows = list(queryset[page.offset : page.offset + page.limit])
    if 0 < len(rows) < page.limit or (not rows and page.offset == 0):
        return rows, page.offset + len(rows)
    return rows, queryset.count()


def paginate(
    request: HasQuery,
    queryset: QuerySet[Any, Any],
    *,
    key: str,
    serialize: Callable[[list[Any]], list[Any]],
    default_limit: int | None = None,
    fetch: Callable[[QuerySet[Any, Any], Page], tuple[list[Any], int]] | None = None,
) -> dict[str, Any]:
    """One page of ``queryset`` as ``{key: [...], currentPage, totalPages, totalCount}``.

    A page past the end is empty rather than an error, so clients can stop on an empty page.
    ``fetch(queryset, page)`` gives the rows and the total when a listing has a faster way
    (devices.api.device_page_json).
    """
    page = page_from_query(getattr(request, "query_params", request.GET), default_limit=default_limit)
    rows, total = (fetch or page_rows)(queryset, page)
    return {
        key: serialize(rows),
        "currentPage": page.number,
        "totalPages": math.ceil(total / page.limit),
        "totalCount": total,
    }


PAGE_PARAMETERS = [
    OpenApiParameter(
        "pageNumber", {"type": "integer", "minimum": 1}, description="Page number, from 1 (alias: pagenumber)."
    ),
    OpenApiParameter(
        "pagenumber", {"type": "integer", "minimum": 1}, description="Alias of pageNumber (the original's spelling)."
    ),
    OpenApiParameter(
        "limit", {"type": "integer", "minimum": 0}, description="Page size, default 20, at most 1000 (0: the most)."
    ),
]


def paginated_schema(
    name: str, key: str, items: type[serializers.Serializer[Any]] | serializers.BaseSerializer[Any]
) -> serializers.Serializer[Any]:
    """OpenAPI schema of a paginated answer whose items are ``items`` (a serializer class, or a
    ``many=True`` instance such as an inline serializer)."""
    return inline_serializer(
        name,
        {
            key: items if isinstance(items, serializers.BaseSerializer) else items(many=True),
            "currentPage": serializers.IntegerField(),
            "totalPages": serializers.IntegerField(),
            "totalCount": serializers.IntegerField(),
        },
    )
