"""Who is calling: a person signed in (a ``User``) or a department's system (an API key).

Selectors and services take a ``Principal`` rather than ``Any``: both kinds satisfy this protocol, so the
visibility gate and the permission classes treat them alike.
"""

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Principal(Protocol):
    """The caller of a read or a write. ``role`` is one of the account roles or ``department_system``."""

    is_authenticated: bool
    is_superuser: bool
    role: str
    pk: Any
