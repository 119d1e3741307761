"""Model instances from hand-written SQL, for the few statements behind every request (the
token lookup, a device listing page) where compiling an ORM query each time would cost more
than running it. Columns come from the models' own metadata, so the SQL follows the models."""

from dataclasses import dataclass

from django.db import connection


@dataclass(frozen=True)
class Columns:
    """Some columns of a model under a table alias, and how to turn them into an instance."""

    model: type
    fields: tuple
    sql: str
    converters: tuple  # per field: the ORM's converters for this database
    attnames: list

    def instance(self, values):
        """An instance from its columns, converted as the ORM converts them (None for the
        missing row of an outer join); fields not selected are deferred."""
        if values[self.pk_index] is None:
            return None
        values = list(values)
        for index, converters in enumerate(self.converters):
            for converter in converters:
                values[index] = converter(values[index], self.fields[index].cached_col, connection)
        return self.model.from_db(connection.alias, self.attnames, values)

    @property
    def pk_index(self) -> int:
        return self.fields.index(self.model._meta.pk)


def columns(model, alias: str, names: list[str] | None = None) -> Columns:
    """The model's concrete fields (or the named ones) as ``alias."column", ...``."""
    fields = tuple(model._meta.concrete_fields if names is None else [model._meta.get_field(n) for n in names])
    converters = tuple(
        tuple(connection.ops.get_db_converters(field.cached_col) + field.get_db_converters(connection))
        for field in fields
    )
    sql = ", ".join(f'{alias}."{field.column}"' for field in fields)
    return Columns(model, fields, sql, converters, [field.attname for field in fields])


def instances(selected: list[Columns], row) -> tuple[list, int]:
    """The instances of ``selected`` from the start of ``row``, and where the rest of it begins."""
    objects, start = [], 0
    for part in selected:
        objects.append(part.instance(row[start : start + len(part.fields)]))
        start += len(part.fields)
    return objects, start


def relate(instance_, field_name: str, related) -> None:
    """Set what ``select_related`` would have set: ``instance_.<field_name>`` is ``related``."""
    instance_._meta.get_field(field_name).set_cached_value(instance_, related)


def fetch(sql: str, params: list) -> list[tuple]:
    """The rows of a hand-written statement. (Prepared statements were tried: planning once
    per connection saved no time on the token lookup.)"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
