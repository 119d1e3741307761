"""The seeded code lists (countries, fuel and device types, off-takers, descriptions, SDG
benefits) as the device rules and filters look them up: read at most once a minute per
process (they change only by the super admin's hand), in Django's local-memory cache, and
again as soon as this process learns of a change (devices.code_changes)."""

import re
from typing import Any, cast

from django.core.cache import caches

from devices.code_changes import code_lists_changed, code_lists_generation_peek
from devices.models import Country, DeviceDescription, DeviceType, FuelType, OffTaker, SdgBenefit

CACHE_KEY = "devices:code-lists"
CODE_LIST_TTL = 60


def _load() -> dict[str, Any]:
    sdg = list(SdgBenefit.objects.values_list("code", "name"))
    return {
        "countryCode": set(Country.objects.values_list("alpha3", flat=True)),
        "fuelCode": set(FuelType.objects.values_list("code", flat=True)),
        "deviceTypeCode": set(DeviceType.objects.values_list("code", flat=True)),
        "offTaker": set(OffTaker.objects.values_list("code", flat=True)),
        "deviceDescription": set(DeviceDescription.objects.values_list("code", flat=True)),
        "sdg_by_code": {code.upper(): code for code, _name in sdg},
        "sdg_by_name": {name.lower(): code for code, name in sdg},
        "sdg_titles": dict(sdg),
    }


def code_lists() -> dict[str, Any]:
    key = f"{CACHE_KEY}:{code_lists_generation_peek()}"
    return cast(dict[str, Any], caches["local"].get_or_set(key, _load, CODE_LIST_TTL))


def code_lists_clear() -> None:
    """Forget everything prepared from the code lists in this process: these lookups and
    devices.lookups' answers (the tests start each from the database)."""
    caches["local"].delete(f"{CACHE_KEY}:{code_lists_generation_peek()}")
    code_lists_changed()


def sdg_codes(values, errors: dict) -> list[str]:
    """SDG codes (SDG1..SDG17) from codes or goal titles, any case."""
    lists = code_lists()
    codes = []
    for value in values or []:
        text = str(value).strip()
        code = lists["sdg_by_code"].get(text.upper()) or lists["sdg_by_name"].get(text.lower())
        if code is None:
            errors.setdefault("SDGBenefits", []).append(f"Unknown SDG benefit {text!r}; use SDG1 to SDG17.")
        elif code not in codes:
            codes.append(code)
    return codes


def sdg_query(value) -> list[str]:
    """The SDG benefits of a comma-separated filter (codes or goal titles, any case) as a list.

    A title holding commas itself ("Industry, Innovation and Infrastructure", as device
    answers spell it) is one value, never split into unknown pieces; a list (a portal form's)
    is taken as is."""
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value if str(item).strip()]
    text = str(value or "")
    for name, code in code_lists()["sdg_by_name"].items():
        if "," in name:
            title = r"\s*,\s*".join(re.escape(part.strip()) for part in name.split(","))
            text = re.sub(rf"(?<![^,\s]){title}(?![^,\s])", code, text, flags=re.IGNORECASE)
    return [item.strip() for item in text.split(",") if item.strip()]
