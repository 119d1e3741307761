"""Seed the code lists of the original (backend.md §1.2) and the ISO 3166 countries.

Countries come from pycountry; their IANA time zones from the tz database's zone.tab as
shipped by the tzdata package. Both are pinned in requirements.txt.
"""

from importlib.resources import files

import pycountry
from django.db import migrations

FUEL_TYPES = [("ES100", "Solar")]
DEVICE_TYPES = [
    ("TC110", "PV Ground mounted"),
    ("TC120", "PV Roof Mounted (single installation)"),
    ("TC130", "PV Floating"),
    ("TC140", "PV Aggregated"),
    ("TC150", "Solar Thermal Concentration"),
]
OFF_TAKERS = [
    "School",
    "Education",
    "Health Facility",
    "Residential",
    "Commercial",
    "Industrial",
    "Public Sector",
    "Agriculture",
    "Utility",
    "Off-Grid Community",
]
DEVICE_DESCRIPTIONS = ["Solar Lantern", "Solar Home System", "Mini Grid", "Rooftop Solar", "Ground Mount Solar"]
SDG_BENEFITS = [
    "No Poverty",
    "Zero Hunger",
    "Good Health and Well-being",
    "Quality Education",
    "Gender Equality",
    "Clean Water and Sanitation",
    "Affordable and Clean Energy",
    "Decent Work and Economic Growth",
    "Industry, Innovation and Infrastructure",
    "Reduced Inequality",
    "Sustainable Cities and Communities",
    "Responsible Consumption and Production",
    "Climate Action",
    "Life Below Water",
    "Life on Land",
    "Peace and Justice Strong Institutions",
    "Partnerships to achieve the SDG",
]


def zones_by_country() -> dict[str, list[str]]:
    zones: dict[str, list[str]] = {}
    for line in files("tzdata").joinpath("zoneinfo/zone.tab").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        alpha2, _coordinates, zone = line.split("\t")[:3]
        zones.setdefault(alpha2, []).append(zone)
    return zones


def seed(apps, schema_editor):
    def fill(model_name: str, rows: list[tuple[str, str]]) -> None:
        model = apps.get_model("devices", model_name)
        for order, (code, name) in enumerate(rows, start=1):
            model.objects.update_or_create(code=code, defaults={"name": name, "sort_order": order})

    fill("FuelType", FUEL_TYPES)
    fill("DeviceType", DEVICE_TYPES)
    fill("OffTaker", [(name, name) for name in OFF_TAKERS])
    fill("DeviceDescription", [(name, name) for name in DEVICE_DESCRIPTIONS])
    fill("SdgBenefit", [(f"SDG{number}", name) for number, name in enumerate(SDG_BENEFITS, start=1)])

    Country = apps.get_model("devices", "Country")
    zones = zones_by_country()
    Country.objects.bulk_create(
        [
            Country(
                alpha3=country.alpha_3,
                alpha2=country.alpha_2,
                numeric=country.numeric,
                name=country.name,
                timezones=zones.get(country.alpha_2, []),
            )
            for country in pycountry.countries
        ],
        update_conflicts=True,
        unique_fields=["alpha3"],
        update_fields=["alpha2", "numeric", "name", "timezones"],
    )


class Migration(migrations.Migration):
    dependencies = [("devices", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
