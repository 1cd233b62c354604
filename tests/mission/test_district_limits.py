"""Hostile district files: refused in one line, exit 2, within seconds; never a traceback."""

from __future__ import annotations

import copy
import json
import time

import pytest
from conftest import EXAMPLE_DISTRICT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mission.errors import DistrictError
from mission.formats.district_geojson import parse_district
from mission.formats.district_limits import MAX_FILE_BYTES, MAX_VERTICES

SAMPLE = json.loads(EXAMPLE_DISTRICT.read_text(encoding="utf-8"))


def _check(cli, path):
    start = time.monotonic()
    result = cli("district", "check", path)
    return result, time.monotonic() - start


def _one_line(result, *words):
    assert result.code == 2, result.out + result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    for word in words:
        assert word in lines[0], lines[0]


def test_sample_district_still_loads(cli):
    result, _ = _check(cli, EXAMPLE_DISTRICT)
    assert result.code == 0, result.err


def test_deeply_nested_file_is_one_line(cli, tmp_path):
    path = tmp_path / "deep.geojson"
    path.write_text("[" * 100_000 + "]" * 100_000)
    result, _ = _check(cli, path)
    _one_line(result, "nested")


def test_deeply_nested_properties_are_one_line(cli, tmp_path):
    data = copy.deepcopy(SAMPLE)
    data["features"][0]["properties"]["extra"] = json.loads("[" * 900 + "]" * 900)
    path = tmp_path / "props.geojson"
    path.write_text(json.dumps(data))
    result, _ = _check(cli, path)
    assert result.code in (0, 2) and "Traceback" not in result.err


def _district_with_ring(n: int, lon=103.78, lat=36.07, radius_deg=0.01) -> dict:
    import math

    ring = [
        [
            lon + radius_deg * math.cos(2 * math.pi * i / n),
            lat + radius_deg * math.sin(2 * math.pi * i / n),
        ]
        for i in range(n)
    ]
    ring.append(ring[0])
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"kind": "district", "name": "big"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }


def test_too_many_vertices_is_refused_in_seconds(cli, tmp_path):
    path = tmp_path / "huge.geojson"
    path.write_text(json.dumps(_district_with_ring(MAX_VERTICES + 10)))
    result, seconds = _check(cli, path)
    _one_line(result, "vertices", "simplify")
    print(f"{MAX_VERTICES + 10}-vertex district refused in {seconds:.2f} s")


def test_oversized_file_is_refused_before_reading(cli, tmp_path):
    path = tmp_path / "big.geojson"
    with path.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    result, _ = _check(cli, path)
    _one_line(result, "MB", "simplify")


def test_district_larger_than_a_city_is_refused(cli, tmp_path):
    path = tmp_path / "province.geojson"
    path.write_text(json.dumps(_district_with_ring(32, radius_deg=0.5)))
    result, _ = _check(cli, path)
    _one_line(result, "km across")


def test_coordinates_off_the_globe_are_refused(cli, tmp_path):
    data = _district_with_ring(8)
    data["features"][0]["geometry"]["coordinates"][0][3] = [1e300, 36.0]
    path = tmp_path / "off.geojson"
    path.write_text(json.dumps(data))
    result, _ = _check(cli, path)
    _one_line(result, "off the globe")


def test_non_finite_numbers_are_refused(cli, tmp_path):
    path = tmp_path / "nan.geojson"
    text = json.dumps(_district_with_ring(8)).replace("103.79", "NaN", 1)
    path.write_text(text.replace("36.07", "Infinity", 1))
    result, _ = _check(cli, path)
    assert result.code == 2 and "Traceback" not in result.err


JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(["district", "cell", "Polygon", "Point", "Feature", "gcj02", "wgs84", ""])
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=6)
    | st.dictionaries(
        st.sampled_from(
            ["type", "features", "properties", "geometry", "coordinates", "kind", "id", "name",
             "crs", "team", "priority", "revisit_minutes", "radius_m", "ground_elevation_m"]
        ),
        children,
        max_size=6,
    ),
    max_leaves=40,
)  # fmt: skip


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=JSONISH)
def test_arbitrary_json_gives_only_district_errors(data):
    doc = {"type": "FeatureCollection", "features": data if isinstance(data, list) else [data]}
    for candidate in (data, doc):
        try:
            parse_district(candidate, source="fuzz.geojson")
        except DistrictError as exc:
            assert "\n" not in str(exc)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    feature=st.integers(min_value=0, max_value=len(SAMPLE["features"]) - 1),
    key=st.sampled_from(["geometry", "properties", "type", "coordinates", "kind", "id", "crs"]),
    value=JSONISH,
)
def test_sample_with_one_field_replaced_gives_only_district_errors(feature, key, value):
    data = copy.deepcopy(SAMPLE)
    target = data["features"][feature]
    if key in ("coordinates",):
        target["geometry"][key] = value
    elif key in ("kind", "id"):
        target["properties"][key] = value
    elif key == "crs":
        data["crs"] = value
    else:
        target[key] = value
    try:
        parse_district(data, source="fuzz.geojson")
    except DistrictError as exc:
        assert "\n" not in str(exc)


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_deep_coordinates_in_a_converted_crs_are_one_line(crs):
    data = copy.deepcopy(SAMPLE)
    data["crs"] = crs
    data["features"][0]["geometry"]["coordinates"] = json.loads("[" * 500 + "]" * 500)
    with pytest.raises(DistrictError):
        parse_district(data, source="deep.geojson")
