import pytest
from django.db import IntegrityError, transaction

from acl.models import AclModule, mask_to_verbs, verbs_to_mask

EXPECTED = [
    ("USER_MANAGEMENT_CRUDL", 15),
    ("ORGANIZATION_MANAGEMENT_CRUDL", 15),
    ("FILE_MANAGEMENT_CRUDL", 15),
    ("DEVICE_MANAGEMENT_CRUDL", 15),
    ("BUYER_RESERVATION_MANAGEMENT_CRUDL", 15),
    ("DEVICE_BULK_MANAGEMENT_CRUDL", 15),
    ("READS_MANAGEMENT_CRUDL", 15),
    ("CERTIFICATE_LOG_MANAGEMENT_CRUDL", 1),
    ("INVITATION_MANAGEMENT_CRUDL", 15),
    ("ADMIN_APIUSER_ORGANIZATION_CRUDL", 15),
    ("PASSWORD_MANAGEMENT_CRUDL", 2),
    ("PERMISSION_MANAGEMENT_CRUDL", 7),
    ("ADMIN_MANAGEMENT_CRUDL", 15),
    ("YIELD_CONFIG_MANAGEMENT_CRUDL", 15),
    ("WEBHOOK_MANAGEMENT_CRUDL", 15),  # issue 19 (SPEC §14)
]


@pytest.mark.django_db
def test_the_fourteen_modules_and_webhooks_exist_with_exact_names_and_masks():
    modules = list(AclModule.objects.order_by("id"))
    assert [(m.id, m.name, m.permissions_value) for m in modules] == [
        (index, name, mask) for index, (name, mask) in enumerate(EXPECTED, start=1)
    ]
    assert all(m.status == "Enable" and m.description for m in modules)


@pytest.mark.django_db
def test_verb_lists_follow_the_masks():
    by_name = {m.name: m.permissions for m in AclModule.objects.all()}
    assert by_name["USER_MANAGEMENT_CRUDL"] == ["Read", "Write", "Update", "Delete"]
    assert by_name["CERTIFICATE_LOG_MANAGEMENT_CRUDL"] == ["Read"]
    assert by_name["PASSWORD_MANAGEMENT_CRUDL"] == ["Write"]
    assert by_name["PERMISSION_MANAGEMENT_CRUDL"] == ["Read", "Write", "Update"]


@pytest.mark.django_db
def test_new_modules_get_fresh_ids_and_names_stay_unique():
    seeded = max(AclModule.objects.values_list("id", flat=True))
    module = AclModule.objects.create(name="REPORTS_CRUDL", description="Reports", permissions_value=1)
    assert module.id > seeded  # the seed's explicit ids moved the sequence past them (any test order)
    with pytest.raises(IntegrityError), transaction.atomic():
        AclModule.objects.create(name="REPORTS_CRUDL", description="again", permissions_value=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        AclModule.objects.create(name="BAD_MASK", description="x", permissions_value=16)


def test_verb_mask_round_trip():
    assert verbs_to_mask(["Read", "Write", "Update"]) == 7
    assert verbs_to_mask(["Delete", "Read"]) == 9
    assert mask_to_verbs(9) == ["Read", "Delete"]
    with pytest.raises(ValueError, match="List"):
        verbs_to_mask(["Read", "List"])
