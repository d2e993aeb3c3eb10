# ruff: noqa: S608 - SQL assembled from this module's constants; values travel as parameters
"""The grid workers' own work as facts: effective patrol time, check-ins, visits, and tasks due and done.

One row per thing that counts, with the local day (Asia/Shanghai) it counts on, its grid and its worker (in the
facts' ``reporter_id``: the worker dimension), and no department, category or channel:

* a patrol (巡查) that is derived and carries no plausibility flag: its effective seconds (moving, inside the
  assigned grids, outside flagged stretches), on the day it started, in the first of its grids (by code) —
  有效巡查时长 counts unflagged patrols only, a flagged one is left to the dispatchers who see it;
* its counted check-ins (巡更打卡) per day and patrol point's grid;
* a visit (走访), on the day it started, in its grid;
* a task (走访/核查任务) not cancelled: due on its due day, and done when a visit completed it (``done``) no later
  than that day (Asia/Shanghai). A task is charged to one worker, so that a grid's total counts it once: the
  worker whose visit completed it, else the one who accepted it, else the grid's worker on the due day who
  was assigned first; with nobody, it counts for the grid only.

Every row is a record's (patrol, task, visit) and replaced whenever the journal shows the record changed.
"""

TZ = "Asia/Shanghai"

# (count column, SQL) of each kind of work, over the record table aliased as in the SELECT below.
WORK_COUNTS = ("patrol_s", "checkins", "visits", "tasks_due", "tasks_done")


def work_cte(*, by_ids: bool) -> str:
    """``work(record_id, grid_id, reporter_id, day, patrol_s, checkins, visits, tasks_due, tasks_done)``: every
    row of work (only of the records in ``%(ids)s`` when ``by_ids``)."""

    def only(column: str) -> str:
        return f"AND {column} = ANY(%(ids)s)" if by_ids else ""

    return f"""
work AS (
  SELECT p.id AS record_id, first_grid.id AS grid_id, p.worker_id AS reporter_id,
         (p.started_at AT TIME ZONE '{TZ}')::date AS day,
         round(p.effective_s)::int AS patrol_s, 0 AS checkins, 0 AS visits, 0 AS tasks_due, 0 AS tasks_done
  FROM operations_patrol p
  LEFT JOIN LATERAL (
    SELECT n.id FROM operations_patrol_grids pg JOIN territory_territorynode n ON n.id = pg.territorynode_id
    WHERE pg.patrol_id = p.id ORDER BY n.code LIMIT 1) first_grid ON TRUE
  WHERE p.derived_version > 0 AND cardinality(p.flags) = 0 AND round(p.effective_s) > 0 {only("p.id")}
  UNION ALL
  SELECT c.patrol_id, pt.grid_id, c.worker_id, (c.t AT TIME ZONE '{TZ}')::date, 0, count(*)::int, 0, 0, 0
  FROM operations_checkin c JOIN operations_patrolpoint pt ON pt.id = c.point_id
  WHERE c.counted AND c.patrol_id IS NOT NULL {only("c.patrol_id")}
  GROUP BY c.patrol_id, pt.grid_id, c.worker_id, (c.t AT TIME ZONE '{TZ}')::date
  UNION ALL
  SELECT v.id, v.grid_id, v.worker_id, (v.started_at AT TIME ZONE '{TZ}')::date, 0, 0, 1, 0, 0
  FROM operations_visit v WHERE TRUE {only("v.id")}
  UNION ALL
  SELECT t.id, t.grid_id,
         coalesce(done_by.worker_id, t.accepted_by_id, (
           SELECT a.worker_id FROM territory_gridassignment a
           WHERE a.grid_id = t.grid_id AND a.valid_from <= t.due AND (a.valid_to IS NULL OR a.valid_to >= t.due)
           ORDER BY a.valid_from, a.created_at, a.id LIMIT 1)),
         t.due, 0, 0, 0, 1,
         (t.status = 'done' AND (t.closed_at AT TIME ZONE '{TZ}')::date <= t.due)::int
  FROM operations_task t LEFT JOIN operations_visit done_by ON done_by.id = t.completed_by_id
  WHERE t.status <> 'cancelled' {only("t.id")}
)"""
