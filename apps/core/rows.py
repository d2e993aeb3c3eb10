"""Model instances from rows of hand-written SQL, for the few reads every request makes.

Compiling a queryset costs Django about half a millisecond — more than PostgreSQL takes to answer an indexed
look-up — and the token look-up of every request, or the category of every report, would pay it each time.
Their SQL is written once instead (``Columns.sql`` lists a model's columns under a table alias) and each row is
made into instances as the ORM makes them: the same database converters applied to each value, then
``Model.from_db``, so the instances are indistinguishable from those a queryset returns (deferred fields
included: a column left out is loaded on first access, as with ``defer()``).
"""

from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model

M = TypeVar("M", bound=Model)

Converter = Callable[[Any, Any, Any], Any]


class Columns(Generic[M]):
    """The concrete columns of ``model`` under the table alias ``alias``, less ``defer`` (attribute names)."""

    def __init__(self, model: type[M], alias: str, *, defer: Iterable[str] = ()) -> None:
        self.model, self.alias, self.defer = model, alias, frozenset(defer)

    @cached_property
    def fields(self) -> list[Any]:
        unknown = self.defer - {field.attname for field in self.model._meta.concrete_fields}
        if unknown or self.model._meta.pk.attname in self.defer:
            raise ValueError(f"{self.model.__name__}: cannot leave out {sorted(self.defer)}")
        return [field for field in self.model._meta.concrete_fields if field.attname not in self.defer]

    @cached_property
    def sql(self) -> str:
        """``alias."column", …`` in the order ``instance`` takes the values."""
        quote = connection.ops.quote_name
        return ", ".join(f"{quote(self.alias)}.{quote(field.column)}" for field in self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    @cached_property
    def _attnames(self) -> list[str]:
        return [field.attname for field in self.fields]

    @cached_property
    def _pk_position(self) -> int:
        return self._attnames.index(self.model._meta.pk.attname)

    @cached_property
    def _converters(self) -> list[tuple[int, list[tuple[Converter, Any]]]]:
        """Per column that has any, the converters a queryset would apply (the backend's, then the field's)."""
        found = []
        for position, field in enumerate(self.fields):
            column = field.get_col(self.alias)
            converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if converters:
                found.append((position, [(converter, column) for converter in converters]))
        return found

    def instance(self, values: Sequence[Any]) -> M:
        """The instance of one row's values (``len(self)`` of them, in ``sql`` order), as a queryset makes it."""
        if len(values) != len(self.fields):
            raise ValueError(f"{len(values)} values for {len(self.fields)} columns of {self.model.__name__}")
        converted = list(values)
        for position, converters in self._converters:
            for converter, column in converters:
                converted[position] = converter(converted[position], column, connection)
        return self.model.from_db(DEFAULT_DB_ALIAS, self._attnames, converted)

    def take(self, row: Sequence[Any], start: int = 0) -> tuple[M, int]:
        """The instance whose values start at ``start`` in a row of several models' columns, and where the next
        model's values start."""
        end = start + len(self.fields)
        return self.instance(row[start:end]), end

    def take_optional(self, row: Sequence[Any], start: int = 0) -> tuple[M | None, int]:
        """As ``take``, but ``None`` when the primary key is NULL (an outer join that found nothing)."""
        end = start + len(self.fields)
        values = row[start:end]
        return (None if values[self._pk_position] is None else self.instance(values)), end
