"""GCJ-02 / BD-09 district files: converted to WGS-84 on load, and only WGS-84 reaches a vehicle."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import Point

from mission import crs
from mission.errors import DistrictError, FormatError

GEOD = Geod(ellps="WGS84")

# Reference pairs (WGS-84 lat, lon -> GCJ-02 lat, lon) from the test suite of eviltransform,
# the implementation PRCoords cites as its source: googollee/eviltransform, python/test.py
# (commit 3416646abc64972e899118271bd98030224d9d6c), list TESTS.
EVILTRANSFORM_TESTS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]

# WGS-84 / GCJ-02 / BD-09 triples (lon, lat) from the tests of prcoords-typed, a typed
# continuation of PRCoords: hanming-li/prcoords-typed, tests/test_conversion.py
# (commit 087a598f8050d01f24eb3431e855dbeef5e83d65), dict _CASES.
PRCOORDS_TYPED_CASES = {
    "Beijing Capital": (
        (116 + 35.9 / 60, 40 + 4.4 / 60),
        (116.604140, 40.074380),
        (116.610670, 40.080272),
    ),
    "Beijing Daxing": (
        (116 + 24 / 60, 39 + 30 / 60),
        (116.406192, 39.501340),
        (116.412597, 39.507676),
    ),
    "Ordos Ejin Horo": (
        (109 + 51.9 / 60, 39 + 29.4 / 60),
        (109.870522, 39.490848),
        (109.877133, 39.496571),
    ),
}


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


def district_points(district, n: int, seed: int) -> list[tuple[float, float]]:
    """``n`` seeded random (lon, lat) inside the district boundary."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = district.boundary.bounds
    points: list[tuple[float, float]] = []
    while len(points) < n:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if district.boundary.contains(Point(x, y)):
            lon, lat = district.frame.to_lonlat(x, y)
            points.append((float(lon), float(lat)))
    return points


@pytest.mark.parametrize("system", [crs.GCJ02, crs.BD09])
def test_round_trip_within_half_a_metre_across_the_district(example_district, system):
    worst = 0.0
    for lon, lat in district_points(example_district, 100, seed=8):
        shifted = crs.from_wgs84(lon, lat, system)
        assert metres((lon, lat), shifted) > 100  # Lanzhou: the offset is hundreds of metres
        back = crs.to_wgs84(*shifted, system)
        worst = max(worst, metres((lon, lat), back))
    assert worst < 0.5


@pytest.mark.parametrize("wgs_lat, wgs_lon, gcj_lat, gcj_lon", EVILTRANSFORM_TESTS)
def test_eviltransform_reference_pairs_agree_to_a_metre(wgs_lat, wgs_lon, gcj_lat, gcj_lon):
    assert metres(crs.from_wgs84(wgs_lon, wgs_lat, "gcj02"), (gcj_lon, gcj_lat)) < 1.0
    assert metres(crs.to_wgs84(gcj_lon, gcj_lat, "gcj02"), (wgs_lon, wgs_lat)) < 1.0


@pytest.mark.parametrize("name", sorted(PRCOORDS_TYPED_CASES))
def test_prcoords_typed_reference_triples_agree_to_a_metre(name):
    wgs, gcj, bd = PRCOORDS_TYPED_CASES[name]
    assert metres(crs.from_wgs84(*wgs, "gcj02"), gcj) < 1.0
    assert metres(crs.from_wgs84(*wgs, "bd09"), bd) < 1.0
    assert metres(crs.to_wgs84(*gcj, "gcj02"), wgs) < 1.0
    assert metres(crs.to_wgs84(*bd, "bd09"), wgs) < 1.0


def every_geometry_fc() -> dict:
    ring = [[103.78, 36.06], [103.79, 36.06], [103.79, 36.065], [103.78, 36.06]]
    hole = [[103.785, 36.061], [103.786, 36.061], [103.786, 36.062], [103.785, 36.061]]
    return {
        "type": "FeatureCollection",
        "crs": "gcj02",
        "bbox": [0, 0, 1, 1],
        "features": [
            {"type": "Feature", "properties": {"kind": "x", "name_zh": "甲"},
             "geometry": {"type": "Point", "coordinates": [103.78, 36.06, 1520.5]}},
            {"type": "Feature", "properties": {},
             "geometry": {"type": "Polygon", "coordinates": [ring, hole]}},
            {"type": "Feature", "properties": {},
             "geometry": {"type": "MultiLineString", "coordinates": [ring[:2], ring[1:3]]}},
            {"type": "Feature", "properties": {},
             "geometry": {"type": "GeometryCollection", "geometries": [
                 {"type": "Point", "coordinates": [103.79, 36.065]},
                 {"type": "MultiPolygon", "coordinates": [[ring]]}]}},
            {"type": "Feature", "properties": {}, "geometry": None},
        ],
    }  # fmt: skip


