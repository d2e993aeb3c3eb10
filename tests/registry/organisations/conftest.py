"""Helpers for organisation tests: collect organisations at real places of the demo territory."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.gis.geos import Point

from apps.accounts.models import User
from apps.core.credit_code import credit_check_character, org_check_character
from apps.registry.organisations.inputs import OrganisationDataSerializer
from apps.registry.organisations.services import organisation_collect
from apps.registry.services import ObservationMeta
from tests.registry.conftest import XA


def credit_code(org8: str = "MA2XN2JX", prefix: str = "91", region: str = "350205") -> str:
    """A valid unified social credit code around ``org8`` (check characters computed)."""
    first17 = prefix + region + org8 + org_check_character(org8)
    return first17 + credit_check_character(first17)


@pytest.fixture
def collect_org(worker: User) -> Callable[..., Any]:
    """Collect one organisation through its validator and service, as the REST view and the push do."""

    def collect(point: tuple[float, float] | None = XA, collector: User | None = None, **data: Any) -> Any:
        data.setdefault("name", "新阳好味道餐饮店")
        valid = OrganisationDataSerializer(data=data)
        valid.is_valid(raise_exception=True)
        meta = ObservationMeta(
            collector=collector or worker, location=Point(*point, srid=4326) if point else None
        )
        return organisation_collect(data=dict(valid.validated_data), meta=meta, payload=data)

    return collect
