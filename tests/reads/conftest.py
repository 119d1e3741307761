"""Fixtures of the meter-read tests: personas with access to their organizations, api users
with the read grants the admin would approve."""

from tests.personas import api_users_with, buyer, developer_admin, device_owner, sub_buyer

READ_GRANTS = (
    ("DEVICE_MANAGEMENT_CRUDL", "Read", "Write", "Update", "Delete"),
    ("READS_MANAGEMENT_CRUDL", "Read", "Write"),
)
api_user, other_api_user = api_users_with(READ_GRANTS)
