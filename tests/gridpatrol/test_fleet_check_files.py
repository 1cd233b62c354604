"""``plan check`` inputs: a schedule.json with its plans, or plan files with start times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gridpatrol.commands.fleet_files import check_files
from mission.deconflict import layer_schedule
from mission.errors import PlanError
from mission.flight_model import FlightModel
from mission.formats.qgc_plan import write_plan
from mission.schedule import Schedule, Sortie, write_schedule
from mission.sortie import Orbit, Route, Waypoint, route_to_mission

FM = FlightModel()


def _meeting(district):
    """Two sorties from the two launch sites to the same bridge, orbiting it at 60 m."""
    area = district.key_area("bridge-1")
    missions = {}
    for sid, site_id in (("west", "ls-west"), ("east", "ls-east")):
        site = district.launch_site(site_id).position
        steps = (Waypoint(area.center.x, area.center.y),
                 Orbit(area.center.x, area.center.y, 40.0, 2))  # fmt: skip
        missions[sid] = route_to_mission(Route(site_id, (site.x, site.y), steps), district, 60.0)
    return missions


def test_plans_with_start_times(tmp_path, example_district):
    missions = _meeting(example_district)
    for sid, m in missions.items():
        write_plan(m, tmp_path / f"{sid}.plan")
    a, b = tmp_path / "west.plan", tmp_path / "east.plan"
    together = check_files([f"{a}@0", f"{b}@0"], speeds=FM, district=example_district)
    assert together and all(line.startswith("sorties east and west lose separation at t=")
                            for line in together)  # fmt: skip
    assert check_files([f"{a}@0", f"{b}@1800"], speeds=FM, district=example_district) == []
    iso = check_files([f"{a}@2026-11-28T08:00:00+08:00", f"{b}@2026-11-28T08:00:00+08:00"],
                      speeds=FM, district=example_district)  # fmt: skip
    assert iso and "2026-11-28T08:" in iso[0] and "+08:00" in iso[0]
    with pytest.raises(PlanError, match="FILE@START"):
        check_files([str(a), str(b)], speeds=FM, district=example_district)
    with pytest.raises(PlanError, match="neither all seconds nor all ISO"):
        check_files([f"{a}@0", f"{b}@soon"], speeds=FM, district=example_district)


def test_schedule_json_before_and_after_layering(tmp_path, example_district):
    missions = _meeting(example_district)
    sorties = tuple(
        Sortie(sid, sid, f"ls-{sid}", 0.0, FM.mission_time_s(m), 60.0, (), f"{sid}.plan")
        for sid, m in missions.items()
    )
    schedule = Schedule(example_district.name, datetime(2026, 11, 28, tzinfo=UTC), 3600.0,
                        ("west", "east"), sorties)  # fmt: skip
    for sid, m in missions.items():
        write_plan(m, tmp_path / f"{sid}.plan")
    write_schedule(schedule, tmp_path / "schedule.json")
    lines = check_files([tmp_path / "schedule.json"], speeds=FM, district=example_district)
    assert lines and ", cell " in lines[0] and "2026-11-28T00:" in lines[0]
    layered, flown = layer_schedule(schedule, missions, speeds=FM, district=example_district)
    out = tmp_path / "layered"
    out.mkdir()
    for s in layered.sorties:
        write_plan(flown[s.id], out / s.plan)
    write_schedule(layered, out / "schedule.json")
    assert check_files([out / "schedule.json"], speeds=FM, district=example_district) == []


def test_plan_check_command(tmp_path, example_district, example_district_path):
    from cli_support import run_cli

    for sid, m in _meeting(example_district).items():
        write_plan(m, tmp_path / f"{sid}.plan")
    args = ["plan", "check", "--district", str(example_district_path)]
    met = run_cli([*args, f"{tmp_path / 'west.plan'}@0", f"{tmp_path / 'east.plan'}@0"])
    assert met.exit_code == 2 and "sorties east and west lose separation at t=" in met.output
    apart = run_cli([*args, f"{tmp_path / 'west.plan'}@0",
                                f"{tmp_path / 'east.plan'}@1800"])  # fmt: skip
    assert apart.exit_code == 0 and apart.output.startswith("separated:")
    single = run_cli([*args, str(tmp_path / "west.plan")])
    assert single.exit_code == 0 and "OK" in single.output  # one mission: the mission checks
