"""Benchmarks of the project package (`make bench`): the hand-written token lookup of
drec.rawsql against the same lookup written with the ORM; the listings at scale
(drec/scale_benchmarks.py); and the back office's changelists at scale (drec/admin_benchmarks.py).

Run alone: ``manage.py bench --only "token lookup"`` (``--scale 0.1`` for a quick try). The
caller's data is made inside a transaction that is rolled back, so any database will do.
"""

import time
import uuid
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings

from accounts import selectors as account_selectors
from accounts.models import AccessToken, ApiUser, Role, TokenKind, User
from accounts.services import access_token_issue
from acl.models import AclModule, EntityType, ModulePermission
from acl.selectors import granted_masks
from drec.admin_benchmarks import admin_changelists
from drec.bench import Benchmark, Result
from drec.scale_benchmarks import listings_at_scale
from organizations.models import Organization, OrganizationType

ROUNDS = 5  # the two ways take turns, a fifth of the lookups each time, so drift hits both alike


def orm_token_with_user(jti: uuid.UUID, user_id: int) -> AccessToken | None:
    """What accounts.selectors._token_with_user answers, the plain ORM way: ``select_related``
    for the token, its user, the user's organization with its managing api user and the
    user's own api user record, then the user's ACL grants (acl.selectors.granted_masks)."""
    try:
        token = AccessToken.objects.select_related("user__organization__api_user", "user__api_user").get(
            jti=jti, user_id=user_id
        )
    except AccessToken.DoesNotExist:
        return None
    user: Any = token.user  # Any: acl_masks is set on the instance, not declared by the model
    user.acl_masks = granted_masks(user)
    return token


def _api_caller() -> tuple[str, uuid.UUID, int]:
    """An api user as the API meets one: its organization (managed by itself), its api user
    record, approved grants on three modules and an access token; ``(token, jti, user id)``."""
    organization = Organization.objects.create(
        name=f"Bench tokens {uuid.uuid4().hex[:8]}",
        organization_type=OrganizationType.API_USER,
        org_email="bench@example.com",
    )
    user = User.objects.create_user(
        f"bench-{uuid.uuid4().hex[:8]}@example.com", "Bench-Pass-2026", role=Role.API_USER, organization=organization
    )
    organization.api_user = ApiUser.objects.create(user=user)
    organization.save(update_fields=["api_user"])
    for module in AclModule.objects.order_by("id")[:3]:
        ModulePermission.objects.create(
            module=module,
            entity_type=EntityType.USER,
            user=user,
            permissions_value=module.permissions_value,
            is_active=True,
        )
    bearer, _lifetime = access_token_issue(user=user, kind=TokenKind.PASSWORD)
    return bearer, AccessToken.objects.get(user=user).jti, user.pk


def _same_answer(jti: uuid.UUID, user_id: int) -> None:
    """Both ways find the same token, user, organization, api users and grants."""
    raw, orm = account_selectors._token_with_user(jti, user_id), orm_token_with_user(jti, user_id)
    if raw is None or orm is None:
        raise RuntimeError("The bench caller's token was not found.")

    def shape(token: AccessToken) -> tuple[object, ...]:
        user: Any = token.user
        organization = user.organization
        return (token.pk, user.pk, organization.pk, organization.api_user.pk, user.api_user.pk, user.acl_masks)

    if shape(raw) != shape(orm) or not shape(raw)[-1]:
        raise RuntimeError(f"The two lookups disagree: {shape(raw)} != {shape(orm)}")


def token_lookup(scale: float = 1.0) -> list[Result]:
    """Statements and microseconds per token lookup (what every API call starts with) through
    drec.rawsql, against the ORM's select_related plus the grants query; and the whole of
    accounts.selectors.access_token_user (the JWT check, then the hand-written lookup)."""
    lookups = max(ROUNDS * 20, int(2_000 * scale)) // ROUNDS * ROUNDS
    ways: dict[str, Callable[[uuid.UUID, int], object]] = {
        "rawsql": account_selectors._token_with_user,
        "orm": orm_token_with_user,
    }
    with transaction.atomic():
        bearer, jti, user_id = _api_caller()
        _same_answer(jti, user_id)
        statements: dict[str, float] = {}
        for name, lookup in ways.items():  # counted apart: capturing statements costs time
            with CaptureQueriesContext(connection) as captured:
                for _ in range(20):
                    lookup(jti, user_id)
            statements[name] = len(captured) / 20
        ways["whole"] = lambda _jti, _user_id: account_selectors.access_token_user(bearer)
        wall = dict.fromkeys(ways, 0.0)  # elapsed: this process and the database server
        cpu = dict.fromkeys(ways, 0.0)  # this process's CPU only: Python, the ORM, the driver
        # As in production (DEBUG off): without the debug cursor, which logs every statement.
        with override_settings(DEBUG=False):
            for lookup in ways.values():  # warm up: compiled SQL, cached plans
                for _ in range(lookups // 10):
                    lookup(jti, user_id)
            for _ in range(ROUNDS):
                for name, lookup in ways.items():
                    start, start_cpu = time.perf_counter(), time.process_time()
                    for _ in range(lookups // ROUNDS):
                        lookup(jti, user_id)
                    wall[name] += time.perf_counter() - start
                    cpu[name] += time.process_time() - start_cpu
        transaction.set_rollback(True)

    def micro(name: str) -> str:
        return f"{wall[name] / lookups * 1e6:.0f} µs (CPU of this process: {cpu[name] / lookups * 1e6:.0f} µs)"

    return [
        Result(
            f"Token lookup through drec.rawsql (accounts.selectors), {lookups:,} lookups",
            f"{statements['rawsql']:g} statement, {micro('rawsql')} per lookup",
        ),
        Result(
            f"The same lookup with the ORM (select_related + granted_masks), {lookups:,} lookups",
            f"{statements['orm']:g} statements, {micro('orm')} per lookup, "
            f"{wall['orm'] / wall['rawsql']:.1f}x the hand-written one",
        ),
        Result(
            f"access_token_user as a whole (JWT check + the hand-written lookup), {lookups:,} calls",
            f"{micro('whole')} per call",
        ),
    ]


BENCHMARKS = [
    Benchmark("token lookup", token_lookup),
    Benchmark("listings at scale", listings_at_scale, tier=True),
    Benchmark("admin changelists", admin_changelists, tier=True),
]
