"""Who is calling: a person signed in (a ``User``) or a department's system (an API key).

Selectors and services take a ``Principal`` rather than ``Any``: both kinds satisfy this protocol, so the
visibility gate and the permission classes treat them alike.
"""

from typing import Any, Protocol, cast, runtime_checkable


@runtime_checkable
class Principal(Protocol):
    """The caller of a read or a write. ``role`` is one of the account roles or ``department_system``.

    Read-only members, so that a model field, a property and a class attribute all satisfy it.
    """

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_superuser(self) -> bool: ...

    @property
    def role(self) -> str: ...

    @property
    def pk(self) -> Any: ...


def principal_of(request: Any) -> Principal:
    """``request.user`` as a principal, in views whose permission classes already refused anonymous callers."""
    return cast(Principal, request.user)
