"""Model instances from hand-written SQL, for the few statements behind every request (the
token lookup, a device listing page) where compiling an ORM query each time would cost more
than running it. Columns come from the models' own metadata, so the SQL follows the models.

Why the hand-written path exists: accounts.selectors.access_token_user looks the caller up
before every API call. Through this module that is one statement (the token, its user, the
user's organization, both api user records and the ACL grants); the plain ORM way,
``select_related`` and then acl.selectors.granted_masks, takes two. Measured by
drec/benchmarks.py (``manage.py bench --only "token lookup"``) over 2,000 lookups of an api
user's token against the development PostgreSQL: 1 statement and 1,671 µs per lookup against
2 statements and 4,680 µs (2.8x), of which this process's CPU 326 µs against 1,894 µs (5.8x).
That machine has 2 cores and was busy with other work (load average 4 to 12 over four runs):
the elapsed times grow with the load, while the ratio (2.7x to 2.8x) and the CPU figures
(0.33 ms against 1.8 to 2.0 ms) hardly move.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import psycopg
from django.db import connection
from django.db.models import Field, Model
from django.db.models.fields.mixins import FieldCacheMixin
from psycopg._queries import PostgresQuery

M = TypeVar("M", bound=Model)

# A converter of the ORM: (value, expression, connection) -> the Python value.
Converter = Callable[..., Any]


@dataclass(frozen=True)
class Columns(Generic[M]):
    """Some columns of a model under a table alias, and how to turn them into an instance."""

    model: type[M]
    fields: tuple["Field[Any, Any]", ...]  # quoted: Field is generic to the type checker only
    sql: str
    converters: tuple[tuple[Converter, ...], ...]  # per field: the ORM's converters for this database
    attnames: list[str]

    def instance(self, values: Sequence[Any]) -> M | None:
        """An instance from its columns, converted as the ORM converts them (None for the
        missing row of an outer join); fields not selected are deferred."""
        if values[self.pk_index] is None:
            return None
        converted = list(values)
        for index, converters in enumerate(self.converters):
            for converter in converters:
                converted[index] = converter(converted[index], self.fields[index].cached_col, connection)
        return self.model.from_db(connection.alias, self.attnames, converted)

    @property
    def pk_index(self) -> int:
        return self.fields.index(self.model._meta.pk)


def columns(model: type[M], alias: str, names: list[str] | None = None) -> Columns[M]:
    """The model's concrete fields (or the named ones) as ``alias."column", ...``."""
    if names is None:
        fields = tuple(model._meta.concrete_fields)
    else:
        # get_field() may also answer a reverse relation or a generic foreign key, which have
        # no column; the names given here are the model's own concrete fields.
        fields = tuple(cast("Field[Any, Any]", model._meta.get_field(name)) for name in names)
    converters = tuple(
        tuple(connection.ops.get_db_converters(field.cached_col) + field.get_db_converters(connection))
        for field in fields
    )
    sql = ", ".join(f'{alias}."{field.column}"' for field in fields)
    return Columns(model, fields, sql, converters, [field.attname for field in fields])


def instances(selected: Sequence[Columns[Any]], row: Sequence[Any]) -> tuple[list[Any], int]:
    """The instances of ``selected`` from the start of ``row``, and where the rest of it begins.

    Each item is a model instance or None (``Columns.instance``), of a different model per
    position: ``list[Any]`` lets the caller unpack them into the types it selected."""
    objects: list[Any] = []
    start = 0
    for part in selected:
        objects.append(part.instance(row[start : start + len(part.fields)]))
        start += len(part.fields)
    return objects, start


def relate(instance_: Model, field_name: str, related: Model | None) -> None:
    """Set what ``select_related`` would have set: ``instance_.<field_name>`` is ``related``."""
    # A relation, forward (ForeignKey, OneToOneField) or reverse (OneToOneRel): each caches its
    # object through FieldCacheMixin; the stubs type get_field() as any field.
    field = cast(FieldCacheMixin, instance_._meta.get_field(field_name))
    field.set_cached_value(instance_, related)


class _ServerBoundCursor(psycopg.Cursor[Any]):
    """psycopg's server-binding cursor, keeping the statement it ran when it ran a prepared
    one (psycopg leaves ``_query`` unset then): Django reads it back to record the statement,
    in DEBUG's ``connection.queries`` and in the tests' statement counts."""

    def _send_query_prepared(self, name: bytes, pgq: PostgresQuery, *, binary: bool | None = None) -> None:
        self._query = pgq
        super()._send_query_prepared(name, pgq, binary=binary)


def fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The rows of a hand-written statement, as a prepared statement of the connection.

    Planning these statements costs PostgreSQL more than running them. Measured as the server
    process's CPU time over 2,000 runs on the 2-core development machine (issue 17): the token
    lookup 0.62 ms planned each time against 0.08 ms prepared, a device listing page 1.57 ms
    against 0.60 ms. Django turns psycopg's prepared statements off by default
    (``prepare_threshold`` None, which even ``execute(prepare=True)`` obeys: nothing appears in
    ``pg_prepared_statements``); settings.DATABASES turns them on again.

    The ORM's queries keep Django's client-side binding, which is never prepared; this cursor
    binds on the server, so psycopg prepares a statement once it has run ``prepare_threshold``
    times on the connection. It is wrapped as Django wraps its own cursors: statement counts,
    DEBUG's query log and ``execute_wrapper`` see it."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        bound = _ServerBoundCursor(connection.connection)
    # The stubs type the argument as Django's wrapper; Django wraps a DB-API cursor with it.
    raw = cast(Any, bound)
    cursor = connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
    with cursor:
        cursor.execute(sql, params)
        # The stubs leave the DB-API cursor's methods untyped (Any); fetchall() gives tuples.
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows
