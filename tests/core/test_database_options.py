"""How gridapi's connections are set up for its statements (milliseconds each, never analytical scans)."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_jit_compilation_is_off_on_gridapis_connections() -> None:
    # A patrol's derivation is costed above ``jit_above_cost`` (PostGIS functions are costed high): with JIT on,
    # PostgreSQL spent 70 ms compiling a statement that runs in 35.
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
