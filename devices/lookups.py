"""The public code lists (countries with their time zones, fuel types, device types, SDG
benefits) as HTTP answers prepared once per process and per change of the lists.

The original answered ``GET /api/countrycode/list`` at 1,374 req/s; building it per request
(249 countries, each zone's offset computed now) took 26 ms. Each list is now built once:
its JSON body, byte for byte what the serializers below and DRF's JSONRenderer wrote per
request before, with a strong ``ETag`` (a hash of those bytes) and ``Cache-Control``;
a request whose ``If-None-Match`` names it (or ``*``) gets ``304 Not Modified`` without a body.
devices.middleware serves plain GETs before the rest of the middleware; the API views of
devices.api answer the others (a country search, OPTIONS) from the same prepared lists.

A prepared list is reused while nothing has changed (devices.code_changes: the same
generation, so no query at all is made) and for :data:`REBUILD_SECONDS` at most. Time zone
offsets are those of the moment the list is built, and the list is rebuilt the moment any of
them changes (daylight saving), so an answer holds the offsets of the moment it is sent.

``Cache-Control: public, max-age=3600``: code lists change only by the super admin's hand,
seldom; a client (or a shared cache) may keep a list an hour without asking, then asks again
with ``If-None-Match`` and gets a 304 while it has not changed. The country list is kept for
less when a time zone's offset changes within the hour (then until that moment).
"""

import hashlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import get_conditional_response
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from devices import selectors
from devices.code_changes import code_lists_generation

# How long a client may keep a code list without asking again (seconds).
CACHE_SECONDS = 3600
CACHE_CONTROL = f"public, max-age={CACHE_SECONDS}"
# How long a process serves a list it prepared without building it again, even when it heard
# of no change: a bound for changes it cannot hear (see devices.code_changes).
REBUILD_SECONDS = 60

COUNTRIES = "api-country-list"
FUEL_TYPES = "api-fuel-type-list"
DEVICE_TYPES = "api-device-type-list"
SDG_BENEFITS = "api-sdg-benefit-codes"


class TimezoneOut(serializers.Serializer):
    name = serializers.CharField()
    offset = serializers.IntegerField(help_text="Minutes, sign as JavaScript getTimezoneOffset (UTC+5:30 = -330).")


class CountryOut(serializers.Serializer):
    country = serializers.CharField(source="name")
    alpha2 = serializers.CharField()
    alpha3 = serializers.CharField()
    numeric = serializers.CharField()
    countryCode = serializers.CharField(source="alpha3")
    timezones = serializers.SerializerMethodField()

    @extend_schema_field(TimezoneOut(many=True))
    def get_timezones(self, country) -> list[dict]:
        now = self.context["now"]
        return [{"name": zone, "offset": selectors.timezone_offset_minutes(zone, at=now)} for zone in country.timezones]


class CodeNameOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class SdgBenefitOut(serializers.Serializer):
    name = serializers.CharField(source="code", help_text="SDG1 .. SDG17")
    value = serializers.CharField(source="name", help_text="The goal's title")


@dataclass(frozen=True)
class CodeList:
    """One public code list: its items as JSON values at a moment, and the first moment its
    answer changes by itself (time zone offsets), if it can."""

    name: str  # the URL name of its endpoint
    items: Callable[[datetime], list[dict[str, Any]]]
    changes_at: Callable[[list[dict[str, Any]], datetime], datetime | None] = lambda _items, _now: None


def _countries(now: datetime) -> list[dict[str, Any]]:
    return list(CountryOut(selectors.country_list(), many=True, context={"now": now}).data)


def _zones_change_at(countries: list[dict[str, Any]], now: datetime) -> datetime | None:
    zones = {zone["name"] for country in countries for zone in country["timezones"]}
    return offsets_change_at(zones, now, within=CACHE_SECONDS)


def offsets_change_at(zones: Iterable[str], start: datetime, *, within: int) -> datetime | None:
    """The first moment after ``start``, at most ``within`` seconds later, at which one of
    ``zones`` answers another offset (daylight saving begins or ends); None when none does.
    Found to the second (the tz database moves clocks on whole seconds) by halving the span
    in which a zone's offset changed; no zone changes twice within an hour."""
    first = int(start.timestamp())
    last = first + within
    soonest: int | None = None
    for zone in zones:
        before = _offset(zone, first)
        if _offset(zone, last) == before:
            continue
        low, high = first, last  # the old offset at low, the new one at high
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if _offset(zone, middle) == before else (low, middle)
        soonest = high if soonest is None else min(soonest, high)
    return None if soonest is None else datetime.fromtimestamp(soonest, UTC)