def positions(fc: dict) -> list[list[float]]:
    out: list[list[float]] = []

    def walk(c):
        if c and isinstance(c[0], int | float):
            out.append(c)
        else:
            for x in c:
                walk(x)

    def geom(g):
        if not g:
            return
        if g["type"] == "GeometryCollection":
            for sub in g["geometries"]:
                geom(sub)
        else:
            walk(g["coordinates"])

    for f in fc["features"]:
        geom(f["geometry"])
    return out


def test_every_position_of_every_geometry_is_converted_and_altitude_kept():
    fc = every_geometry_fc()
    before = json.dumps(fc, sort_keys=True)
    out = crs.to_wgs84_feature_collection(fc, "gcj02")
    assert json.dumps(fc, sort_keys=True) == before  # the input is left alone
    src, dst = positions(fc), positions(out)
    assert len(src) == len(dst) == 18
    for a, b in zip(src, dst, strict=True):
        assert metres(crs.to_wgs84(a[0], a[1], "gcj02"), (b[0], b[1])) < 1e-6
        assert metres(a, b) > 100
        assert a[2:] == b[2:]
    assert out["crs"] == "wgs84"
    assert "bbox" not in out
    assert out["features"][0]["properties"] == {"kind": "x", "name_zh": "甲"}


def test_unknown_system_is_one_district_error_line():
    with pytest.raises(DistrictError) as err:
        crs.to_wgs84_feature_collection(every_geometry_fc(), "utm48")
    assert "\n" not in str(err.value)
    assert "wgs84, gcj02 or bd09" in str(err.value)


@pytest.mark.parametrize(
    "value, expected",
    [("WGS-84", "wgs84"), ("EPSG:4326", "wgs84"), ("GCJ-02", "gcj02"), ("bd09ll", "bd09")],
)
def test_common_spellings_of_the_systems_are_understood(value, expected):
    assert crs.normalise_crs(value) == expected
    assert crs.declared_crs({"crs": value}) == expected
    assert crs.declared_crs({}) == "wgs84"


def test_gcj02_export_cannot_be_read_back_as_a_mission_source():
    shown = crs.to_display_crs(every_geometry_fc() | {"crs": "wgs84"}, "gcj02")
    assert shown["crs"] == "gcj02"
    with pytest.raises(FormatError, match="gcj02"):
        crs.require_wgs84(shown, "plan.geojson")
    crs.require_wgs84(crs.to_wgs84_feature_collection(shown, "gcj02"), "plan.geojson")
    crs.require_wgs84({"type": "FeatureCollection", "features": []}, "plan.geojson")


@pytest.mark.parametrize("source", ["Gaode map", "AMap", "高德地图", "Tencent Maps", "百度地图"])
def test_source_naming_a_chinese_map_service_warns_in_one_line(source):
    fc = {"features": [{"properties": {"source": source}}, {"properties": {"source": source}}]}
    warning = crs.source_warning(fc, "wgs84")
    assert warning is not None and "\n" not in warning
    assert source in warning and warning.count(source) == 1
    assert crs.source_warning(fc, "gcj02") is None


def test_no_warning_for_survey_sources():
    fc = {"features": [{"properties": {"source": "field survey 2024"}}, {"properties": {}}]}
    assert crs.source_warning(fc, "wgs84") is None


