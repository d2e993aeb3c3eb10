"""Inserting many rows in one statement over column arrays (``INSERT … SELECT … FROM unnest(…)``).

``bulk_create`` builds and binds one placeholder per row and field: for a thousand rows of a model with a
geometry it spends most of a sync batch's time in Python. Here each column travels as one array parameter,
so the statement has as many parameters as the table has columns, each sent in PostgreSQL's binary format
(a text array of a thousand values costs a tenth of the quoted text form). Values go through the model fields'
own ``pre_save`` (``auto_now`` timestamps); geometries travel as hex EWKB, JSON and array values as JSON
text, converted by PostgreSQL. Columns with a database default the object does not set are left to it.
"""

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from django.contrib.gis.db.models import GeometryField
from django.contrib.postgres.fields import ArrayField
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import AutoField, BigAutoField, JSONField, Model
from django.db.models.expressions import DatabaseDefault
from django.db.models.fields import NOT_PROVIDED


@contextmanager
def bound_cursor() -> Iterator[Any]:
    """A cursor of the current connection (and transaction) that binds parameters on the server.

    Django's psycopg cursors bind on the client, quoting every element of an array parameter into the SQL
    text in Python; here parameters travel apart, ``%b`` ones in binary. Wrapped like Django's own cursors,
    so query logging, counting and execute wrappers see these statements.
    """
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    cursor = connection._prepare_cursor(raw)  # type: ignore[attr-defined]  # the wrapping connection.cursor() applies
    try:
        yield cursor
    finally:
        cursor.close()


def _in_srid(geometry: Any, srid: int) -> Any:
    """The geometry in the column's reference system (as ``save()`` would store it)."""
    if geometry.srid is None:
        geometry = geometry.clone()
        geometry.srid = srid
    elif geometry.srid != srid:
        geometry = geometry.transform(srid, clone=True)
    return geometry


def _column(field: Any, values: list[Any]) -> tuple[str, str, list[Any]]:
    """(array parameter type, select expression of the element ``{c}``, parameter values) for one field."""
    if isinstance(field, GeometryField):
        return (
            "text",
            "{c}::geometry",
            [None if v is None else _in_srid(v, field.srid).hexewkb.decode() for v in values],
        )
    if isinstance(field, ArrayField):
        base = str(field.base_field.db_type(connection))
        return (
            "text",
            "ARRAY(SELECT jsonb_array_elements_text({c}::jsonb))::" + base + "[]",
            [None if v is None else json.dumps(list(v), cls=DjangoJSONEncoder) for v in values],
        )
    if isinstance(field, JSONField):
        encoder = field.encoder or DjangoJSONEncoder
        return "text", "{c}::jsonb", [None if v is None else json.dumps(v, cls=encoder) for v in values]
    return field.db_type(connection), "{c}", [field.get_db_prep_save(v, connection) for v in values]


def bulk_insert(objects: Sequence[Model]) -> None:
    """Insert ``objects`` (of one model, primary keys set unless auto-incremented) in one statement."""
    if not objects:
        return
    model = type(objects[0])
    columns, selects, types, params = [], [], [], []
    for number, field in enumerate(model._meta.concrete_fields):
        if isinstance(field, AutoField | BigAutoField):
            continue
        values = [field.pre_save(obj, add=True) for obj in objects]
        if field.db_default is not NOT_PROVIDED and all(isinstance(v, DatabaseDefault) for v in values):
            continue
        array_type, select, column_values = _column(field, values)
        columns.append(connection.ops.quote_name(field.column))
        selects.append(select.format(c=f"c{number}"))
        types.append((f"c{number}", array_type))
        params.append(column_values)
    arrays = ", ".join(f"%b::{array_type}[]" for _name, array_type in types)
    names = ", ".join(name for name, _type in types)
    # Only identifiers from the model's metadata and fixed type names are formatted in; values are parameters.
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(selects)} FROM unnest({arrays}) AS rows({names})"  # noqa: S608
    with bound_cursor() as cursor:
        cursor.execute(sql, params)


def bulk_update_fields(objects: Sequence[Model], fields: list[str]) -> None:
    """Set ``fields`` of ``objects`` (of one model) to their values in memory, in one UPDATE … FROM unnest(…).

    ``bulk_update`` writes a CASE with one branch per object and field: for hundreds of merged buildings it
    cost more than deciding the merges.
    """
    if not objects:
        return
    model = type(objects[0])
    pk = model._meta.pk
    assignments, selects, types, params = [], [], [], []
    columns: list[Any] = [pk, *(model._meta.get_field(name) for name in fields)]
    for number, field in enumerate(columns):
        values = [getattr(obj, field.attname) for obj in objects]
        array_type, select, column_values = _column(field, values)
        name = f"c{number}"
        selects.append(f"{select.format(c=name)} AS {name}")
        types.append((name, array_type))
        params.append(column_values)
        if field is not pk:
            assignments.append(f"{connection.ops.quote_name(field.column)} = v.{name}")
    arrays = ", ".join(f"%b::{array_type}[]" for _name, array_type in types)
    names = ", ".join(name for name, _type in types)
    table = connection.ops.quote_name(model._meta.db_table)
    key = connection.ops.quote_name(pk.column)
    # Identifiers from the model's metadata only; values are parameters.
    source = f"SELECT {', '.join(selects)} FROM unnest({arrays}) AS rows({names})"  # noqa: S608
    sql = f"UPDATE {table} SET {', '.join(assignments)} FROM ({source}) AS v WHERE {table}.{key} = v.c0"  # noqa: S608
    with bound_cursor() as cursor:
        cursor.execute(sql, params)
