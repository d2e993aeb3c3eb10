"""The map of open events (aggregated on the server), its grid boundaries, and the patrols of a day."""

import datetime as dt

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date

from ..access import console_page
from ..forms import MapQueryForm
from ..mapdata import grid_boundaries, open_event_cells, patrol_features, patrols_of_day, tile_layer


@console_page
def map_page(request: HttpRequest) -> HttpResponse:
    return render(request, "console/map.html", {"tiles": tile_layer(), "nav": "map"})


@console_page
def map_cells(request: HttpRequest) -> HttpResponse:
    """``?zoom=&bbox=west,south,east,north``: the open events of the view, one feature per occupied cell."""
    form = MapQueryForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    body = open_event_cells(request.user, zoom=form.cleaned_data["zoom"], bbox=form.cleaned_data["bbox"])
    return JsonResponse(body)


@console_page
def map_grids(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(grid_boundaries(request.user))
    response["Cache-Control"] = "private, max-age=300"
    return response


@console_page
def patrols(request: HttpRequest) -> HttpResponse:
    """The patrols that started on ``?day=`` (today by default), their tracks on the map and their flags."""
    try:
        day = parse_date(request.GET.get("day", "")) or timezone.localdate()
    except ValueError:  # well formed but no such day (2026-02-30)
        day = timezone.localdate()
    found = patrols_of_day(request.user, day)
    context = {
        "day": day, "previous": day - dt.timedelta(days=1), "next": day + dt.timedelta(days=1),
        "patrols": found, "tracks": patrol_features(found), "tiles": tile_layer(), "nav": "patrols",
    }  # fmt: skip
    return render(request, "console/patrols.html", context)