def test_gcj02_district_file_and_its_wgs84_twin_load_to_the_same_district(
    example_district_path, tmp_path
):
    from mission.formats.district_geojson import load_district

    wgs = json.loads(example_district_path.read_text(encoding="utf-8"))
    twin = crs.to_display_crs(wgs, "gcj02")
    (tmp_path / "gcj.geojson").write_text(json.dumps(twin, ensure_ascii=False), encoding="utf-8")
    del twin["crs"]
    (tmp_path / "undeclared.geojson").write_text(json.dumps(twin), encoding="utf-8")

    a = load_district(example_district_path)
    b = load_district(tmp_path / "gcj.geojson")
    c = load_district(tmp_path / "undeclared.geojson", crs="gcj02")
    for other in (b, c):
        assert len(other.cells) == len(a.cells) == 60
        for ca, cb in zip(a.cells, other.cells, strict=True):
            assert shapely.hausdorff_distance(ca.shape, cb.shape) < 0.5
        for za, zb in zip(a.no_fly, other.no_fly, strict=True):
            assert shapely.hausdorff_distance(za.shape, zb.shape) < 0.5
    assert (a.crs, b.crs, c.crs) == ("wgs84", "gcj02", "gcj02")


def test_gcj02_district_file_and_its_wgs84_twin_produce_the_same_mission(
    example_district_path, tmp_path
):
    from mission.coverage.survey import plan_sweep
    from mission.formats.district_geojson import load_district

    wgs = json.loads(example_district_path.read_text(encoding="utf-8"))
    (tmp_path / "gcj.geojson").write_text(
        json.dumps(crs.to_display_crs(wgs, "gcj02"), ensure_ascii=False), encoding="utf-8"
    )
    a = load_district(example_district_path)
    b = load_district(tmp_path / "gcj.geojson")
    for area in ("riverbank-1", "bridge-1"):
        ma, mb = plan_sweep(a, area).missions, plan_sweep(b, area).missions
        assert len(ma) == len(mb) >= 1
        for x, y in zip(ma, mb, strict=True):
            assert [i.command for i in x.items] == [i.command for i in y.items]
            for i, j in zip(x.items, y.items, strict=True):
                if i.lat or i.lon:
                    assert metres((i.lon, i.lat), (j.lon, j.lat)) < 0.5
                    assert 36.04 < j.lat < 36.08 and 103.77 < j.lon < 103.81  # WGS-84 Xiyuan


def test_plan_geojson_export_in_gcj02_is_display_only(example_district, tmp_path):
    from mission.coverage.survey import plan_sweep
    from mission.formats import read_mission, write_mission

    mission = plan_sweep(example_district, "bridge-1").missions[0]
    write_mission(mission, tmp_path / "wgs.geojson")
    write_mission(mission, tmp_path / "gcj.geojson", output_crs="gcj02")
    wgs = json.loads((tmp_path / "wgs.geojson").read_text(encoding="utf-8"))
    gcj = json.loads((tmp_path / "gcj.geojson").read_text(encoding="utf-8"))
    assert gcj["crs"] == "gcj02" and "crs" not in wgs
    for a, b in zip(positions(wgs), positions(gcj), strict=True):
        assert metres(crs.from_wgs84(a[0], a[1], "gcj02"), b) < 1e-6
        assert a[2:] == b[2:]
    assert read_mission(tmp_path / "wgs.geojson").items == mission.items
    with pytest.raises(FormatError, match="gcj02, which is for map display only"):
        read_mission(tmp_path / "gcj.geojson")
    with pytest.raises(FormatError, match="always wgs84"):
        write_mission(mission, tmp_path / "gcj.plan", output_crs="gcj02")
    assert not (tmp_path / "gcj.plan").exists()


def test_only_geojson_writers_convert_out_of_wgs84():
    """The guard: WGS-84 -> GCJ-02/BD-09 is called from display exports only, never on a path
    that builds, checks or transfers a mission. A new exporter adds itself here on purpose."""
    from conftest import ROOT

    allowed = {
        "mission/crs.py",
        "mission/formats/path_geojson.py",
        "gridpatrol/commands/centre.py",  # gridpatrol alerts export
        "gridpatrol/commands/telemetry.py",  # gridpatrol track
    }
    callers = {
        str(path.relative_to(ROOT))
        for package in ("mission", "telemetry", "vision", "sim", "gridpatrol")
        for path in (ROOT / package).rglob("*.py")
        if any(
            name in path.read_text(encoding="utf-8")
            for name in ("to_display_crs", "from_wgs84", "write_geojson")
        )
    }
    assert callers == allowed
