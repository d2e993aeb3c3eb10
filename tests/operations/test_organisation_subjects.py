"""Organisations are subjects of tasks and visits: the quarterly inspection of every 九小场所, a dispatcher's task
naming a shop, a visit of a shop (in the shop's grid), each checked through the gate."""

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from rest_framework.exceptions import ValidationError

from apps.operations.models import ScheduleRule, Task, TaskStatus, Visit
from apps.operations.services import schedule_rules_run, task_create, visit_apply
from apps.registry.organisations.models import Organisation
from tests.operations.conftest import ORIGIN

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 16)


@pytest.fixture
def shop_in(territory: Any) -> Callable[..., Organisation]:
    def make(
        code: str = "HC-XY-XA-01", tags: tuple[str, ...] = ("nine_small",), name: str = "新垵便利店"
    ) -> Any:
        return Organisation.objects.create(name=name, name_norm=name, grid=territory[code], tags=list(tags),
                                           location=Point(*ORIGIN, srid=4326))  # fmt: skip

    return make


def test_a_quarterly_inspection_of_every_nine_small_place(territory: Any, shop_in: Any) -> None:
    ScheduleRule.objects.create(name="九小场所季检", subject_type="organisation", tag="nine_small", period="quarterly",
                                task_kind="inspect", title="九小场所消防检查", territory=territory["HC-XY"])  # fmt: skip
    small = [shop_in(), shop_in(name="新垵小吃")]
    shop_in(tags=())  # not a 九小场所
    shop_in(code="HC-SY-HH-01")  # outside the rule's territory
    Organisation.objects.create(name="并入的店", name_norm="并入的店", grid=territory["HC-XY-XA-01"], tags=["nine_small"],
                                location=Point(*ORIGIN, srid=4326), merged_into=small[0])  # fmt: skip
    assert schedule_rules_run(today=DAY) == 2
    assert schedule_rules_run(today=DAY) == 0
    tasks = Task.objects.all()
    assert {(t.subject_type, t.subject_id, t.kind) for t in tasks} == {
        ("organisation", s.pk, "inspect") for s in small
    }
    assert {t.due for t in tasks} == {dt.date(2026, 12, 31)}


def test_a_dispatcher_asks_for_a_visit_of_a_shop_they_may_see(shop_in: Any, dispatcher_of: Any) -> None:
    shop, elsewhere = shop_in(), shop_in(code="HC-SY-HH-01")
    dispatcher = dispatcher_of("HC-XY")
    task = task_create(actor=dispatcher, kind="inspect", title="消防检查", due=DAY, subject_type="organisation",
                       subject_id=shop.pk)  # fmt: skip
    assert (task.subject_type, task.grid_id) == ("organisation", shop.grid_id)
    with pytest.raises(ValidationError, match="subject_id"):
        task_create(actor=dispatcher, kind="inspect", title="消防检查", due=DAY, subject_type="organisation",
                    subject_id=elsewhere.pk)  # fmt: skip


def test_a_visit_of_a_shop_lies_in_the_shops_grid_and_completes_its_task(
    shop_in: Any, dispatcher_of: Any, worker_of: Any, territory: Any
) -> None:
    shop = shop_in()
    task = task_create(actor=dispatcher_of("HC-XY"), kind="inspect", title="消防检查", due=DAY,
                       subject_type="organisation", subject_id=shop.pk)  # fmt: skip
    worker = worker_of("HC-XY-XA-02", "HC-XY-XA-01")  # serves two grids: the visit is placed by the shop's
    body = {"kind": "safety", "organisation_id": str(shop.pk), "started_at": "2026-11-16T10:00:00+08:00",
            "outcome": "done"}  # fmt: skip
    outcome = visit_apply(principal=worker, record_id=uuid.uuid4(), op="create", data=body)
    assert outcome.status == "applied", outcome.errors
    visit = Visit.objects.get(pk=outcome.id)
    assert (visit.organisation_id, visit.grid_id) == (shop.pk, territory["HC-XY-XA-01"].pk)
    done = visit_apply(
        principal=worker, record_id=uuid.uuid4(), op="create", data={**body, "task_id": str(task.pk)}
    )
    assert done.status == "applied", done.errors
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


def test_a_visit_naming_a_shop_out_of_sight_is_a_field_error(shop_in: Any, worker_of: Any) -> None:
    elsewhere = shop_in(code="HC-SY-HH-01")
    outcome = visit_apply(principal=worker_of("HC-XY-XA-01"), record_id=uuid.uuid4(), op="create", data={
        "organisation_id": str(elsewhere.pk), "started_at": "2026-11-16T10:00:00+08:00", "outcome": "done"})  # fmt: skip
    assert outcome.status == "rejected" and "organisation_id" in outcome.errors["data"]
