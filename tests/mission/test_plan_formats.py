"""Mission files: real QGroundControl plans and Mission Planner files load; ours round trip and
load in pymavlink's mavwp unchanged."""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import replace

import pytest
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mission.coverage.survey import SweepSettings, plan_sweep
from mission.errors import FormatError
from mission.formats import read_mission, write_mission
from mission.formats.qgc_plan import parse_plan, read_plan, write_plan
from mission.formats.waypoints import read_waypoints, write_waypoints
from mission.model import Mission, MissionItem

QGC = FIXTURES / "qgc-plans"
MP = FIXTURES / "mp-waypoints"

# items, fence polygons, fence circles: counted from the files (see tests/fixtures/SOURCES.md)
PLANS = {
    "ArduPilotSITL-ArduCopter.plan": (11, 0, 0),
    "TerrainTest-ArduCopter.plan": (11, 0, 0),
    "PX4SITL-PX4-MultiRotor.plan": (11, 0, 0),
    "simple_square.plan": (5, 0, 0),
    "ce_geofence_home_base.plan": (0, 2, 0),
    "ce_geofence_outfield.plan": (0, 2, 0),
    "survey-1.plan": (13, 0, 0),  # SET_CAMERA_MODE + the survey's 12 generated items
    "geofence-exclusion-circle-polygon-1.plan": (5, 2, 1),
    "legacy-format-coordinate-items-1.plan": (5, 0, 0),
}
WAYPOINTS = {
    "MissionPlanner.waypoints": 5,
    "copter_mission.txt": 12,
    "copter_loiterturns_mission.txt": 5,
    "DO_CHANGE_SPEED-mission.txt": 9,
    "copter_terrain_mission.txt": 4,
}


def key(m: Mission) -> list[tuple]:
    """Items as they go over the wire (degE7 positions), NaN-aware."""

    def f(v: float):
        return "nan" if math.isnan(v) else round(v, 5)

    return [
        (
            it.command,
            int(it.frame),
            f(it.param1),
            f(it.param2),
            f(it.param3),
            f(it.param4),
            it.x,
            it.y,
            f(it.alt),
            it.autocontinue,
            it.above_terrain_m,
        )
        for it in m.items
    ]


# Issue 15 item 5: items "calculated above terrain" (AltitudeMode 3, param7 null): seq -> Altitude.
TERRAIN_CALC = {
    "ArduPilotSITL-ArduCopter.plan": {6: 80.0},
    "TerrainTest-ArduCopter.plan": {6: 80.0},
    "PX4SITL-PX4-MultiRotor.plan": {6: 80.0, 8: 40.0},
}
YAW_DEFAULT = {16, 21, 22, 82}  # commands whose null yaw (param4) ArduPilot ignores


def as_waypoints(m: Mission) -> Mission | None:
    """What a .waypoints file can hold of ``m``: a null ArduPilot yaw becomes 0; None if it
    cannot hold the mission (another null value, or an above-terrain altitude not computed)."""
    out = []
    for it in (m.home or MissionItem(16), *m.items):
        if it.above_terrain_m is not None and math.isnan(it.alt):
            return None
        p4 = it.param4
        if math.isnan(p4) and it.command in YAW_DEFAULT and m.firmware == 3:
            p4 = 0.0
        values = (it.param1, it.param2, it.param3, p4, it.lat, it.lon, it.alt)
        if not all(math.isfinite(v) for v in values):
            return None
        out.append(MissionItem(it.command, it.frame, *values, it.autocontinue))
    return Mission(items=tuple(out[1:]), home=out[0])


def test_every_fixture_is_accounted_for():
    assert {p.name for p in QGC.glob("*.plan")} == set(PLANS) | {"structurescan-1.plan"}
    assert {p.name for p in MP.iterdir()} == set(WAYPOINTS)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_real_qgc_plans_load(name):
    m = read_plan(QGC / name)
    items, polys, circles = PLANS[name]
    assert (len(m.items), len(m.fence.polygons), len(m.fence.circles)) == (items, polys, circles)
    assert m.home is not None


def test_qgc_details_survive_parsing():
    survey = read_plan(QGC / "survey-1.plan")
    assert [it.command for it in survey.items[1:4]] == [16, 206, 16]
    assert survey.items[2].param1 == 25  # camera trigger distance of the generated items
    legacy = read_plan(QGC / "legacy-format-coordinate-items-1.plan")
    assert (legacy.items[0].lat, legacy.items[0].lon, legacy.items[0].alt) == (
        47.63311996,
        -122.090763,
        20,
    )
    fence = read_plan(QGC / "geofence-exclusion-circle-polygon-1.plan").fence
    assert fence.circles[0].radius_m == pytest.approx(111.0536, abs=1e-3)
    assert not fence.circles[0].inclusion
    assert sorted(p.inclusion for p in fence.polygons) == [False, True]
    ardu = read_plan(QGC / "ArduPilotSITL-ArduCopter.plan")
    assert math.isnan(ardu.items[0].param4)  # null param -> NaN ("unchanged")


