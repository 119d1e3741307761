"""All Users filtered by an organizationId that is no number ("²" passes ``str.isdigit()``,
not ``int()``): the same defect as the portal fuzzing found elsewhere (issue 20,
tests/fuzz/test_portal_forms.py). The filter matches no organization, never a 500."""

import pytest

from tests.parity.world import world_build


@pytest.fixture
def world(admin_user):
    return world_build(admin_user)


@pytest.mark.parametrize("value", ["\u00b2", "9" * 5000])
@pytest.mark.parametrize("persona", ["admin", "api_user"])
def test_an_organization_filter_that_is_no_number_is_ignored(world, persona, value):
    path = "/admin/All_users" if persona == "admin" else "/apiuser/All_users"
    assert world.portal(persona).get(path, {"organizationId": value}).status_code == 200
