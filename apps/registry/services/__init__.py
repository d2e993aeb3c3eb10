"""Writes to the registry. ``collect`` services are the single entry for the REST API and the mobile sync."""

from .access import LIST_VIEW, people_access_log, residences_access_log
from .batch import Submission, buildings_collect_batch
from .buildings import building_collect, building_update
from .common import CollectOutcome, ObservationMeta
from .merging import record_merge
from .people import person_collect, person_update
from .residences import RESIDENCE_EDITABLE, residence_collect, residence_end, residence_update
from .reviews import review_decide
from .unmerging import record_unmerge

__all__ = [
    "LIST_VIEW",
    "RESIDENCE_EDITABLE",
    "CollectOutcome",
    "ObservationMeta",
    "Submission",
    "building_collect",
    "building_update",
    "buildings_collect_batch",
    "people_access_log",
    "person_collect",
    "person_update",
    "record_merge",
    "record_unmerge",
    "residence_collect",
    "residence_end",
    "residence_update",
    "residences_access_log",
    "review_decide",
]
