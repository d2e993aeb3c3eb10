"""Coordinate conversion against published reference pairs (eviltransform's test table)."""

import pytest

from apps.core.geo.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    distance_m,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    to_wgs84,
    wgs84_to_gcj02,
)

# (WGS84 lat, lon) → (GCJ-02 lat, lon), as published with the reference implementation.
WGS_GCJ = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # Shenzhen
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing
]
# coordtransform's published example, (lon, lat): at (116.404, 39.915) as WGS84 / GCJ-02 / BD-09.
ORIGIN = (116.404, 39.915)
WGS_TO_GCJ = (116.41024449916938, 39.91640428150164)
GCJ_TO_BD = (116.41036949371029, 39.92133699351021)
BD_TO_GCJ = (116.39762729119315, 39.90865673957631)


@pytest.mark.parametrize(("wgs", "gcj"), WGS_GCJ)
def test_forward_gcj02_matches_reference(wgs: tuple[float, float], gcj: tuple[float, float]) -> None:
    lon, lat = wgs84_to_gcj02(wgs[1], wgs[0])
    assert distance_m(lon, lat, gcj[1], gcj[0]) < 0.01


@pytest.mark.parametrize(("wgs", "gcj"), WGS_GCJ)
def test_inverse_gcj02_within_a_metre_of_reference(
    wgs: tuple[float, float], gcj: tuple[float, float]
) -> None:
    lon, lat = gcj02_to_wgs84(gcj[1], gcj[0])
    assert distance_m(lon, lat, wgs[1], wgs[0]) < 1.0


def test_bd09_formulas_match_reference() -> None:
    assert distance_m(*gcj02_to_bd09(*ORIGIN), *GCJ_TO_BD) < 0.01
    assert distance_m(*bd09_to_gcj02(*ORIGIN), *BD_TO_GCJ) < 0.01
    assert distance_m(*wgs84_to_gcj02(*ORIGIN), *WGS_TO_GCJ) < 0.01


def test_inverse_transforms_recover_reference_origin_within_a_metre() -> None:
    assert distance_m(*gcj02_to_wgs84(*WGS_TO_GCJ), *ORIGIN) < 1.0
    assert distance_m(*bd09_to_gcj02(*GCJ_TO_BD), *ORIGIN) < 1.0
    bd_of_origin = gcj02_to_bd09(*wgs84_to_gcj02(*ORIGIN))
    assert distance_m(*bd09_to_wgs84(*bd_of_origin), *ORIGIN) < 1.0
    assert distance_m(*to_wgs84(*bd_of_origin, "bd09"), *ORIGIN) < 1.0


def test_inverse_is_sub_metre_across_china() -> None:
    worst = 0.0
    for lat10 in range(185, 530, 23):  # 18.5°N .. 53°N
        for lon10 in range(740, 1350, 37):  # 74°E .. 135°E
            lon, lat = lon10 / 10, lat10 / 10
            back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
            worst = max(worst, distance_m(lon, lat, *back))
            back_bd = bd09_to_wgs84(*gcj02_to_bd09(*wgs84_to_gcj02(lon, lat)))
            worst = max(worst, distance_m(lon, lat, *back_bd))
    assert worst < 1.0


def test_haicang_offset_is_hundreds_of_metres() -> None:
    # The obfuscation is real: forgetting to convert would misplace a building by ~500 m in Xiamen.
    lon, lat = 118.0351, 24.4862
    assert 300 < distance_m(lon, lat, *wgs84_to_gcj02(lon, lat)) < 800


def test_outside_china_is_identity() -> None:
    assert out_of_china(2.35, 48.85)
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert to_wgs84(2.35, 48.85, "gcj02") == (2.35, 48.85)


def test_to_wgs84_rejects_unknown_crs() -> None:
    with pytest.raises(ValueError, match="osgb"):
        to_wgs84(118.0, 24.0, "osgb")
