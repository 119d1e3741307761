"""Sending one scenario through a door, and what came of it: the answer's kind and what it
changed in the database (tables whose rows changed, work queued for after the commit)."""

from dataclasses import dataclass

from django.apps import apps
from django.db import connection, transaction

from drec.permissions import FORBIDDEN
from tests.parity.scenarios import Call
from tests.parity.world import World, withhold

# What a door's answer meant, in the words of docs/access-control.md's table.
DONE, FORBIDDEN_KIND, NOT_FOUND, REFUSED, SIGN_IN = "done", "403", "404", "refused", "sign in"

OUR_APPS = (
    "accounts",
    "acl",
    "organizations",
    "devices",
    "reads",
    "reservations",
    "certificates",
    "account",
    "guardian",
    "webhooks",
)


def _tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS and model._meta.managed and not model._meta.proxy
    )


def fingerprint() -> dict[str, str]:
    """A digest of every row of every table of ours, in one statement."""
    parts = [  # table names from the models' metadata
        f"SELECT '{table}', md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), '')) FROM \"{table}\" t"  # noqa: S608
        for table in _tables()
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return dict(cursor.fetchall())


@dataclass(frozen=True)
class Outcome:
    kind: str
    status: int
    effect: frozenset[str]
    message: str = ""

    def __str__(self) -> str:
        changed = ", ".join(sorted(self.effect)) or "nothing"
        return f"{self.kind} ({self.status}; changed {changed}; {self.message[:80]!r})"


def _message(door: str, response) -> str:
    if door == "api":
        try:
            return str(response.json().get("message", ""))
        except ValueError:
            return ""
    context = getattr(response, "context", None)
    try:
        return str(context["message"]) if context is not None and "message" in context else ""
    except (KeyError, TypeError):
        return ""


def _kind(door: str, response, effect: frozenset[str]) -> str:
    status = response.status_code
    if door == "portal" and status == 302 and response["Location"].startswith("/login?next="):
        return SIGN_IN
    if status == 401:
        return SIGN_IN
    if status == 403:
        return FORBIDDEN_KIND if _message(door, response) == FORBIDDEN else REFUSED
    if status == 404:
        return NOT_FOUND
    if 200 <= status < 400:
        return DONE if effect else REFUSED
    return REFUSED


def _client(door: str, world: World, persona: str, call: Call):
    if door == "api":
        return world.api(persona)
    client = world.portal(persona)  # signs in (last_login) before anything is measured
    if call.session:
        session = client.session
        session.update(call.session)
        session.save()
    return client


def _send(door: str, client, call: Call):
    if door == "portal":
        return getattr(client, call.method)(call.path, {**(call.data or {}), **(call.files or {})})
    if call.files is not None:
        return getattr(client, call.method)(call.path, {**(call.data or {}), **call.files}, format="multipart")
    if call.method == "delete":
        return client.delete(call.path)
    return getattr(client, call.method)(call.path, call.data, format="json")


def through(door: str, world: World, persona: str, call: Call, rule, capture) -> Outcome:
    """Send ``call`` through ``door`` as ``persona`` and undo whatever it did."""
    savepoint = transaction.savepoint()
    try:
        if persona == "api_user_without":
            withhold(world.api_user, rule.module, rule.verb)
        client = _client(door, world, persona, call)
        before = fingerprint()
        with capture() as queued:
            response = _send(door, client, call)
        after = fingerprint()
        effect = {table for table in after if after[table] != before[table]}
        if queued:
            effect.add("(queued work)")
        effect = frozenset(effect)
        return Outcome(_kind(door, response, effect), response.status_code, effect, _message(door, response))
    finally:
        transaction.savepoint_rollback(savepoint)
