"""Patrols: revisit limits hold on every generated schedule, infeasible fleets are refused with
the message, seeded output is byte-identical, unseeded output is not, and patterns are irregular."""

from __future__ import annotations

import dataclasses
import json
import random
import re
from datetime import UTC, datetime

import pytest
from cli_support import run_cli
from hypothesis import event, given, settings
from hypothesis import strategies as st

import mission.patrol.randomized as randomized
from mission.checks import check_mission
from mission.errors import PlanError
from mission.flight_model import FlightModel
from mission.formats.qgc_plan import read_plan
from mission.patrol.base import PatrolProblem
from mission.patrol.randomized import RandomizedPatrol, close_landings
from mission.schedule import (
    area_stats,
    pooled_return_entropy,
    read_schedule,
    return_time_entropy,
    revisit_gaps,
)
from mission.sortie import route_to_mission

START = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


def patrol(district, hours=6.0, drones=2, seed=1, **kw):
    problem = PatrolProblem(district, hours, drones, START, **kw)
    return RandomizedPatrol(random.Random(seed), seed).plan(problem)


@settings(max_examples=6, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32), drones=st.integers(2, 3), hours=st.floats(2.0, 8.0))
def test_revisit_limits_hold_on_every_generated_schedule(example_district, seed, drones, hours):
    plan = patrol(example_district, hours, drones, seed)
    s = plan.schedule
    for area in example_district.key_areas:
        gaps = revisit_gaps(s, area.id)
        assert max(gaps) <= area.revisit_minutes * 60 + 1e-6, area.id
    fm = FlightModel()
    by_drone: dict[str, list] = {}
    for o in s.sorties:
        by_drone.setdefault(o.drone, []).append(o)
        assert 0 <= o.start_s < o.end_s <= s.horizon_s
        assert o.end_s - o.start_s <= fm.usable_s
        etas = [v.eta_s for v in o.visits]
        assert etas == sorted(etas) and o.start_s < etas[0] and etas[-1] < o.end_s
    for sorties in by_drone.values():  # a drone flies one sortie at a time, swaps in between
        for a, b in zip(sorties, sorties[1:], strict=False):
            assert b.start_s >= a.end_s + fm.swap_s - 1e-6


def test_sortie_plans_are_safe_and_match_the_schedule(example_district):
    plan = patrol(example_district, hours=3.0)
    fm = FlightModel()
    for s in plan.schedule.sorties:
        m = route_to_mission(plan.routes[s.id], example_district, s.alt_m)
        assert check_mission(m, example_district) == []
        assert fm.mission_time_s(m) == pytest.approx(s.end_s - s.start_s, abs=5.0)
        orbit_or_sweep = {it.command for it in m.items}
        assert 18 in orbit_or_sweep or 16 in orbit_or_sweep


def test_two_drones_do_not_land_together(example_district, monkeypatch):
    """One drone must be ready for a check task at any moment: in the air with pack to spare or
    on the ground with a fresh one. Landings are kept apart; unstaggered, the same seed lands the
    two drones within minutes of each other again and again."""
    fm = FlightModel()
    plan = patrol(example_district, hours=6.0, seed=6)
    assert close_landings(plan.schedule, fm) == []
    monkeypatch.setattr(randomized, "STAGGERED_ATTEMPTS", 0)
    # Unstaggered, seeds 1-8 land together 0-12 times in 6 h (at the 25 % reserve); seed 6, 12.
    assert len(close_landings(patrol(example_district, hours=6.0, seed=6).schedule, fm)) >= 5


def test_infeasible_limit_is_refused_with_the_message(example_district):
    tight = dataclasses.replace(example_district.key_areas[2], revisit_minutes=2.0)
    areas = (*example_district.key_areas[:2], tight, *example_district.key_areas[3:])
    d = dataclasses.replace(example_district, key_areas=areas)
    with pytest.raises(PlanError) as err:
        patrol(d, hours=2.0, drones=2)
    assert re.fullmatch(
        rf"infeasible: area {tight.id} needs a visit every 2 min; 2 drones can manage every "
        r"\d+ min at best; add a drone or relax the limit",
        str(err.value),
    ), str(err.value)


def test_slow_battery_swaps_make_one_drone_too_few(example_district):
    fm = FlightModel(endurance_min=12.0, swap_min=15.0)
    with pytest.raises(
        PlanError,
        match=r"^infeasible: area \S+ needs a visit every \d+ min; "
        r"1 drone can manage every \d+ min at best; add a drone",
    ):
        patrol(example_district, hours=4.0, drones=1, flight_model=fm)


def test_return_time_entropy():
    cyclic = [k * 1800.0 for k in range(40)]
    assert return_time_entropy(cyclic) == 0.0
    rng = random.Random(3)
    times, t = [], 0.0
    for _ in range(200):
        t += rng.uniform(0, 3600)
        times.append(t)
    assert return_time_entropy(times) > 3.0  # 12 bins, near uniform: log2(12) = 3.58


def test_pooled_return_entropy_reads_gaps_as_shares_of_each_limit():
    """A clockwork patrol at 0.75 of every limit is fully predictable; returns spread over the
    whole window are not, and a gap past the limit lands in one last bin; areas without a
    limit or a second visit add nothing."""
    limits = {"a": 30.0, "b": 60.0}
    clock = {"a": [k * 1350.0 for k in range(9)], "b": [k * 2700.0 for k in range(5)]}
    assert pooled_return_entropy(clock, limits) == 0.0
    rng = random.Random(5)
    spread = {a: sorted(rng.uniform(0, 7200) for _ in range(12)) for a in limits}
    assert pooled_return_entropy(spread, limits) > 2.0
    late = {"a": [0.0, 3 * 3600.0], "b": [0.0, 2 * 3600.0]}  # 6x and 2x the limit: one bin
    assert pooled_return_entropy(late, limits) == 0.0
    assert pooled_return_entropy({"c": [0.0, 60.0], "a": [0.0]}, limits) == 0.0