def _offset(zone: str, moment: int) -> int:
    return selectors.timezone_offset_minutes(zone, at=datetime.fromtimestamp(moment, UTC))


CODE_LISTS = {
    code_list.name: code_list
    for code_list in (
        CodeList(COUNTRIES, _countries, _zones_change_at),
        CodeList(FUEL_TYPES, lambda _now: list(CodeNameOut(selectors.fuel_type_list(), many=True).data)),
        CodeList(DEVICE_TYPES, lambda _now: list(CodeNameOut(selectors.device_type_list(), many=True).data)),
        CodeList(SDG_BENEFITS, lambda _now: list(SdgBenefitOut(selectors.sdg_benefit_list(), many=True).data)),
    )
}


def render(items: list[dict[str, Any]]) -> bytes:
    """The JSON of the API's answers (the renderer the views answered with, per request, before)."""
    return JSONRenderer().render(items)


def strong_etag(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()}"'


@dataclass(frozen=True)
class Answer:
    """A code list prepared at ``built`` (seconds since the epoch) for ``generation``."""

    items: list[dict[str, Any]]
    body: bytes
    etag: str
    generation: int | None
    built: float
    changes_at: float | None  # when its content changes by itself (a time zone's offset)

    def reusable(self, generation: int | None, now: float) -> bool:
        return (
            generation is not None
            and self.generation == generation
            and now < self.built + REBUILD_SECONDS
            and (self.changes_at is None or now < self.changes_at)
        )

    def cache_control_at(self, now: float) -> str:
        """``Cache-Control``: an hour, or until a time zone's offset changes when that is sooner."""
        if self.changes_at is None or self.changes_at - now >= CACHE_SECONDS:
            return CACHE_CONTROL
        return f"public, max-age={max(0, int(self.changes_at - now))}"


def answer_build(code_list: CodeList, *, generation: int | None, now: datetime) -> Answer:
    items = code_list.items(now)
    body = render(items)
    changes_at = code_list.changes_at(items, now)
    return Answer(
        items=items,
        body=body,
        etag=strong_etag(body),
        generation=generation,
        built=now.timestamp(),
        changes_at=changes_at.timestamp() if changes_at else None,
    )


_answers: dict[str, Answer] = {}
_building = threading.Lock()


def answer_get(name: str) -> Answer:
    """The prepared answer of a code list: the one this process holds while it is reusable,
    else built now (once, whichever thread asks first; the others wait for it)."""
    answer = _answers.get(name)
    if answer is not None and answer.reusable(code_lists_generation(), time.time()):
        return answer
    with _building:
        # Read before building: a change committed while it builds moves the generation on.
        generation = code_lists_generation()
        answer = _answers.get(name)
        if answer is not None and answer.reusable(generation, time.time()):
            return answer
        answer = answer_build(CODE_LISTS[name], generation=generation, now=datetime.now(UTC))
        if generation is not None:
            _answers[name] = answer
        return answer


def code_list_response(
    request: HttpRequest,
    name: str,
    *,
    search: str = "",
    render_with: Callable[[list[dict[str, Any]]], bytes] | None = None,
) -> HttpResponseBase:
    """The answer of a code list, with its ``ETag`` and ``Cache-Control``, or 304/412 as the
    request's conditional headers ask (Django's own evaluation of RFC 9110's preconditions).

    The prepared bytes, unless the answer is another: the countries whose name or alpha-3 code
    contains ``search`` (matched by PostgreSQL as before, picked from the prepared list), or
    the list written by ``render_with`` (e.g. indented, as ``Accept: ...; indent=2`` asks)."""
    answer = answer_get(name)
    now = time.time()
    body, etag = answer.body, answer.etag
    if search or render_with is not None:
        items = answer.items
        if search:
            found = set(selectors.country_list(search=search).values_list("alpha3", flat=True))
            items = [item for item in items if item["alpha3"] in found]
        body = (render_with or render)(items)
        etag = strong_etag(body)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Length"] = str(len(body))
    response["ETag"] = etag
    response["Cache-Control"] = answer.cache_control_at(now)
    return get_conditional_response(request, etag=etag, response=response) or response
