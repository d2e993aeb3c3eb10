"""Role-based permission classes shared by every app.

Object-level visibility is NOT decided here: every view starts from a selector that returns only what
the caller may see, so an object outside the caller's scope is a 404, never a 403 that confirms it exists.
"""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request


def role_of(user: Any) -> str | None:
    if not getattr(user, "is_authenticated", False):
        return None
    if getattr(user, "is_superuser", False):
        return "admin"
    return getattr(user, "role", None)


class HasRole(BasePermission):
    """Allow callers whose role is in ``roles``. Use ``HasRole.of("admin", "dispatcher")``."""

    roles: frozenset[str] = frozenset()

    @classmethod
    def of(cls, *roles: str) -> type["HasRole"]:
        return type(f"HasRole_{'_'.join(roles)}", (cls,), {"roles": frozenset(roles)})

    def has_permission(self, request: Request, view: Any) -> bool:
        return role_of(request.user) in self.roles


IsAdmin = HasRole.of("admin")
IsAdminOrDispatcher = HasRole.of("admin", "dispatcher")
