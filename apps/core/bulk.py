"""Inserting many rows in one statement over column arrays (``INSERT … SELECT … FROM unnest(…)``).

``bulk_create`` builds and binds one placeholder per row and field: for a thousand rows of a model with a
geometry it spends most of a sync batch's time in Python. Here each column travels as one array parameter,
so the statement has as many parameters as the table has columns, each sent in PostgreSQL's binary format
(a text array of a thousand values costs a tenth of the quoted text form). Values go through the model fields'
own ``pre_save`` (``auto_now`` timestamps); geometries travel as hex EWKB, JSON and array values as JSON
text, converted by PostgreSQL. Columns with a database default the object does not set are left to it.
"""

import datetime as dt
import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from django.conf import settings
from django.contrib.gis.db.models import GeometryField
from django.contrib.postgres.fields import ArrayField
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import AutoField, BigAutoField, JSONField, Model
from django.db.models.expressions import DatabaseDefault
from django.db.models.fields import NOT_PROVIDED
from psycopg import _queries

# psycopg converts a statement's ``%s``/``%b`` placeholders with a regular expression, and caches the result only
# for statements of up to 4,096 characters and 50 parameters (so that lists of thousands of values do not fill
# its cache). gridapi's statements pass whole columns as arrays: few parameters, but the statement writing a
# report's five rows at once (``insert_together``) is longer, and its conversion was redone on every report
# (6 % of the web process's CPU). The cache keeps 128 statements; these limits bound each entry.
_queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, 16_384)
_queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, 200)


class _BoundCursor(psycopg.Cursor[Any]):
    """psycopg's cursor, remembering the statement it ran also when that statement was prepared: Django's query
    log (``CaptureQueriesContext``, ``django.db.backends`` debug logging) reads it from there, and psycopg
    records it only for statements it sends unprepared (see ``DATABASE_PREPARE_THRESHOLD``)."""

    def _send_query_prepared(self, name: bytes, pgq: Any, *, binary: bool | None = None) -> None:
        self._query = pgq
        super()._send_query_prepared(name, pgq, binary=binary)


@contextmanager
def bound_cursor() -> Iterator[Any]:
    """A cursor of the current connection (and transaction) that binds parameters on the server.

    Django's psycopg cursors bind on the client, quoting every element of an array parameter into the SQL
    text in Python; here parameters travel apart, ``%b`` ones in binary. Wrapped like Django's own cursors,
    so query logging, counting and execute wrappers see these statements.
    """
    connection.ensure_connection()
    raw = _BoundCursor(connection.connection)
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
        base = _db_type(field.base_field)
        return (
            "text",
            "ARRAY(SELECT jsonb_array_elements_text({c}::jsonb))::" + base + "[]",
            [None if v is None else json.dumps(list(v), cls=DjangoJSONEncoder) for v in values],
        )
    if isinstance(field, JSONField):
        encoder = field.encoder or DjangoJSONEncoder
        return "text", "{c}::jsonb", [None if v is None else json.dumps(v, cls=encoder) for v in values]
    database = connections[DEFAULT_DB_ALIAS]  # the proxy ``connection`` costs a lookup per use
    native, prepare = _native_type(field), field.get_db_prep_save
    if native is dt.datetime and settings.USE_TZ:  # aware datetimes go as they are, naive ones are converted
        prepared = [
            v if v is None or (type(v) is dt.datetime and v.tzinfo) else prepare(v, database) for v in values
        ]
    else:
        prepared = [v if v is None or type(v) is native else prepare(v, database) for v in values]
    return _db_type(field), "{c}", prepared


_DB_TYPES: dict[Any, str] = {}


def _db_type(field: Any) -> str:
    """The column type of ``field``, worked out once per field (Django formats it anew on each call)."""
    try:
        return _DB_TYPES[field]
    except KeyError:
        found = _DB_TYPES[field] = str(field.db_type(connections[DEFAULT_DB_ALIAS]))
        return found


# Django's own fields whose ``get_db_prep_save`` returns a value of exactly this type unchanged, and that psycopg
# sends as it is: such values skip it (a sync batch has tens of thousands; preparing them was a fifth of the
# batch). Keyed by the exact class, so a subclass that converts values (say, one that encrypts) is prepared.
_NATIVE: dict[type, type] = {
    models.CharField: str, models.TextField: str, models.UUIDField: uuid.UUID, models.IntegerField: int,
    models.BigIntegerField: int, models.SmallIntegerField: int, models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int, models.PositiveBigIntegerField: int, models.FloatField: float,
    models.BooleanField: bool, models.DateField: dt.date, models.DateTimeField: dt.datetime,
}  # fmt: skip


