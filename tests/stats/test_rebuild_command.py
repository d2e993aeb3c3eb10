"""``manage.py stats_rebuild`` computes the facts and rollups from the raw history."""

from io import StringIO

import pytest
from django.core.management import call_command

from apps.stats.models import DepartmentPeriodRollup, EventFact, RollupCursor
from tests.stats.conftest import Story, at, spot

pytestmark = pytest.mark.django_db


def test_the_command_rebuilds_the_facts_and_rollups(story: Story) -> None:
    event = story.report(at(2026, 11, 2, 9, 0), point=spot(0))
    story.act(event, at(2026, 11, 2, 9, 30), "sign", "department")
    assert not EventFact.objects.exists()
    out = StringIO()
    call_command("stats_rebuild", stdout=out)
    assert "rebuilt" in out.getvalue()
    assert EventFact.objects.filter(event_id=event.pk, signed_on_time=1).exists()
    month = DepartmentPeriodRollup.objects.get(kind="month", start="2026-11-01", department_id__isnull=False)
    assert (month.dispatched, month.signed_on_time) == (1, 1)
    assert RollupCursor.objects.filter(name="events").exists()
