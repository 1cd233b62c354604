"""Loading the district file: the sample loads, and every kind of bad file gets one clear line."""

from __future__ import annotations

import copy
import json

import pytest
from cli_support import run_cli
from conftest import BOUNDARY, EXAMPLE_DISTRICT

SAMPLE = json.loads(EXAMPLE_DISTRICT.read_text(encoding="utf-8"))


def features(kind: str, data: dict | None = None) -> list[dict]:
    return [f for f in (data or SAMPLE)["features"] if f["properties"]["kind"] == kind]


def write(tmp_path, data, name="bad.geojson"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def broken(mutate) -> dict:
    data = copy.deepcopy(SAMPLE)
    mutate(data)
    return data


def test_sample_district_checks_ok():
    result = run_cli(["district", "check", EXAMPLE_DISTRICT])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ok: Xiyuan")
    assert "60 cells" in result.stdout and "12 key areas" in result.stdout


def test_sample_district_model(example_district):
    d = example_district
    assert len(d.cells) == 60 and [c.id for c in d.cells] == list(range(1, 61))
    assert 5.2e6 < d.boundary.area < 5.5e6
    assert d.ground_elevation_m == 1520
    assert {s.id for s in d.launch_sites} == {"ls-west", "ls-east"}
    assert len(d.no_fly) == 2 and len(d.privacy_zones) == 2
    orbit = d.key_area("bridge-1")
    assert orbit.pattern == "orbit" and orbit.radius_m == 60
    assert abs(orbit.shape.area - 3.14159 * 60**2) / orbit.shape.area < 0.01
    assert d.key_area("riverbank-1").pattern == "sweep"


def _set(path, value):
    def mutate(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _cell(data, cid):
    return next(f for f in features("cell", data) if f["properties"]["id"] == cid)


def _first(data, kind):
    return features(kind, data)[0]


def _point_area(data):
    return next(f for f in features("key_area", data) if f["geometry"]["type"] == "Point")


def _swap(feature):
    geom = feature["geometry"]
    if geom["type"] == "Point":
        geom["coordinates"] = geom["coordinates"][::-1]
    else:
        geom["coordinates"] = [[p[::-1] for p in ring] for ring in geom["coordinates"]]


def _move_outside(feature):
    geom = feature["geometry"]
    if geom["type"] == "Point":
        geom["coordinates"] = [103.70, 36.06]
    else:
        geom["coordinates"] = [[[p[0] - 0.08, p[1]] for p in ring] for ring in geom["coordinates"]]


BAD_FILES = {
    "malformed json": ('{"type": "FeatureCollection", "features": [', "malformed JSON at line 1"),
    "not a collection": ({"type": "Feature"}, "not a GeoJSON FeatureCollection"),
    "unknown kind": (
        broken(lambda d: _first(d, "no_fly")["properties"].update(kind="helipad")),
        "unknown kind 'helipad'",
    ),
    "missing property": (
        broken(lambda d: _first(d, "cell")["properties"].pop("team")),
        "missing property 'team'",
    ),
    "priority out of range": (
        broken(lambda d: _first(d, "key_area")["properties"].update(priority=9)),
        "'priority' = 9 is out of range",
    ),
    "revisit not positive": (
        broken(lambda d: _first(d, "key_area")["properties"].update(revisit_minutes=0)),
        "'revisit_minutes' = 0 is out of range",
    ),
    "point key area without radius": (
        broken(lambda d: _point_area(d)["properties"].pop("radius_m")),
        "'radius_m'",
    ),
    "bad pattern": (
        broken(lambda d: _first(d, "key_area")["properties"].update(pattern="zigzag")),
        "pattern 'zigzag' is unknown",
    ),
    "cell id zero": (
        broken(lambda d: _first(d, "cell")["properties"].update(id=0)),
        "cell id 0 must be an integer >= 1",
    ),
    "self-intersecting ring": (
        broken(
            lambda d: _first(d, "no_fly")["geometry"]["coordinates"][0].__setitem__(
                slice(1, 3), _first(d, "no_fly")["geometry"]["coordinates"][0][2:0:-1]
            )
        ),
        "self-intersecting",
    ),
    "unclosed ring": (
        broken(lambda d: _first(d, "no_fly")["geometry"]["coordinates"][0].pop()),
        "is not closed",
    ),
    "swapped lat lon": (
        broken(lambda d: _swap(_first(d, "launch_site"))),
        "coordinates look like lat,lon; GeoJSON wants lon,lat",
    ),
    "key area outside": (
        broken(lambda d: _move_outside(_first(d, "key_area"))),
        "key area lies outside the district",
    ),
    "launch site outside": (
        broken(lambda d: _move_outside(_first(d, "launch_site"))),
        "launch site lies outside the district",
    ),
    "duplicate id": (
        broken(lambda d: features("no_fly", d)[1]["properties"].update(id="nf-helipad")),
        "duplicate id 'nf-helipad'",
    ),
    "duplicate cell id": (
        broken(lambda d: _cell(d, 2)["properties"].update(id=1)),
        "duplicate cell id 1",
    ),
    "overlapping cells": (
        broken(lambda d: _cell(d, 2)["geometry"].update(_cell(d, 1)["geometry"])),
        "overlap",
    ),
    "uncovered district": (
        broken(lambda d: d["features"].remove(_cell(d, 30))),
        "uncovered",
    ),
    "two districts": (
        broken(lambda d: d["features"].append(copy.deepcopy(_first(d, "district")))),
        "exactly one",
    ),
    "nested position": (
        broken(lambda d: _first(d, "no_fly")["geometry"]["coordinates"][0][1].append([0, 0])),
        "bad position",
    ),
    "wrong geometry type": (
        broken(lambda d: _first(d, "launch_site").update(geometry=_first(d, "no_fly")["geometry"])),
        "geometry Polygon is not allowed for launch_site",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_district_file_gets_one_line_and_exit_2(tmp_path, case):
    data, expected = BAD_FILES[case]
    result = run_cli(["district", "check", write(tmp_path, data)])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: bad.geojson")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_a_position_with_an_altitude_among_plain_ones_loads(tmp_path):
    """GeoJSON allows [lon, lat, alt]; one such position in a ring of [lon, lat] ones made
    shapely raise on the ragged array (found by mutating the example at random)."""
    data = json.loads(EXAMPLE_DISTRICT.read_text())
    _first(data, "no_fly")["geometry"]["coordinates"][0][1].append(12.5)
    result = run_cli(["district", "check", write(tmp_path, data)])
    assert result.exit_code == 0, result.stderr


def test_missing_file_is_one_line(tmp_path):
    result = run_cli(["district", "check", tmp_path / "nope.geojson"])
    assert (
        result.exit_code == 2
        and "no such file" in result.stderr
        and len(result.stderr.splitlines()) == 1
    )


def test_grid_command_makes_a_valid_sample(tmp_path):
    out = tmp_path / "grid.geojson"
    result = run_cli(["district", "grid", BOUNDARY, "--cells", "60", "-o", out])
    assert result.exit_code == 0, result.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    cells = features("cell", data)
    assert [c["properties"]["id"] for c in cells] == list(range(1, 61))
    assert len(features("district", data)) == 1
    assert run_cli(["district", "check", out]).exit_code == 0


def test_grid_keeps_other_features(tmp_path):
    out = tmp_path / "regrid.geojson"
    assert (
        run_cli(["district", "grid", EXAMPLE_DISTRICT, "--cells", "24", "-o", out]).exit_code == 0
    )
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(features("cell", data)) == 24
    for kind in ("key_area", "no_fly", "launch_site", "privacy_zone"):
        assert features(kind, data) == features(kind)


def test_show_prints_tables_and_draws_map(tmp_path):
    png = tmp_path / "map.png"
    result = run_cli(["district", "show", EXAMPLE_DISTRICT, "--png", png])
    assert result.exit_code == 0, result.stderr
    assert (
        "riverbank-1" in result.stdout
        and "nf-helipad" in result.stdout
        and "ls-east" in result.stdout
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_frame_round_trip_keeps_centimetres(example_district):
    import numpy as np

    rng = np.random.default_rng(7)
    lon = rng.uniform(103.776, 103.807, 1000)
    lat = rng.uniform(36.048, 36.069, 1000)
    x, y = example_district.frame.to_metric(lon, lat)
    lon2, lat2 = example_district.frame.to_lonlat(x, y)
    x2, y2 = example_district.frame.to_metric(lon2, lat2)
    assert np.max(np.hypot(x2 - x, y2 - y)) < 0.01
