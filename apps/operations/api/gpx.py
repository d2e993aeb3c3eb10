"""GPX 1.1 of a patrol's track, written with ``gpxpy``, and the renderer that serves it (``?format=gpx`` or
``Accept: application/gpx+xml``)."""

import datetime as dt
from typing import Any

import gpxpy.gpx
from rest_framework.renderers import BaseRenderer


class GpxRenderer(BaseRenderer):
    media_type = "application/gpx+xml"
    format = "gpx"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        if isinstance(data, str):
            return data.encode()
        # An error (a problem document) asked for as GPX: plain text rather than nothing.
        return str(data).encode()


def track_gpx(*, name: str, description: str, points: list[tuple[float, float, float]]) -> str:
    """A GPX 1.1 document with one track of one segment: ``points`` as (lon, lat, epoch seconds)."""
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "gridapi"
    track = gpxpy.gpx.GPXTrack(name=name, description=description)
    segment = gpxpy.gpx.GPXTrackSegment()
    segment.points = [
        gpxpy.gpx.GPXTrackPoint(latitude=lat, longitude=lon, time=dt.datetime.fromtimestamp(m, tz=dt.UTC))
        for lon, lat, m in points
    ]
    track.segments.append(segment)
    gpx.tracks.append(track)
    return gpx.to_xml(version="1.1")
