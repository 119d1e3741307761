"""A contribution's certificate, membership, device and History read must exist, and the
device must be its membership's (certificates migration 0005: checked once per statement
instead of by row-by-row foreign keys); what a contribution refers to cannot be deleted."""

import threading
import uuid

import pytest
from django.db import IntegrityError, connection, connections, transaction

from certificates.models import Certificate, Contribution
from reservations.models import ReservationDevice
from tests.certificates.helpers import HOUR, T0, device_reading, issue, reservation_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(developer, buyer):
    """Two devices of one reservation, each with one contribution to one certificate."""
    devices = [device_reading(developer, f"REF{n}", count=1, value=1000) for n in (1, 2)]
    reservation = reservation_make(buyer, devices, frequency="hourly")
    assert issue(reservation, T0 + HOUR) == [2000]
    return list(Contribution.objects.filter(membership__reservation=reservation).order_by("device_id"))


def _refused(change) -> str:
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        change()
    return str(refused.value)


def _copy(contribution: Contribution, **changes) -> Contribution:
    """A History-like contribution (outside the chain) of a new certificate, changed."""
    certificate = Certificate.objects.get(pk=contribution.certificate_id)
    certificate.pk = None
    certificate.uid = uuid.uuid4()
    certificate.save()
    fields = {
        "certificate_id": certificate.pk,
        "membership_id": contribution.membership_id,
        "device_id": contribution.device_id,
        "start": contribution.end + 5 * HOUR,
        "end": contribution.end + 6 * HOUR,
        "energy_wh": 10,
        "reads": 1,
        "previous_end": contribution.end,
    }
    return Contribution(**(fields | changes))


def test_a_contribution_of_no_certificate_is_refused(issued):
    message = _refused(lambda: Contribution.objects.bulk_create([_copy(issued[0], certificate_id=10**9)]))
    assert f"contribution of certificate {10**9}: no such certificate" in message


def test_a_contribution_of_another_devices_membership_is_refused(issued):
    first, second = issued
    stray = _copy(first, device_id=second.device_id)
    message = _refused(lambda: Contribution.objects.bulk_create([stray]))
    assert f"contribution of device {second.device_id} in membership {first.membership_id}" in message
    assert "no such membership of that device" in message


def test_a_statement_with_one_bad_reference_is_refused_whole(issued):
    good = _copy(issued[0])
    bad = _copy(issued[1], membership_id=10**9)
    _refused(lambda: Contribution.objects.bulk_create([good, bad]))
    assert Contribution.objects.count() == 2


def test_moving_a_contribution_to_no_certificate_is_refused(issued):
    message = _refused(lambda: Contribution.objects.filter(pk=issued[0].pk).update(certificate_id=10**9))
    assert "no such certificate" in message
    assert Contribution.objects.get(pk=issued[0].pk).certificate_id == issued[0].certificate_id


@pytest.mark.parametrize(
    ("table", "pk"),
    [
        ("certificates_certificate", lambda c: c.certificate_id),
        ("reservations_reservationdevice", lambda c: c.membership_id),
        ("devices_device", lambda c: c.device_id),
    ],
)
def test_what_a_contribution_refers_to_cannot_be_deleted_even_in_sql(issued, table, pk):
    """Django's PROTECT refuses such deletes through the ORM; the database refuses them too."""
    referred = pk(issued[0])

    def delete():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the other foreign keys, now
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [referred])  # noqa: S608 (a test's own names)

    message = _refused(delete)
    assert "is referred to by a contribution: delete refused" in message or "violates foreign key" in message
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE id = %s", [referred])  # noqa: S608
        assert cursor.fetchone()[0] == 1


def test_a_membership_without_contributions_can_still_go(developer, buyer):
    device = device_reading(developer, "FREE", count=1, value=1000)
    reservation = reservation_make(buyer, [device], frequency="hourly")
    ReservationDevice.objects.filter(reservation=reservation).delete()
    assert not ReservationDevice.objects.filter(reservation=reservation).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_membership_being_referred_to_cannot_be_deleted_until_the_insert_commits(issued):
    """The check locks what the statement refers to, as a foreign key does: a concurrent
    delete waits for the inserting transaction, then finds the contribution and is refused."""
    membership = issued[0].membership_id
    outcome: dict[str, str] = {}

    def delete_membership():
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SET lock_timeout = '20s'")
                cursor.execute("DELETE FROM reservations_reservationdevice WHERE id = %s", [membership])
            outcome["delete"] = "deleted"
        except IntegrityError as error:
            outcome["delete"] = str(error)
        finally:
            other.close()

    with transaction.atomic():
        Contribution.objects.bulk_create([_copy(issued[0])])
        deleter = threading.Thread(target=delete_membership)
        deleter.start()
        deleter.join(timeout=1)
        assert deleter.is_alive(), "the delete did not wait for the inserting transaction"
    deleter.join(timeout=30)
    assert "is referred to by a contribution: delete refused" in outcome["delete"]
    assert ReservationDevice.objects.filter(pk=membership).exists()
