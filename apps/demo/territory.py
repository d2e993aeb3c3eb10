"""A district modelled on Xiamen's Haicang (海沧区): 4 subdistricts, 12 communities, 72 grids.

Boundaries are simplified to rectangles at plausible coordinates. Each community is cut into 3 × 2
grids that tile it exactly (shared edges are computed from the same numbers), so grids neither gap
nor overlap, and every parent is the exact union of its children.
"""

from typing import Any

from shapely.geometry import MultiPolygon, box, mapping
from shapely.ops import unary_union

CITY = ("350200", "厦门市", "Xiamen")
DISTRICT = ("350205", "海沧区", "Haicang")

# code, name, English name, (min lon, min lat, max lon, max lat), communities west → east
SUBDISTRICTS: list[tuple[str, str, str, tuple[float, float, float, float], list[tuple[str, str, str]]]] = [
    (
        "HC-DF", "东孚街道", "Dongfu", (117.920, 24.520, 118.000, 24.600),
        [("HC-DF-DY", "东瑶村", "Dongyao"), ("HC-DF-DM", "鼎美村", "Dingmei"), ("HC-DF-GB", "过坂村", "Guoban")],
    ),
    (
        "HC-XY", "新阳街道", "Xinyang", (118.000, 24.480, 118.060, 24.560),
        [("HC-XY-XL", "祥露村", "Xianglu"), ("HC-XY-XA", "新垵村", "Xin'an"), ("HC-XY-XAY", "霞阳村", "Xiayang")],
    ),
    (
        "HC-HC", "海沧街道", "Haicang", (117.960, 24.440, 118.030, 24.480),
        [("HC-HC-QJ", "青礁村", "Qingjiao"), ("HC-HC-HCS", "海沧社区", "Haicang Community"),
         ("HC-HC-WC", "温厝村", "Wencuo")],
    ),
    (
        "HC-SY", "嵩屿街道", "Songyu", (118.030, 24.430, 118.090, 24.480),
        [("HC-SY-JM", "渐美村", "Jianmei"), ("HC-SY-HH", "海虹社区", "Haihong"), ("HC-SY-HF", "海发社区", "Haifa")],
    ),
]  # fmt: skip

GRID_COLUMNS, GRID_ROWS = 3, 2


def _cuts(low: float, high: float, parts: int) -> list[float]:
    return [round(low + (high - low) * i / parts, 6) for i in range(parts + 1)]


def _feature(
    code: str, name: str, name_en: str, level: str, parent: str | None, geometry: Any
) -> dict[str, Any]:
    if geometry.geom_type == "Polygon":
        geometry = MultiPolygon([geometry])
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "name_en": name_en, "level": level, "parent": parent},
        "geometry": mapping(geometry),
    }


def haicang_features() -> dict[str, Any]:
    """The demo territory as a GeoJSON FeatureCollection, parents before children."""
    features: list[dict[str, Any]] = []
    subdistrict_shapes = []
    lower: list[dict[str, Any]] = []
    for sd_code, sd_name, sd_en, (x0, y0, x1, y1), communities in SUBDISTRICTS:
        sd_shape = box(x0, y0, x1, y1)
        subdistrict_shapes.append(sd_shape)
        lower.append(_feature(sd_code, sd_name, sd_en, "subdistrict", DISTRICT[0], sd_shape))
        xs = _cuts(x0, x1, len(communities))
        for i, (c_code, c_name, c_en) in enumerate(communities):
            cx0, cx1 = xs[i], xs[i + 1]
            lower.append(_feature(c_code, c_name, c_en, "community", sd_code, box(cx0, y0, cx1, y1)))
            gxs, gys = _cuts(cx0, cx1, GRID_COLUMNS), _cuts(y0, y1, GRID_ROWS)
            number = 0
            for row in range(GRID_ROWS):
                for col in range(GRID_COLUMNS):
                    number += 1
                    lower.append(
                        _feature(
                            f"{c_code}-{number:02d}",
                            f"{c_name}第{number}网格",
                            f"{c_en} grid {number}",
                            "grid",
                            c_code,
                            box(gxs[col], gys[row], gxs[col + 1], gys[row + 1]),
                        )
                    )
    district_shape = unary_union(subdistrict_shapes)
    city_shape = box(117.85, 24.40, 118.25, 24.75)
    features.append(_feature(CITY[0], CITY[1], CITY[2], "city", None, city_shape))
    features.append(_feature(DISTRICT[0], DISTRICT[1], DISTRICT[2], "district", CITY[0], district_shape))
    features.extend(lower)
    return {"type": "FeatureCollection", "features": features}