def test_structure_scan_is_refused_with_one_line_naming_the_item():
    with pytest.raises(FormatError) as err:
        read_plan(QGC / "structurescan-1.plan")
    msg = str(err.value)
    assert "\n" not in msg and "item 2" in msg and "StructureScan" in msg


@pytest.mark.parametrize("name", sorted(PLANS))
def test_real_plans_round_trip_through_every_format(name, tmp_path):
    m = read_plan(QGC / name)
    write_plan(m, tmp_path / "a.plan")
    again = read_plan(tmp_path / "a.plan")
    assert key(again) == key(m) and again.fence == m.fence and again.rally == m.rally
    write_mission(m, tmp_path / "b.geojson")
    assert key(read_mission(tmp_path / "b.geojson")) == key(m)
    assert "nan" not in (tmp_path / "b.geojson").read_text().lower()
    held = as_waypoints(m)
    if held is None:
        with pytest.raises(FormatError) as err:
            write_mission(m, tmp_path / "c.waypoints")
        assert "\n" not in str(err.value) and str(err.value).startswith("c.waypoints: item ")
        assert not (tmp_path / "c.waypoints").exists()
        return
    write_mission(m, tmp_path / "c.waypoints")
    assert "nan" not in (tmp_path / "c.waypoints").read_text().lower()
    back = read_mission(tmp_path / "c.waypoints")
    assert key(back) == key(held)
    write_mission(back, tmp_path / "d.plan")
    assert key(read_plan(tmp_path / "d.plan")) == key(held)


@pytest.mark.parametrize("name", sorted(TERRAIN_CALC))
def test_altitudes_calculated_above_terrain_survive_or_are_refused(name, tmp_path):
    """80 m "calculated above terrain" stays 80 m above terrain through .plan and .geojson; the
    .waypoints format cannot hold it before QGC computes the AMSL value, so that is refused in
    one line naming the item; once computed it converts as the AMSL altitude it is."""
    m = read_plan(QGC / name)
    expected = TERRAIN_CALC[name]
    seqs = list(expected)
    assert {
        n: it.above_terrain_m
        for n, it in enumerate(m.items, start=1)
        if it.above_terrain_m is not None
    } == expected
    for suffix in (".plan", ".geojson"):
        write_mission(m, tmp_path / f"x{suffix}")
        back = read_mission(tmp_path / f"x{suffix}")
        assert {n: back.items[n - 1].above_terrain_m for n in seqs} == expected
        assert [back.items[n - 1].frame for n in seqs] == [0] * len(seqs)
    saved = json.loads((tmp_path / "x.plan").read_text())["mission"]["items"]
    assert {n: (saved[n - 1]["AltitudeMode"], saved[n - 1]["Altitude"]) for n in seqs} == {
        n: (3, h) for n, h in expected.items()
    }
    with pytest.raises(FormatError, match=f"item {seqs[0]} .*80 m 'calculated above terrain'"):
        write_mission(m, tmp_path / "x.waypoints")
    computed = Mission(
        items=tuple(
            replace(it, alt=1600.0, param4=0.0) if it.above_terrain_m is not None else it
            for it in m.items
        ),
        home=m.home,
        firmware=3,
    )
    write_mission(computed, tmp_path / "y.plan")
    item = json.loads((tmp_path / "y.plan").read_text())["mission"]["items"][seqs[0] - 1]
    assert (item["AltitudeMode"], item["Altitude"], item["AMSLAltAboveTerrain"]) == (3, 80, 1600)
    assert item["params"][6] == 1600
    write_mission(read_plan(tmp_path / "y.plan"), tmp_path / "y.waypoints")
    back = read_mission(tmp_path / "y.waypoints")
    assert [(back.items[n - 1].frame, back.items[n - 1].alt) for n in seqs] == [(0, 1600.0)] * len(
        seqs
    )


def test_waypoints_120_have_no_home_row(tmp_path):
    """A "QGC WPL 120" file (early QGroundControl) has no home row: its first row is an item."""
    m = read_waypoints(MP / "MissionPlanner.waypoints")
    rows = (MP / "MissionPlanner.waypoints").read_text().splitlines()[2:]
    for start in (0, 1):
        renumbered = [f"{n}\t" + r.split("\t", 1)[1] for n, r in enumerate(rows, start=start)]
        (tmp_path / "old.waypoints").write_text("QGC WPL 120\r\n" + "\r\n".join(renumbered))
        old = read_waypoints(tmp_path / "old.waypoints")
        assert old.home is None and key(old) == key(m)
    (tmp_path / "odd.waypoints").write_text("QGC WPL 999\n" + "\n".join(rows))
    with pytest.raises(FormatError, match="not 'QGC WPL 110' or 'QGC WPL 120'"):
        read_waypoints(tmp_path / "odd.waypoints")


