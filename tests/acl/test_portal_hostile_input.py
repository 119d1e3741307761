"""Access-control pages given what cannot be an id in ``?edit=``, ``?role=``, ``?user=`` or a
module/verb matrix (the portal fuzzing's finds, issue 20, tests/fuzz/test_portal_forms.py): a
superscript digit ("²" passes ``str.isdigit()``, not ``int()``) or 5000 digits (more than
``int()`` converts) were 500s; now no such object, and nothing stored."""

import pytest

from acl.models import AclModule, ModulePermission
from tests.parity.world import world_build

# These tests may create ACL modules; later tests expect the module ids unchanged.
pytestmark = pytest.mark.usefixtures("restore_id_sequences")

HOSTILE = ["\u00b2", "9" * 5000]
MODULES_PAGE = "/admin/permission/acl_module"
ROLES_PAGE = "/admin/permission/user_role/list"
PICKER_PAGE = "/admin/permission/api_user_role/list"
REQUEST_FORM = "/apiuser/permission/request/form"
MY_PERMISSIONS = "/apiuser/permission/list"


@pytest.fixture
def world(admin_user):
    return world_build(admin_user)


def _rows() -> tuple[int, int]:
    return AclModule.objects.count(), ModulePermission.objects.count()


@pytest.mark.parametrize("value", HOSTILE)
def test_the_super_admins_pages_show_no_object_for_an_id_that_is_no_number(world, value):
    admin = world.portal("admin")
    assert admin.get(MODULES_PAGE, {"edit": value}).status_code == 200
    assert admin.get(ROLES_PAGE, {"edit": value, "role": value}).status_code == 200
    assert admin.get(PICKER_PAGE, {"user": value}).status_code == 200


@pytest.mark.parametrize("value", HOSTILE)
def test_a_role_grant_for_a_module_id_that_is_no_number_stores_nothing(world, value):
    before = _rows()
    response = world.portal("admin").post(ROLES_PAGE, {"action": "add", "module": value, f"verbs-{value}": "Read"})

    assert response.status_code < 500
    assert _rows() == before


@pytest.mark.parametrize("value", HOSTILE)
def test_an_api_users_request_for_a_module_id_that_is_no_number_stores_nothing(world, value):
    before = _rows()
    response = world.portal("api_user").post(REQUEST_FORM, {"module": value, f"verbs-{value}": "\x00Read"})

    assert response.status_code < 500
    assert _rows() == before


@pytest.mark.parametrize("value", HOSTILE)
def test_an_api_users_grant_edit_with_an_id_that_is_no_number_changes_nothing(world, value):
    api_user = world.portal("api_user")
    assert api_user.get(MY_PERMISSIONS, {"edit": value}).status_code == 200
    before = list(ModulePermission.objects.order_by("pk").values_list("pk", "permissions_value", "is_active"))

    response = api_user.post(f"{MY_PERMISSIONS}?edit={value}", {"permissions": ["Read"]})

    assert response.status_code < 500
    assert list(ModulePermission.objects.order_by("pk").values_list("pk", "permissions_value", "is_active")) == before
