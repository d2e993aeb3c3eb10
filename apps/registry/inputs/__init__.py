"""The registry's data validators, shared by REST, the sync push and the demo (no HTTP in here).

``geo`` has the GeoJSON fields and the bounds of geometry and time; ``records`` the data of buildings, people
and residences as a collection brings them.
"""

from .geo import (
    POINT_SCHEMA,
    ObservedAtField,
    PointInputField,
    PolygonInputField,
    check_date,
    check_footprint,
    check_observation,
    check_observed_at,
)
from .records import (
    NUMBER_COLUMNS,
    BuildingCollectSerializer,
    BuildingDataSerializer,
    CollectMetaSerializer,
    PersonCollectSerializer,
    PersonDataSerializer,
    ResidenceInputSerializer,
    ResidenceRefSerializer,
)

__all__ = [
    "NUMBER_COLUMNS",
    "POINT_SCHEMA",
    "BuildingCollectSerializer",
    "BuildingDataSerializer",
    "CollectMetaSerializer",
    "ObservedAtField",
    "PersonCollectSerializer",
    "PersonDataSerializer",
    "PointInputField",
    "PolygonInputField",
    "ResidenceInputSerializer",
    "ResidenceRefSerializer",
    "check_date",
    "check_footprint",
    "check_observation",
    "check_observed_at",
]  # fmt: skip
