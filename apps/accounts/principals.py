"""The caller behind an API key: a department's system, not a person."""

from typing import Any


class DepartmentClient:
    """``request.user`` for requests authenticated with an API key.

    It quacks like an authenticated user with role ``department_system`` so permission classes and
    selectors treat it uniformly, and it carries the department it acts for.
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    role = "department_system"
    territory_id = None

    def __init__(self, api_key: Any) -> None:
        self.api_key = api_key
        self.department = api_key.department
        self.department_id = api_key.department_id
        self.pk = None
        self.id = None
        self.username = f"apikey:{api_key.prefix}"

    def __str__(self) -> str:
        return self.username

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False
