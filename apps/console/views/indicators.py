"""The indicators dashboard: the stats app's table for the dispatcher's territory, its charts and exports."""

import datetime as dt
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from apps.stats.indicators import DEFINITIONS, periods_between
from apps.stats.reports import indicator_table
from apps.stats.selectors import Query, default_node

from ..access import console_page

MONTHS = 6
SHOWN = ("filed", "closed", "closed_on_time", "rework", "returned", "overdue", "satisfaction", "composite")


@console_page
def indicators(request: HttpRequest) -> HttpResponse:
    """The last months by department: the totals per month, the last month per department, charts, exports."""
    end = timezone.localdate()
    start = (end.replace(day=1) - dt.timedelta(days=31 * (MONTHS - 1))).replace(day=1)
    periods = periods_between("month", start, end)
    node = default_node(request.user)
    table = indicator_table(
        principal=request.user,
        query=Query(dimension="department", periods=periods, node=node),
        period_kind="month",
    )
    for row in table.rows:
        row["cells"] = [(row["indicators"].get(name) or {}).get("value") for name in SHOWN]
    totals = [row for row in table.rows if row["level"] == "total"]
    last = periods[-1].label
    departments = [row for row in table.rows if row["level"] != "total" and row["period"] == last]
    params = {
        "period": "month",
        "start": start.isoformat(),
        "end": end.isoformat(),
        "dimension": "department",
    }
    api = reverse("stats-indicators")
    links = {
        "csv": f"{api}?{urlencode({**params, 'format': 'csv'})}",
        "xlsx": f"{api}?{urlencode({**params, 'format': 'xlsx'})}",
        "chart": f"{api}?{urlencode({**params, 'format': 'svg', 'indicator': 'composite'})}",
    }
    columns = [(name, DEFINITIONS[name][0]) for name in SHOWN]
    context = {"totals": totals, "departments": departments, "columns": columns, "links": links,
               "last": last, "as_of": table.rollups_as_of, "nav": "indicators"}  # fmt: skip
    return render(request, "console/indicators.html", context)
