"""The database keeps the chain of contributions whole (certificates migration 0004): a new
link must start from the end of one of its membership's contributions, checked once per
INSERT statement, and a link already made never moves or goes away."""

import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from certificates.models import Certificate, Contribution
from tests.certificates.helpers import HOUR, T0, device_reading, issue, reservation_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(developer, buyer):
    device = device_reading(developer, "CHAIN", count=3, value=1000)
    reservation = reservation_make(buyer, [device], frequency="hourly")
    assert issue(reservation, T0 + 3 * HOUR) == [1000, 1000, 1000]
    return list(Contribution.objects.filter(membership__reservation=reservation).order_by("end"))


def _link_after(contribution: Contribution, previous_end) -> Contribution:
    """A contribution of a new certificate (a copy of ``contribution``'s) an hour later."""
    certificate = Certificate.objects.get(pk=contribution.certificate_id)
    certificate.pk, certificate.uid = None, uuid.uuid4()
    certificate.save()
    return Contribution(
        certificate=certificate,
        membership=contribution.membership,
        device_id=contribution.device_id,
        start=contribution.end + HOUR,
        end=contribution.end + 2 * HOUR,
        energy_wh=1000,
        reads=1,
        previous_end=previous_end,
    )


def _refused(make) -> str:
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        make()
    return str(refused.value)


def test_a_link_from_a_moment_no_contribution_ends_at_is_refused(chain):
    last = chain[-1]
    orphan = _link_after(last, last.end - HOUR / 2)  # inside the last span, the end of none
    message = _refused(lambda: Contribution.objects.bulk_create([orphan]))
    assert "links to" in message
    assert "the end of none of its contributions" in message
    assert Contribution.objects.filter(membership=last.membership).count() == 3


def test_the_statement_is_refused_whole_when_one_of_its_links_is_an_orphan(chain):
    last = chain[-1]
    good = _link_after(last, last.end)
    orphan = _link_after(last, last.start + HOUR / 4)  # inside a span: the end of none
    orphan.start, orphan.end = good.end, good.end + HOUR
    assert "the end of none" in _refused(lambda: Contribution.objects.bulk_create([good, orphan]))
    assert Contribution.objects.filter(membership=last.membership).count() == 3


def test_a_link_from_the_chains_end_is_accepted(chain):
    last = chain[-1]
    Contribution.objects.bulk_create([_link_after(last, last.end)])
    assert Contribution.objects.filter(membership=last.membership).count() == 4


def test_a_second_successor_of_the_same_link_is_refused(chain):
    """Two runs planning from the same tail: the second is refused (what makes a stale run plan
    again instead of certifying the same reads twice)."""
    middle = chain[1]
    message = _refused(lambda: Contribution.objects.bulk_create([_link_after(middle, middle.end)]))
    assert "one_successor_per_contribution" in message


def test_links_never_move_or_go_away(chain):
    middle = chain[1]
    for change in (
        lambda: Contribution.objects.filter(pk=middle.pk).update(end=F("end") + HOUR),
        lambda: Contribution.objects.filter(pk=middle.pk).update(previous_end=None),
        lambda: Contribution.objects.filter(pk=middle.pk).update(membership=chain[0].membership_id),
        lambda: Contribution.objects.filter(pk=middle.pk).delete(),
    ):
        assert "is a link of a chain" in _refused(change)
    middle.refresh_from_db()
    assert (middle.start, middle.end, middle.previous_end) == (chain[1].start, chain[1].end, chain[0].end)


def test_the_chain_check_reads_the_index_not_the_table(chain):
    """The check's cost grows with the statement's rows, not with the certified history."""
    last = chain[-1]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT 1 FROM certificates_contribution c WHERE c.membership_id = %s AND c.ongoing_end = %s",
            [last.membership_id, last.end],
        )
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "Index" in plan, plan  # one of the indexes led by the membership, whichever is cheaper
    assert "Seq Scan" not in plan, plan