@pytest.mark.parametrize("name", sorted(WAYPOINTS))
def test_mission_planner_files_load_crlf_and_lf(name, tmp_path):
    raw = (MP / name).read_bytes()
    m = read_waypoints(MP / name)
    assert len(m.items) == WAYPOINTS[name]
    assert m.home is not None and m.home.frame == 0
    flipped = raw.replace(b"\r\n", b"\n") if b"\r\n" in raw else raw.replace(b"\n", b"\r\n")
    (tmp_path / name).write_bytes(flipped)
    assert key(read_waypoints(tmp_path / name)) == key(m)


def _mavwp_items(path):
    from pymavlink import mavwp

    loader = mavwp.MAVWPLoader()
    n = loader.load(str(path))
    return n, [loader.wp(i) for i in range(loader.count())]


@pytest.mark.parametrize("name", sorted(WAYPOINTS))
def test_written_waypoints_load_in_mavwp_unchanged(name, tmp_path):
    m = read_waypoints(MP / name)
    write_waypoints(m, tmp_path / "out.waypoints")
    n, wps = _mavwp_items(tmp_path / "out.waypoints")
    assert n == len(m.items) + 1
    for wp, it in zip(wps[1:], m.items, strict=True):
        assert (wp.command, wp.frame) == (it.command, it.frame)
        assert round(wp.x * 1e7) == it.x and round(wp.y * 1e7) == it.y
        assert wp.z == pytest.approx(it.alt, abs=1e-6)
        assert wp.param3 == pytest.approx(it.param3, abs=1e-6)


def test_planned_sweep_survives_every_conversion(example_district, tmp_path):
    m = plan_sweep(example_district, "riverbank-1", SweepSettings()).missions[0]
    write_mission(m, tmp_path / "s.plan")
    data = json.loads((tmp_path / "s.plan").read_text())
    fence = data["geoFence"]["polygons"]
    assert [p["inclusion"] for p in fence] == [True] + [False] * len(example_district.no_fly)
    assert len(data["rallyPoints"]["points"]) == len(example_district.launch_sites)
    assert all(
        it["type"] == "SimpleItem" and it["frame"] in (2, 3) for it in data["mission"]["items"]
    )
    n, wps = None, None
    for a, b in [("s.plan", "s.waypoints"), ("s.waypoints", "s.geojson"), ("s.geojson", "t.plan")]:
        write_mission(read_mission(tmp_path / a), tmp_path / b)
    assert key(read_mission(tmp_path / "t.plan")) == key(m)
    n, wps = _mavwp_items(tmp_path / "s.waypoints")
    assert n == len(m.items) + 1 and [w.command for w in wps[1:]] == [i.command for i in m.items]


@pytest.mark.parametrize(
    "bad, match",
    [
        (
            '{"fileType": "Plan", "mission": {"items": [{"type": "SimpleItem", "command": 16, '
            '"frame": 3, "params": [0, 0]}]}}',
            "item 1: 'params' has 2 values",
        ),
        ('{"fileType": "Plan", "mission": {"items": [{"type": "Odd"}]}}', "unknown type"),
        ("{not json", "malformed JSON at line 1"),
        ('{"fileType": "Other"}', "not a QGroundControl plan"),
        # found by mutating a real plan at random: each raised a traceback before
        ('{"fileType": "Plan", "mission": 7}', "the mission section is not an object"),
        ('{"fileType": "Plan", "mission": {"items": 1.5}}', "mission.items is not a list"),
        (
            '{"fileType": "Plan", "mission": {"items": [], "cruiseSpeed": [1, 2]}}',
            "mission.cruiseSpeed: expected a number",
        ),
        (
            '{"fileType": "Plan", "mission": {"items": [], "hoverSpeed": Infinity}}',
            "mission.hoverSpeed: inf is not a usable number",
        ),
        (
            '{"fileType": "Plan", "mission": {"items": [{"type": "SimpleItem", "command": '
            '1e400, "frame": 3, "params": []}]}}',
            "item 1: a SimpleItem needs 'command'",
        ),
        (
            '{"fileType": "Plan", "mission": {"items": [{"type": "ComplexItem", '
            '"TransectStyleComplexItem": []}]}}',
            "ComplexItem without generated waypoints",
        ),
        (
            '{"fileType": "Plan", "mission": {"items": []}, "rallyPoints": [1]}',
            "rallyPoints section is malformed",
        ),
        (
            '{"fileType": "Plan", "mission": {"items": []}, "rallyPoints": {"points": [[NaN, 0, '
            "0]]}}",
            "rallyPoints section is malformed",
        ),
        (
            '{"fileType": "Plan", "mission": {"items": []}, "geoFence": {"circles": [{"circle": '
            '{"center": [0, 0], "radius": NaN}}]}}',
            "geoFence section is malformed",
        ),
    ],
)
def test_bad_plans_are_refused_with_one_line(tmp_path, bad, match):
    (tmp_path / "bad.plan").write_text(bad)
    with pytest.raises(FormatError, match=match) as err:
        read_mission(tmp_path / "bad.plan")
    assert "\n" not in str(err.value)