def _native_type(field: Any) -> type | None:
    """The type of value ``field`` stores unchanged (a foreign key's is its target's), if it is one of those."""
    if type(field) in (models.ForeignKey, models.OneToOneField):
        field = field.target_field
    return _NATIVE.get(type(field))


def _rows_source(columns: list[tuple[Any, list[Any]]]) -> tuple[str, list[Any]]:
    """``SELECT c0, c1, … FROM unnest(%b, %b, …)`` over (field, values) pairs, and its parameters.

    Only identifiers from the models' metadata and fixed type names are formatted in; values are parameters.
    """
    selects, arrays, names, params = [], [], [], []
    for number, (field, values) in enumerate(columns):
        array_type, select, column_values = _column(field, values)
        name = f"c{number}"
        selects.append(f"{select.format(c=name)} AS {name}")
        arrays.append(f"%b::{array_type}[]")
        names.append(name)
        params.append(column_values)
    return f"SELECT {', '.join(selects)} FROM unnest({', '.join(arrays)}) AS rows({', '.join(names)})", params  # noqa: S608


def _insert(objects: Sequence[Model]) -> tuple[str, list[Any]]:
    """``INSERT INTO … SELECT … FROM unnest(…)`` of ``objects`` (of one model), and its parameters."""
    model = type(objects[0])
    columns = []
    for field in model._meta.concrete_fields:
        if isinstance(field, AutoField | BigAutoField):
            continue
        values = [field.pre_save(obj, add=True) for obj in objects]
        if field.db_default is not NOT_PROVIDED and all(isinstance(v, DatabaseDefault) for v in values):
            continue
        columns.append((field, values))
    source, params = _rows_source(columns)
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(field.column) for field, _values in columns)
    return f"INSERT INTO {table} ({names}) {source}", params


def bulk_insert(objects: Sequence[Model]) -> None:
    """Insert ``objects`` (of one model, primary keys set unless auto-incremented) in one statement."""
    if not objects:
        return
    sql, params = _insert(objects)
    with bound_cursor() as cursor:
        cursor.execute(sql, params)


def insert_together(*groups: Sequence[Model]) -> None:
    """Insert several groups of objects (each of one model) in one statement: ``WITH i0 AS (INSERT …), …
    INSERT …``. For a request that writes a row in each of several tables — an event, its report, its timeline,
    its journal entry, its notice — the round trips, not the rows, were the cost.

    The rows of all groups are written by one statement, so they see none of each other's: fine for foreign keys
    (Django's are deferred to the commit) and for database defaults, not for a trigger that reads a sibling row.
    Auto-incremented keys are not read back. The objects are left as ``save()`` leaves them: a later save updates.
    """
    statements = [_insert(objects) for objects in groups if objects]
    if not statements:
        return
    *first, (last_sql, last_params) = statements
    ctes = ", ".join(f"i{number} AS ({sql})" for number, (sql, _params) in enumerate(first))
    params = [param for _sql, group_params in first for param in group_params] + last_params
    with bound_cursor() as cursor:
        cursor.execute(f"WITH {ctes} {last_sql}" if ctes else last_sql, params)
    for objects in groups:
        for obj in objects:
            obj._state.adding, obj._state.db = False, DEFAULT_DB_ALIAS


def bulk_update_fields(objects: Sequence[Model], fields: list[str]) -> None:
    """Set ``fields`` of ``objects`` (of one model) to their values in memory, in one UPDATE … FROM unnest(…).

    ``bulk_update`` writes a CASE with one branch per object and field: for hundreds of merged buildings it
    cost more than deciding the merges.
    """
    if not objects:
        return
    model = type(objects[0])
    pk: Any = model._meta.pk
    changed: list[Any] = [model._meta.get_field(name) for name in fields]
    source, params = _rows_source(
        [(field, [getattr(obj, field.attname) for obj in objects]) for field in [pk, *changed]]
    )
    table = connection.ops.quote_name(model._meta.db_table)
    assignments = ", ".join(
        f"{connection.ops.quote_name(field.column)} = v.c{number}"
        for number, field in enumerate(changed, start=1)
    )
    key = connection.ops.quote_name(pk.column)
    with bound_cursor() as cursor:
        sql = f"UPDATE {table} SET {assignments} FROM ({source}) AS v WHERE {table}.{key} = v.c0"  # noqa: S608
        cursor.execute(sql, params)