def test_patrols_are_irregular_where_limits_allow(example_district):
    stats = area_stats(patrol(example_district, hours=24.0, seed=11).schedule)
    for a in stats:
        if a.limit_min >= 60:
            assert a.entropy_bits >= 2.5, a


def _run(district_path, out, *extra):
    r = run_cli(
        [
            "plan",
            "patrol",
            str(district_path),
            "--hours",
            "3",
            "--drones",
            "2",
            "--start",
            "2026-11-28T08:00:00+08:00",
            "-o",
            str(out),
            *extra,
        ],
    )
    assert r.exit_code == 0, r.output
    return r.output


def test_cli_seeded_output_is_byte_identical(example_district_path, tmp_path):
    out1 = _run(example_district_path, tmp_path / "a", "--seed", "42")
    out2 = _run(example_district_path, tmp_path / "b", "--seed", "42")
    assert out1.replace(str(tmp_path / "a"), "X") == out2.replace(str(tmp_path / "b"), "X")
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert "schedule.json" in files and "timeline.png" in files
    assert files == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in files:
        if name.endswith((".json", ".plan")):
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    s = read_schedule(tmp_path / "a" / "schedule.json")
    assert s.seed == 42 and s.start.isoformat() == "2026-11-28T08:00:00+08:00"
    doc = json.loads((tmp_path / "a" / "schedule.json").read_text())
    first = doc["sorties"][0]
    assert set(first) >= {
        "id",
        "drone",
        "launch_site",
        "start_s",
        "end_s",
        "start",
        "end",
        "visits",
        "plan",
        "alt_m",
        "rtl_alt_m",
    }
    plan = read_plan(tmp_path / "a" / first["plan"])
    assert plan.items[0].command == 22 and plan.items[-1].command == 21
    assert plan.fence.polygons and plan.rally
    assert "entropy" in out1 and "riverbank-1" in out1


def test_cli_without_seed_uses_os_randomness(example_district_path, tmp_path):
    _run(example_district_path, tmp_path / "a")
    _run(example_district_path, tmp_path / "b")
    a = (tmp_path / "a" / "schedule.json").read_text()
    b = (tmp_path / "b" / "schedule.json").read_text()
    assert json.loads(a)["seed"] is None and a != b


@settings(max_examples=8, deadline=None, derandomize=True)
@given(scale=st.floats(0.15, 2.0), drones=st.integers(1, 3), seed=st.integers(0, 1000))
def test_any_limits_are_met_or_refused_with_the_message(example_district, scale, drones, seed):
    """Tighten or relax every limit: the schedule keeps all of them, or the plan is refused."""
    areas = tuple(
        dataclasses.replace(a, revisit_minutes=round(a.revisit_minutes * scale, 1))
        for a in example_district.key_areas
    )
    d = dataclasses.replace(example_district, key_areas=areas)
    try:
        plan = patrol(d, hours=3.0, drones=drones, seed=seed)
    except PlanError as err:
        event("refused")
        assert re.fullmatch(
            r"infeasible: area \S+ needs a visit every [\d.]+ min; \d drones? can "
            r"manage every \d+ min at best; add a drone or relax the limit|"
            r"infeasible: area \S+ cannot be reached, .*",
            str(err),
        ), str(err)
        return
    event("planned")
    for a in areas:
        assert max(revisit_gaps(plan.schedule, a.id)) <= a.revisit_minutes * 60 + 1e-6


@pytest.mark.parametrize(
    "option, words",
    [
        (["--hours", "1e9"], "--hours must be in (0, 168]"),  # planned for hours, then hung
        (["--drones", "100000"], "--drones in 1..50"),  # the same
        (["--endurance-min", "inf"], "--endurance-min must be in (0, 300]"),  # 1 endless sortie
        (["--cruise", "1e6"], "--cruise in (0, 20] m/s"),  # legs of no time: past any battery
        (["--swap-min", "nan"], "--swap-min in [0, 240]"),  # hung
        (["--start", "0001-01-01T00:00:00"], "is not a date this century"),  # a traceback
        (["--start", "9999-12-31T23:59:59Z"], "is not a date this century"),
    ],
)
def test_absurd_patrol_options_are_refused_at_once_in_one_line(
    example_district_path, tmp_path, option, words
):
    result = run_cli(["plan", "patrol", str(example_district_path), "--hours", "2",
                      "-o", str(tmp_path / "out"), *option])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_patrol_whose_returns_the_reserve_cannot_fly_is_refused_naming_the_area(tmp_path):
    """6-minute packs at the default reserve leave 0.75 min between the low-battery and critical
    failsafes, less than the way home from the middle area to either site: no sortie could serve
    it, so the plan is refused before any is planned, in one line that names the area, the
    nearest site and the reserve that would do; nothing is written."""
    from conftest import FIXTURES

    district = FIXTURES / "district" / "sitl-patrol.geojson"
    args = ["plan", "patrol", district, "-o", tmp_path / "day", "--hours", "0.4", "--drones", "2",
            "--seed", "1", "--alt", "20", "--swap-min", "2", "--endurance-min", "6"]  # fmt: skip
    run = run_cli(args)
    assert run.exit_code == 2, run.output
    line = run.stderr.strip()
    assert "\n" not in line and line.startswith("error: key area middle: "), line
    assert "a low-battery return from it flies" in line and "nearest launch site" in line
    assert "raise --reserve to 32%" in line
    assert not (tmp_path / "day" / "schedule.json").exists()
    assert run_cli([*args, "--reserve", "32"]).exit_code == 0
