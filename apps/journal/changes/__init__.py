"""The change engine: what a reader of the journal receives — a consistent snapshot of a scope of grids, then
every change after it, each record once in its latest state.

Device pulls (``apps.sync``) and department feeds and webhooks (``apps.sharing``) are its readers. A reader
holds a signed ``Cursor`` bound to its owner: the journal position (read never-skip by (txid, id) below the
snapshot xmin, see ``apps.journal.selectors``), the grids its scope covered there and, while a snapshot is
paged, where the snapshot stands. When grids leave the scope the next page sends ``out_of_scope`` tombstones
for their records; grids that join are sent as a snapshot before the changes go on; a type no longer asked for
leaves with tombstones, a type newly asked for re-sends the scope. A record merged into another is a
``merged`` tombstone naming the survivor, a record gone a ``deleted`` one, a record moved out of the scope an
``out_of_scope`` one.

Record types plug in by registration. The journal sits below the apps that own the records, so each of them
describes its types from its ``AppConfig.ready``::

    from apps.journal.changes import ChangeSource, change_source_register, columns as c

    change_source_register(ChangeSource(
        kind="patrol", model=Patrol, order=30,            # a new, never reused snapshot position
        columns=lambda: [c.text("id"), c.NULL, c.text("grid_id"), c.text("worker_id"), "version",
                         c.updated(), *c.coordinates(), "kind", c.text("started_at")],
        envelope=patrol_envelope,                         # (row, grid codes, unseal) -> c.envelope(...)
        owner_field="worker_id",                          # the worker's patrols follow them anywhere
    ))

The services of that app write a journal entry (``record_type=kind``, the record's grid and previous grid)
for every change, in the same transaction. Nothing in the engine names a type: organisations, employments,
patrols, visits, tasks, alerts or patrol points are added the same way. A page is one query per source
returning plain tuples (``columns.py``), envelopes built from them without model instances.
"""

from . import columns
from .cursor import AFTER_ALL, CURSOR_MAX_AGE, CURSOR_SALT, Cursor, CursorGone
from .reader import record_envelope, record_in_grids, scoped_changes, start_cursor
from .sources import ChangeSource, change_kinds, change_source, change_source_register, change_sources

__all__ = [
    "AFTER_ALL", "CURSOR_MAX_AGE", "CURSOR_SALT", "ChangeSource", "Cursor", "CursorGone", "change_kinds",
    "change_source", "change_source_register", "change_sources", "columns", "record_envelope", "record_in_grids",
    "scoped_changes", "start_cursor",
]  # fmt: skip
