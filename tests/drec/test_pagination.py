"""The paging helper every list endpoint uses (SPEC §9)."""

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from devices.models import Country
from drec.errors import InvalidInput
from drec.pagination import paginate


def page_of(query: str, **kwargs) -> dict:
    request = Request(APIRequestFactory().get(f"/api/anything?{query}"))
    return paginate(
        request,
        Country.objects.order_by("alpha3"),
        key="countries",
        serialize=lambda rows: [c.alpha3 for c in rows],
        **kwargs,
    )


@pytest.mark.django_db
def test_first_page_defaults_to_twenty_items():
    page = page_of("")
    assert page["currentPage"] == 1
    assert page["totalCount"] == 249
    assert page["totalPages"] == 13
    assert len(page["countries"]) == 20
    assert page["countries"][0] == "ABW"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["pageNumber", "pagenumber"])
def test_both_spellings_of_the_page_number(name):
    page = page_of(f"{name}=2&limit=100")
    assert page["currentPage"] == 2
    assert page["totalPages"] == 3
    assert len(page["countries"]) == 100
    assert page["countries"][0] == Country.objects.order_by("alpha3")[100].alpha3


@pytest.mark.django_db
def test_last_partial_page_and_past_the_end():
    assert len(page_of("pageNumber=3&limit=100")["countries"]) == 49
    past = page_of("pageNumber=9&limit=100")
    assert past["countries"] == []
    assert past["totalCount"] == 249


@pytest.mark.django_db
def test_limit_is_capped_at_the_maximum():
    page = page_of("limit=5000")
    assert len(page["countries"]) == 249
    assert page["totalPages"] == 1


@pytest.mark.django_db
def test_endpoint_default_page_size():
    assert len(page_of("", default_limit=5)["countries"]) == 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [("pageNumber=0", "pageNumber"), ("pagenumber=abc", "pagenumber"), ("limit=-3", "limit"), ("limit=1.5", "limit")],
)
def test_bad_paging_values_name_the_field(query, field):
    with pytest.raises(InvalidInput) as error:
        page_of(query)
    assert field in error.value.errors
    assert field in error.value.message
