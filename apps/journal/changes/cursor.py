"""The change reader's cursor: signed, bound to its owner, opaque to whoever holds it."""

import datetime as dt
from dataclasses import asdict, dataclass, field

from django.core import signing
from rest_framework.exceptions import APIException

# The salt predates the engine's move into the journal: cursors devices and departments hold stay valid.
CURSOR_SALT = "gridapi.sync.pull-cursor"
CURSOR_MAX_AGE = dt.timedelta(days=60)  # the protocol promises at least 30
AFTER_ALL = 2**62


class CursorGone(APIException):
    status_code = 410
    default_detail = "This cursor has expired or belongs to someone else; pull again without a cursor."
    default_code = "cursor_gone"


@dataclass
class Cursor:
    """Where a reader stands: the journal position (``txid``, ``id``), the grids its scope covered there and,
    while a snapshot is paged, where the snapshot stands.

    ``user`` is the owner the cursor is bound to (a user id for a device, ``feed:<id>`` for a feed).
    ``snapshot_type`` is the ``order`` of the first change source the snapshot has not finished (see
    ``sources.py``): an order, not an index, so that a type registered later never shifts a cursor held now.
    """

    user: str
    txid: int
    id: int
    grids: list[str]
    snapshot: bool = False
    snapshot_grids: list[str] = field(default_factory=list)
    snapshot_type: int = 0
    snapshot_after: str | None = None
    scope_version: int = 0
    # The record types the cursor has sent; None for a cursor made before they were kept (or for a feed's
    # webhook fan-out): then whatever is asked for now.
    types: list[str] | None = None

    def encode(self) -> str:
        return signing.dumps(asdict(self), salt=CURSOR_SALT, compress=True)

    @classmethod
    def decode(cls, token: str, *, owner: str) -> "Cursor":
        try:
            data = signing.loads(token, salt=CURSOR_SALT, max_age=CURSOR_MAX_AGE)
            cursor = cls(**data)
        except (signing.BadSignature, TypeError, ValueError, UnicodeError) as exc:
            raise CursorGone() from exc
        if cursor.user != owner:
            raise CursorGone()
        return cursor