def test_bad_waypoints_and_suffix_are_refused(tmp_path):
    shutil.copy(MP / "copter_mission.txt", tmp_path / "m.waypoints")
    text = (tmp_path / "m.waypoints").read_text().replace("\t1\n", "\n", 1)
    (tmp_path / "m.waypoints").write_text("QGC WPL 110\n0\t1\t0\t16\t0\t0\n")
    with pytest.raises(FormatError, match="line 2: 6 fields, expected 12"):
        read_mission(tmp_path / "m.waypoints")
    (tmp_path / "m.waypoints").write_text("QGC WPL 110\n0\t1\t0\tinf" + "\t0" * 8 + "\n")
    with pytest.raises(FormatError, match="line 2: a field is not a number"):
        read_mission(tmp_path / "m.waypoints")  # an infinite command raised OverflowError
    (tmp_path / "x.kml").write_text(text)
    with pytest.raises(FormatError, match="unknown mission format '.kml'"):
        read_mission(tmp_path / "x.kml")


finite = st.floats(-1e5, 1e5, allow_nan=False).map(lambda v: round(v, 4))
param = st.one_of(finite, st.just(math.nan))
items = st.builds(
    MissionItem,
    command=st.sampled_from([16, 17, 18, 19, 20, 21, 22, 82, 115, 177, 178, 201, 206, 530]),
    frame=st.sampled_from([0, 2, 3, 10]),
    param1=param,
    param2=param,
    param3=param,
    param4=param,
    lat=st.floats(-89, 89).map(lambda v: round(v, 7)),
    lon=st.floats(-179, 179).map(lambda v: round(v, 7)),
    alt=st.floats(-100, 5000).map(lambda v: round(v, 3)),
    autocontinue=st.booleans(),
)


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(items, min_size=1, max_size=12))
def test_any_mission_round_trips_through_every_format(tmp_path, its):
    m = Mission(items=tuple(its), home=MissionItem(16, 0, lat=36.07, lon=103.78, alt=1520.0))
    for suffix in (".plan", ".geojson"):
        path = tmp_path / f"rt{suffix}"
        write_mission(m, path)
        assert key(read_mission(path)) == key(m), suffix
    held, path = as_waypoints(m), tmp_path / "rt.waypoints"
    path.unlink(missing_ok=True)
    if held is None:
        with pytest.raises(FormatError, match="cannot hold"):
            write_mission(m, path)
        assert not path.exists()
    else:
        write_mission(m, path)
        assert key(read_mission(path)) == key(held) and "nan" not in path.read_text()


@pytest.mark.parametrize(
    "text, match",
    [
        ("QGC WPL 120\n5\t0\t3\t16\t0\t0\t0\t0\t36\t103\t50\t1\n", "row 2 has seq 5, expected 0"),
        (
            "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t36\t103\t0\t1\n0\t0\t3\t16\t0\t0\t0\t0\t36\t103\t50\t1\n",
            "row 3 has seq 0, expected 1",
        ),
        ("QGC WPL\n", "not 'QGC WPL 110' or 'QGC WPL 120'"),
        ("", "not 'QGC WPL 110' or 'QGC WPL 120'"),
    ],
)
def test_bad_waypoint_headers_and_numbering_are_refused(tmp_path, text, match):
    (tmp_path / "bad.waypoints").write_text(text)
    with pytest.raises(FormatError, match=match) as err:
        read_waypoints(tmp_path / "bad.waypoints")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("bad", [None, "eighty", True, float("inf")])
def test_above_terrain_item_without_a_usable_altitude_is_refused(bad):
    item = {"type": "SimpleItem", "command": 16, "frame": 0, "AltitudeMode": 3,
            "Altitude": bad, "params": [0, 0, 0, None, 36.0, 103.0, None]}  # fmt: skip
    with pytest.raises(FormatError, match="mission item 1") as err:
        parse_plan({"fileType": "Plan", "mission": {"items": [item]}}, "x.plan")
    assert "\n" not in str(err.value)
