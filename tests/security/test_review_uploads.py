"""Security review finding: "``POST /api/file`` takes 50 files of 10 MB in one request with no
quota or clean-up."

A request sends at most DREC_UPLOAD_MAX_FILES_PER_REQUEST files; an organization keeps at most
DREC_UPLOAD_QUOTA_FILES files and DREC_UPLOAD_QUOTA_BYTES bytes (members share it, concurrent
requests included); a scheduled task removes files older than DREC_UPLOAD_RETENTION_HOURS.
Beyond a limit the answer is 413 naming the limit and its setting, and nothing of the request
is kept. The settings are made small here instead of sending megabytes.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task
from rest_framework.test import APIClient

from devices import bulk
from devices.models import CsvJob, UploadedFile
from tests.devices.helpers import FILE_URL, bulk_url, csv_bytes, csv_row
from tests.organizations.helpers import assert_error

pytestmark = pytest.mark.django_db

CONTENT = csv_bytes([csv_row(1), csv_row(2)])
PURGE = "devices.tasks.uploaded_files_purge"


def _send(client, count: int, content: bytes = CONTENT):
    files = [SimpleUploadedFile(f"devices-{number}.csv", content, "text/csv") for number in range(count)]
    return client.post(FILE_URL, {"files": files}, format="multipart")


def _kept(organization) -> int:
    return UploadedFile.objects.filter(organization=organization).count()


def _age(key: str, hours: float) -> None:
    UploadedFile.objects.filter(key=key).update(created_at=timezone.now() - timedelta(hours=hours))


def test_file_upload_refuses_more_files_than_the_request_limit(client_for, world, settings):
    settings.DREC_UPLOAD_MAX_FILES_PER_REQUEST = 3
    api = client_for(world.api_user)

    body = assert_error(_send(api, 4), 413, "files")
    assert "3 files" in body["message"]
    assert "DREC_UPLOAD_MAX_FILES_PER_REQUEST" in body["message"]
    assert not UploadedFile.objects.exists()  # none of the request's files

    response = _send(api, 3)
    assert response.status_code == 201, response.content
    assert len(response.json()) == 3
    assert _kept(world.api_user.organization) == 3


def test_file_upload_quota_per_organization_counts_files_and_bytes(client_for, world, settings):
    """Files: members of one organization share its quota; another organization has its own."""
    settings.DREC_UPLOAD_QUOTA_FILES = 3
    admin, owner = client_for(world.developer_admin), client_for(world.device_owner)
    organization = world.developer_org

    assert _send(admin, 2).status_code == 201
    body = assert_error(_send(owner, 2), 413, "files")
    assert "3 files" in body["message"]
    assert "DREC_UPLOAD_QUOTA_FILES" in body["message"]
    assert _kept(organization) == 2  # nothing of the refused request
    assert _send(owner, 1).status_code == 201
    assert_error(_send(admin, 1), 413, "files")
    assert _kept(organization) == 3
    # Another organization is not held back by this one's files.
    assert _send(client_for(world.api_user), 3).status_code == 201

    # Bytes: what is kept plus what is sent, against DREC_UPLOAD_QUOTA_BYTES.
    settings.DREC_UPLOAD_QUOTA_FILES = 50
    rival = client_for(world.rival_admin)
    quota = 2 * len(CONTENT) + len(CONTENT) // 2
    settings.DREC_UPLOAD_QUOTA_BYTES = quota
    assert _send(rival, 1).status_code == 201
    body = assert_error(_send(rival, 2), 413, "files")
    assert f"{quota} bytes" in body["message"]
    assert "DREC_UPLOAD_QUOTA_BYTES" in body["message"]
    assert _kept(world.rival_org) == 1
    assert _send(rival, 1).status_code == 201
    assert_error(_send(rival, 1), 413, "files")
    assert _kept(world.rival_org) == 2
    # A request larger than the quota by itself is refused as well.
    body = assert_error(_send(client_for(world.other_api_user), 3), 413, "files")
    assert "DREC_UPLOAD_QUOTA_BYTES" in body["message"]
    assert not UploadedFile.objects.filter(organization=world.other_api_user.organization).exists()


def test_file_upload_quota_counts_only_files_still_kept(client_for, world, settings):
    settings.DREC_UPLOAD_QUOTA_FILES = 2
    api = client_for(world.api_user)
    old, recent = _send(api, 2).json()
    assert_error(_send(api, 1), 413, "files")

    _age(old, settings.DREC_UPLOAD_RETENTION_HOURS + 1)  # past its time, even before the purge ran
    response = _send(api, 1)
    assert response.status_code == 201, response.content
    assert set(UploadedFile.objects.values_list("key", flat=True)) == {recent, *response.json()}


def test_uploaded_files_older_than_a_day_are_removed_by_the_scheduled_purge(client_for, world, committed):
    api = client_for(world.api_user)
    old, day_old, recent = _send(api, 3).json()
    other = _send(client_for(world.other_api_user), 1).json()[0]
    with committed():  # a job made from the file keeps its own copy
        job = api.post(bulk_url(world.managed.pk), {"fileName": old}, format="json")
    assert job.status_code == 201, job.content
    _age(old, 30)
    _age(day_old, 24.5)
    _age(other, 25)
    _age(recent, 23)

    call_command("seed")
    schedule = Schedule.objects.get(func=PURGE)
    async_task(schedule.func)  # what the cluster runs (inline in tests)

    assert list(UploadedFile.objects.values_list("key", flat=True)) == [recent]
    assert bytes(CsvJob.objects.get(pk=job.json()["jobId"]).data) == CONTENT
    assert_error(api.post(bulk_url(world.managed.pk), {"fileName": day_old}, format="json"), 404)


def test_seed_schedules_the_upload_purge():
    call_command("seed")
    call_command("seed")
    schedule = Schedule.objects.get(func=PURGE)
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (Schedule.MINUTES, 60, -1)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_file_upload_quota_holds_under_concurrent_uploads_of_one_organization(world, settings, monkeypatch):
    """Two members of one organization upload at the same moment, each in its own thread,
    client and connection. A pause between counting what is kept and storing the new files
    makes the requests overlap where it matters, so a missing lock shows as a failure."""
    settings.DREC_UPLOAD_QUOTA_FILES = 1
    check = bulk._check_quota

    def slow(**kwargs):
        time.sleep(0.2)
        check(**kwargs)

    monkeypatch.setattr(bulk, "_check_quota", slow)
    users = [world.developer_admin, world.device_owner]
    responses: list = [None] * len(users)
    failures: list = []
    start = threading.Barrier(len(users))

    def post(number: int) -> None:
        try:
            client = APIClient()
            client.force_authenticate(user=users[number])
            start.wait(timeout=30)
            responses[number] = _send(client, 1)
        except Exception as error:  # reported by the test, not lost in the thread
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(number,)) for number in range(len(users))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert sorted(response.status_code for response in responses) == [201, 413]
    assert _kept(world.developer_org) == 1
