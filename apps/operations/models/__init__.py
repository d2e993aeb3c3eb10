"""Grid operations: patrols with their raw fixes and derived track, patrol points and check-ins (``patrols``),
visits (``visits``), tasks and the schedule rules that make them (``tasks``).

Everything is re-exported here: callers and the migrations import from ``apps.operations.models``.
"""

from apps.operations.models.patrols import (
    FIX_ACCURACY_LIMIT_M,
    PROVIDER_CODES,
    TRACK_MAX_DEVIATION_M,
    CheckIn,
    CheckMethod,
    LineStringMField,
    Patrol,
    PatrolFix,
    PatrolFlag,
    PatrolKind,
    PatrolPoint,
    PointSchedule,
    Provider,
    RealField,
)
from apps.operations.models.tasks import (
    OPEN_TASK_STATUSES,
    Period,
    ScheduleRule,
    SubjectType,
    Task,
    TaskKind,
    TaskNotice,
    TaskSource,
    TaskStatus,
)
from apps.operations.models.visits import Visit, VisitKind, VisitOutcome

__all__ = [
    "FIX_ACCURACY_LIMIT_M",
    "OPEN_TASK_STATUSES",
    "PROVIDER_CODES",
    "TRACK_MAX_DEVIATION_M",
    "CheckIn",
    "CheckMethod",
    "LineStringMField",
    "Patrol",
    "PatrolFix",
    "PatrolFlag",
    "PatrolKind",
    "PatrolPoint",
    "Period",
    "PointSchedule",
    "Provider",
    "RealField",
    "ScheduleRule",
    "SubjectType",
    "Task",
    "TaskKind",
    "TaskNotice",
    "TaskSource",
    "TaskStatus",
    "Visit",
    "VisitKind",
    "VisitOutcome",
]
