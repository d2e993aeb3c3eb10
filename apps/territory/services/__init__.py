"""Writes to the territory: the GeoJSON import (all or nothing) and worker ↔ grid assignments."""

from .assignments import grid_assignment_create, grid_assignment_end, grid_assignments_set
from .features import FeatureError, ImportReport
from .importing import PathFollower, territory_import, territory_path_followers_register

__all__ = [
    "FeatureError",
    "ImportReport",
    "PathFollower",
    "grid_assignment_create",
    "grid_assignment_end",
    "grid_assignments_set",
    "territory_import",
    "territory_path_followers_register",
]
