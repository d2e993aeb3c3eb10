"""The geospatial key: H3 cells used to block candidates and to serialise collection.

Resolution 10 cells have ~76 m edges; a cell and its six neighbours contain every point within
~120 m of any point of the cell, which covers the candidate radius with room for GPS noise.
"""

import h3

RESOLUTION = 10


def cell_of(lon: float, lat: float) -> str:
    return str(h3.latlng_to_cell(lat, lon, RESOLUTION))


def neighbourhood(cell: str) -> list[str]:
    """The cell and its ring of neighbours, sorted (a stable lock order)."""
    return sorted(h3.grid_disk(cell, 1))
