"""factory_boy factories for the foundation models."""

from typing import Any

import factory
from django.contrib.gis.geos import MultiPolygon, Polygon

from apps.accounts.models import Role, User
from apps.departments.models import Department
from apps.territory.models import TerritoryNode

TEST_PASSWORD = "test-password-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.GRID_WORKER
    full_name = factory.Faker("name", locale="zh_CN")

    @factory.post_generation
    def password(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        self.set_password(extracted or TEST_PASSWORD)
        if create:
            self.save(update_fields=["password"])


def square(lon: float, lat: float, size: float = 0.01) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((lon, lat, lon + size, lat + size)), srid=4326)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"DEPT-{n}")
    name = factory.Sequence(lambda n: f"部门{n}")
    level = "district"
    jurisdiction = factory.LazyFunction(lambda: TerritoryNode.objects.get(code="350205"))
