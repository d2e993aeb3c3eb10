"""The raw fixes belong to their patrol without a foreign-key constraint: gridapi keeps the reference."""

import uuid
from typing import Any

import pytest
from django.db import connection

from apps.operations.models import Patrol, PatrolFix
from tests.operations.conftest import send, walk

pytestmark = pytest.mark.django_db


def test_deleting_a_patrol_deletes_its_fixes(worker: Any) -> None:
    kept, gone = uuid.uuid4(), uuid.uuid4()
    assert send(worker, kept, walk(20), op="create").status == "applied"
    assert send(worker, gone, walk(30), op="create").status == "applied"
    Patrol.objects.filter(pk=gone).delete()
    assert PatrolFix.objects.filter(patrol_id=gone).count() == 0
    assert PatrolFix.objects.filter(patrol_id=kept).count() == 20


def test_fixes_are_written_without_a_check_per_row(worker: Any) -> None:
    # The reference is kept by writing fixes only under the patrol's row lock; a constraint would look the
    # patrol up once per fix (see ``PatrolFix``).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'operations_patrolfix'::regclass AND contype = 'f'"
        )
        assert cursor.fetchone()[0] == 0


def test_a_chunk_for_a_patrol_nobody_started_stores_nothing(worker: Any) -> None:
    patrol_id = uuid.uuid4()
    outcome = send(worker, patrol_id, walk(10))
    assert outcome.status == "rejected"
    assert "id" in outcome.errors
    assert PatrolFix.objects.filter(patrol_id=patrol_id).count() == 0
