"""The benchmarks of `make bench` keep working (run small here; `make bench` runs them full size)."""

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password

from accounts.benchmarks import login_load, password_hash_strength
from accounts.hashers import Argon2idPasswordHasher
from certificates.models import Certificate
from devices.benchmarks import bulk_vs_copy
from drec import settings as production
from drec.admin_benchmarks import admin_changelists
from drec.bench import table
from reads.models import MeterRead
from registry.models import Movement


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_bulk_upload_benchmark_runs_and_reports():
    results = bulk_vs_copy(scale=0.01)
    assert [result.name for result in results] == [
        "PostgreSQL COPY of 100 device rows",
        "Bulk CSV upload of 100 devices, upload to Completed",
    ]
    assert results[0].met is None  # the reference figure
    assert results[1].met in (True, False)  # compared with its goal
    printed = table(results)
    assert "rows/s" in printed
    assert "≤ 20 s for 10,000" in printed


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_read_ingestion_benchmark_stores_the_reads_and_compares_with_copy():
    from reads.benchmarks import ingestion_vs_copy
    from reads.models import MeterRead

    results = ingestion_vs_copy(scale=0.01)
    assert [result.name for result in results] == [
        "PostgreSQL COPY of 200 reads (1 devices x 200 hourly reads)",
        "API ingestion of the same 200 reads, 10,000 per request",
        "Reads CSV upload of 200 reads (1 devices x 200 in one file), upload to Completed",
    ]
    assert MeterRead.objects.count() == 400  # the API's and the file's reads stay, COPY's were rolled back
    assert results[1].met in (True, False)
    assert results[2].met is None  # beside the JSON API's figure
    assert "% of COPY" in table(results)
    assert "of the JSON API's" in table(results)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_benchmark_stores_every_read_once_through_a_real_server():
    from reads.benchmarks import concurrent_writers

    results = concurrent_writers(scale=0.1)
    assert results[0].met is True, results[0].figure
    assert "stored 4,000 of 4,000, 0 failed requests" in results[0].figure


@pytest.mark.django_db
def test_token_lookup_benchmark_compares_the_hand_written_lookup_with_the_orm():
    from drec.benchmarks import token_lookup

    results = token_lookup(scale=0.05)
    assert [result.name.split(",")[0] for result in results] == [
        "Token lookup through drec.rawsql (accounts.selectors)",
        "The same lookup with the ORM (select_related + granted_masks)",
        "access_token_user as a whole (JWT check + the hand-written lookup)",
    ]
    assert results[0].figure.startswith("1 statement, ")
    assert results[1].figure.startswith("2 statements, ")
    assert all(result.met is None for result in results)  # reference figures
    assert "µs" in table(results)


@pytest.mark.django_db
def test_admin_changelists_benchmark_times_every_page_and_leaves_no_data():
    results = admin_changelists(scale=0.01)
    pages = [result for result in results if result.met is not None]
    assert len(pages) >= 5
    assert any("/django-admin/reads/meterread/" in result.name for result in pages)
    assert any("/django-admin/certificates/certificate/" in result.name for result in pages)
    assert any("/api/public/registry/summary" in result.name for result in pages)
    assert all(result.met for result in pages), table(results)
    assert not MeterRead.objects.exists()
    assert not Certificate.objects.exists()
    assert not Movement.objects.exists()  # the registry's totals rolled back with the certificates


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_login_load_benchmark_posts_json_logins_past_the_per_address_throttle():
    result = login_load(scale=0.01)[0]

    # Every login answered 200: wrk sent the JSON body, and the server's throttle was lifted
    # (30/min from wrk's one address would have answered 429).
    assert ", 0 errors (" in result.figure, result.figure
    assert "DREC_THROTTLE_LOGIN=100000/s" in result.name
    # The suite hashes with MD5: the row says so, and such a figure meets no goal.
    assert "(md5)" in result.name
    assert result.met is False


def test_the_login_benchmark_holds_the_hash_to_owasp_s_minimum(settings):
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    ours = make_password("Bench-Login-2026")
    weaker = Argon2idPasswordHasher()
    weaker.memory_cost = 15_360  # OWASP's floor is 19 MiB with t=2

    assert password_hash_strength(ours) == ("argon2id m=19456,t=2,p=1", True)
    assert password_hash_strength(weaker.encode("Bench-Login-2026", weaker.salt())) == (
        "argon2id m=15360,t=2,p=1",
        False,
    )
    django_default = Argon2PasswordHasher()
    assert password_hash_strength(django_default.encode("x", django_default.salt()))[1] is False  # p=8
    assert password_hash_strength(make_password("x", hasher="pbkdf2_sha256")) == (
        "pbkdf2_sha256 1,000,000 iterations",
        False,
    )
