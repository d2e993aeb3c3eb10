"""The registry of change sources: the record types the change reader knows, each registered by its app."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, Q

Row = tuple[Any, ...]
# (row, {grid id: code} of the reader's scope, unseal) → the change envelope (``columns.envelope``).
Envelope = Callable[[Row, dict[str, str], Callable[[str], str]], dict[str, Any]]


@dataclass(frozen=True)
class ChangeSource:
    """How the change reader reads one record type.

    - ``kind``: the type's name in the journal (``JournalEntry.record_type``) and in envelopes.
    - ``model``: the table of the records.
    - ``order``: where the type comes in a snapshot; distinct per source and never changed once released
      (cursors hold it). The first four types hold 0–3; later types take 10, 20, …
    - ``columns``: the row's columns — ``ID, MERGED_INTO, GRID, OWNER, version, updated_at`` (see
      ``columns.py``; ``NULL`` where the type has none), then the type's own.
    - ``envelope``: the envelope of one row.
    - ``grid_field``: the lookup to the record's grid (``building__grid_id`` for a residence).
    - ``live``: which records a snapshot sends (not merged, not ended).
    - ``owner_field``: a user column whose records follow that user wherever they lie (an event's reporter).
    - ``canonical``: merged ids (text) → the id of the record they became (text), for ``merged`` tombstones.
    - ``revealed``: the sensitive or special fields an envelope carries in full (for the access log).
    """

    kind: str
    model: type[Model]
    order: int
    columns: Callable[[], list[Any]]
    envelope: Envelope
    grid_field: str = "grid_id"
    live: Q = field(default_factory=Q)
    owner_field: str | None = None
    canonical: Callable[[list[str]], dict[str, str]] | None = None
    revealed: Callable[[dict[str, Any]], tuple[str, ...]] | None = None


_sources: dict[str, ChangeSource] = {}


def change_source_register(source: ChangeSource) -> None:
    """Make ``source`` readable by pulls and feeds (from the owning app's ``AppConfig.ready``)."""
    clash = next((s for s in _sources.values() if s.order == source.order and s.kind != source.kind), None)
    if clash is not None:
        raise ImproperlyConfigured(
            f"change sources {clash.kind} and {source.kind} share order {source.order}"
        )
    _sources[source.kind] = source


def change_source(kind: str) -> ChangeSource:
    try:
        return _sources[kind]
    except KeyError:
        raise ImproperlyConfigured(
            f"no change source for {kind!r}: register it in its app's ready()"
        ) from None


def change_sources() -> list[ChangeSource]:
    """Every registered source, in snapshot order."""
    return sorted(_sources.values(), key=lambda source: source.order)


def change_kinds() -> list[str]:
    """The record types a reader may ask for, in snapshot order."""
    return [source.kind for source in change_sources()]
