"""Safety checks: each rule catches its violation and names the item; ours pass; CLI exit codes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from cli_support import run_cli
from conftest import FIXTURES
from shapely.geometry import LineString, Point

from mission.checks import check_mission, require_safe
from mission.coverage.survey import SweepSettings, plan_sweep
from mission.errors import CheckError
from mission.flight_model import FlightModel
from mission.formats.qgc_plan import write_plan
from mission.model import Cmd, Frame, Mission, MissionItem


def at(d, x, y, cmd=Cmd.NAV_WAYPOINT, alt=60.0, **kw) -> MissionItem:
    lon, lat = d.frame.to_lonlat(x, y)
    return MissionItem(
        cmd, Frame.GLOBAL_RELATIVE_ALT, lat=float(lat), lon=float(lon), alt=alt, **kw
    )


def base(d) -> tuple[MissionItem, tuple[float, float]]:
    p = d.launch_sites[0].position
    return at(d, p.x, p.y, Cmd.NAV_TAKEOFF), (p.x, p.y)


def mission(d, *middle: MissionItem) -> Mission:
    take, (x, y) = base(d)
    return Mission(items=(take, *middle, at(d, x, y, Cmd.NAV_LAND, alt=0.0)))


@pytest.fixture(scope="module")
def sweep(example_district):
    return plan_sweep(example_district, "lot-1", SweepSettings()).missions[0]


def test_our_sweep_passes(example_district, sweep):
    assert check_mission(sweep, example_district) == []
    require_safe(sweep, example_district)


def test_leg_across_a_no_fly_zone_is_caught(example_district):
    d = example_district
    zone = d.no_fly[0].shape
    c, r = zone.centroid, zone.bounds[2] - zone.bounds[0] + 60
    m = mission(d, at(d, c.x - r, c.y), at(d, c.x + r, c.y))
    lines = check_mission(m, d)
    assert any(
        ln.startswith(f"item 3 (NAV_WAYPOINT): the leg to it crosses no-fly zone {d.no_fly[0].id}")
        for ln in lines
    ), lines
    with pytest.raises(CheckError) as err:
        require_safe(m, d)
    assert err.value.violations == lines


def test_waypoint_outside_the_district_and_high_altitude_are_caught(example_district):
    d = example_district
    x0, y0, x1, y1 = d.boundary.bounds
    c = d.boundary.representative_point()
    m = mission(d, at(d, x1 + 200, y0 - 200), at(d, c.x, c.y, alt=121.0))
    lines = check_mission(m, d)
    assert any(
        ln.startswith("item 2 (NAV_WAYPOINT): waypoint outside the district") for ln in lines
    )
    assert any(
        ln.startswith(
            "item 3 (NAV_WAYPOINT): 121.0 m above the launch site, over the 120 m ceiling"
        )
        for ln in lines
    )
    assert check_mission(m, d, ceiling_m=125.0) != lines


def test_endurance_item_limit_and_form_are_caught(example_district, sweep):
    d = example_district
    short = FlightModel(endurance_min=3.0, reserve=0.2)
    lines = check_mission(sweep, d, flight_model=short, item_limit=5)
    assert any("exceed the vehicle limit of 5" in ln for ln in lines)
    assert any(ln.startswith("mission: takes") and "allows 2.4 min" in ln for ln in lines)
    no_takeoff = dataclasses.replace(sweep, items=sweep.items[1:])
    assert any("must start with NAV_TAKEOFF" in ln for ln in check_mission(no_takeoff, d))
    odd = dataclasses.replace(
        sweep, items=(*sweep.items[:-1], MissionItem(command=4242), sweep.items[-1])
    )
    assert any("unknown MAV_CMD 4242" in ln for ln in check_mission(odd, d))
    looped = dataclasses.replace(
        sweep,
        items=(
            *sweep.items[:-1],
            MissionItem(Cmd.DO_JUMP, Frame.MISSION, param1=2, param2=-1),
            sweep.items[-1],
        ),
    )
    assert any("never ends" in ln for ln in check_mission(looped, d))


def test_transit_across_a_bay_of_the_concave_district_is_caught(example_district):
    d = example_district
    c = np.asarray(d.boundary.centroid.coords[0])
    hull = np.asarray(d.boundary.convex_hull.exterior.coords)
    bays = [
        (p, q)
        for p, q in zip(hull, hull[1:], strict=False)
        if not d.boundary.buffer(1).covers(LineString([p, q]))
    ]
    assert bays, "the sample district is expected to be concave"
    p, q = (v + 20 * (c - v) / np.linalg.norm(c - v) for v in bays[0])
    assert d.boundary.contains(Point(p)) and d.boundary.contains(Point(q))
    lines = check_mission(mission(d, at(d, *p), at(d, *q)), d)
    assert any(
        ln.startswith("item 3 (NAV_WAYPOINT): the leg to it leaves the district") for ln in lines
    ), lines


def test_cli_check_prints_violations_and_exits_2(
    example_district, example_district_path, tmp_path, sweep
):
    good = tmp_path / "good.plan"
    write_plan(sweep, good)
    r = run_cli(["plan", "check", str(good), "--district", str(example_district_path)])
    assert r.exit_code == 0 and r.output.startswith("good.plan: OK: ")
    r = run_cli(
        [
            "plan",
            "check",
            str(FIXTURES / "qgc-plans" / "simple_square.plan"),
            "--district",
            str(example_district_path),
        ],
    )
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert lines and all(ln.startswith("simple_square.plan: ") for ln in lines)
    assert any("item 1 (NAV_TAKEOFF): waypoint outside the district geofence" in ln for ln in lines)


def test_schedule_check_runs_every_sorties_checks(
    tmp_path, example_district, example_district_path
):
    """Issue 15 item 3: one waypoint moved into a no-fly zone in one sortie of a patrol fails
    the whole schedule (exit 2, the sortie named), as the sortie alone does."""
    import json

    out = tmp_path / "patrol"
    made = run_cli(["plan", "patrol", example_district_path, "-o", out, "--hours", "2",
                    "--seed", "3", "--start", "2026-11-28T08:00:00+08:00"])  # fmt: skip
    assert made.exit_code == 0, made.stdout + made.stderr
    args = ("--district", example_district_path)
    assert run_cli(["plan", "check", out / "schedule.json", *args]).exit_code == 0
    zone = example_district.no_fly[0].shape.representative_point()
    lon, lat = example_district.frame.to_lonlat(zone.x, zone.y)
    plan = out / "s002-drone-2.plan"
    doc = json.loads(plan.read_text())
    doc["mission"]["items"][1]["params"][4:6] = [float(lat), float(lon)]
    plan.write_text(json.dumps(doc))
    alone = run_cli(["plan", "check", plan, *args])
    assert alone.exit_code == 2 and "no-fly zone" in alone.stdout
    together = run_cli(["plan", "check", out / "schedule.json", *args])
    assert together.exit_code == 2
    failures = together.stdout.splitlines()
    assert failures and any(
        line.startswith("s002 (s002-drone-2.plan): item 2") for line in failures
    )
    assert not any(line.startswith(("s001", "s003")) for line in failures)
    files = run_cli(["plan", "check", f"{plan}@0", f"{out / 's001-drone-1.plan'}@7200", *args])
    assert files.exit_code == 2 and f"{plan.name}: item 2" in files.stdout
    helped = run_cli(["plan", "check", "--help"], env={"COLUMNS": "200"})
    assert "schedule or FILE@START missions, each sortie and their separation" in " ".join(
        helped.stdout.split()
    )


@pytest.mark.parametrize(
    "limits, words",
    [
        ({"ceiling_m": float("nan")}, "ceiling nan m is not a height"),
        ({"ceiling_m": float("inf")}, "ceiling inf m"),
        ({"ceiling_m": -1.0}, "ceiling -1 m"),
        ({"margin_m": float("nan")}, "no-fly margin nan m"),
        ({"flight_model": FlightModel(endurance_min=float("inf"))}, "usable time is inf s"),
    ],
)
def test_a_sweep_is_never_called_safe_against_a_limit_that_is_not_a_number(
    example_district, sweep, limits, words
):
    """Against a NaN ceiling every altitude compared "not over" it: a 150 m waypoint passed
    `plan check --ceiling nan` with no word; a NaN margin raised a traceback."""
    found = check_mission(sweep, example_district, **limits)
    assert any(words in line for line in found), found
    with pytest.raises(CheckError):
        require_safe(sweep, example_district, **limits)


@pytest.mark.parametrize("lat, lon, radius", [("1e400", "149.16", "5"), ("-35.36", "-inf", "-inf")])
def test_an_item_at_an_infinite_place_is_named_not_a_traceback(
    example_district_path, tmp_path, lat, lon, radius
):
    """A loiter at latitude 1e400 (read as infinity) or with an infinite radius reached GEOS,
    which raised; found by mutating Mission Planner's own example files at random."""
    rows = [
        "QGC WPL 110",
        "0\t1\t0\t16\t0\t0\t0\t0\t-35.363262\t149.165237\t584.06\t1",
        "1\t0\t3\t22\t0\t0\t0\t0\t0\t0\t20\t1",
        f"2\t0\t3\t18\t2\t0\t{radius}\t0\t{lat}\t{lon}\t25\t1",
        "3\t0\t3\t21\t0\t0\t0\t0\t0\t0\t0\t1",
    ]
    path = tmp_path / "m.waypoints"
    path.write_text("\n".join(rows) + "\n")
    r = run_cli(["plan", "check", str(path), "--district", str(example_district_path)])
    assert r.exit_code == 2 and "Traceback" not in r.stderr + r.stdout, r.output
    assert "item 2 (NAV_LOITER_TURNS)" in r.output


@pytest.mark.parametrize("start", ["nan", "inf", "1e14"])
def test_a_start_that_is_no_time_is_refused_not_passed_as_separated(
    example_district, example_district_path, tmp_path, start
):
    """The same sortie flown at 0 and at NaN was never compared: "separated", exit 0."""
    plan = tmp_path / "s.plan"
    write_plan(plan_sweep(example_district, "lot-1", SweepSettings()).missions[0], plan)
    r = run_cli(["plan", "check", f"{plan}@{start}", f"{plan}@0", "--district",
                 str(example_district_path)])  # fmt: skip
    assert r.exit_code == 2 and "must be finite seconds" in r.stderr, r.output
