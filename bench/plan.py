"""Benchmark of the planner: coverage sweeps and a 24-hour patrol, printed as a table.

Run: .venv/bin/python bench/plan.py   (pinned to one core)

Coverage is the share of the target (minus holes and grown no-fly zones) within half a line
spacing of the flown path (camera footprint of exactly one spacing, i.e. zero side overlap: the
strictest reading), rasterised at 1 m. Path ratio = path length / (area / spacing). Goals: coverage
>= 99.5 %, ratio <= 1.10 convex / <= 1.25 concave or holed, whole district < 1 s, 24 h 2-drone
patrol < 5 s.

Battery-sized sweeps (issue 15 item 8) are judged on what is flown: every sortie from take-off
to landing, transits included, against the same bound. Goal for the whole sample district at
30 m: <= 1.25 (1.20 is about what take-off, transit and landing must add here), coverage
>= 99.5 % and every sortie passing the checker.
"""

from __future__ import annotations

import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import shapely
from shapely.geometry import Polygon, box

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mission.checks import check_mission  # noqa: E402
from mission.coverage.boustrophedon import Boustrophedon  # noqa: E402
from mission.coverage.camera import DEFAULT_CAMERA, spacing_for  # noqa: E402
from mission.coverage.survey import (  # noqa: E402
    SweepSettings,
    flown_m,
    footprint_coverage,
    plan_sweep,
)
from mission.flight_model import FlightModel  # noqa: E402
from mission.formats.district_geojson import load_district  # noqa: E402
from mission.patrol.base import PatrolProblem  # noqa: E402
from mission.patrol.randomized import RandomizedPatrol  # noqa: E402
from mission.schedule import area_stats, revisit_gaps  # noqa: E402

DISTRICT = ROOT / "examples" / "xiyuan" / "district.geojson"
REPEATS = 5


def timed(fn):
    times, result = [], None
    for _ in range(REPEATS):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def ratio_goal(region) -> float:
    convex = region.area >= 0.999 * region.convex_hull.area
    return 1.10 if convex else 1.25


def shape_case(name, region, spacing):
    dt, path = timed(lambda: Boustrophedon().plan(region, spacing))
    return name, dt, path, region, spacing, ratio_goal(region)


def district_case(name, district, area, spacing):
    cfg = SweepSettings(spacing_m=spacing)
    dt, plan = timed(lambda: plan_sweep(district, area, cfg))
    goal = ratio_goal(plan.target)
    return f"{name} ({len(plan.missions)} sorties)", dt, plan.path, plan.target, spacing, goal


def best_fixed_bearing(target, spacing: float) -> tuple[float, float]:
    """Lowest path ratio over every whole-degree bearing that still reaches 99.5 % coverage."""
    best = (float("inf"), float("nan"))
    for bearing in range(180):
        path = Boustrophedon().plan(target, spacing, float(bearing))
        ratio = path.length_m / (target.area / spacing)
        if ratio < best[0] and footprint_coverage(target, path, spacing, 1.0) >= 0.995:
            best = (ratio, float(bearing))
    return best


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    district = load_district(DISTRICT)
    cam = spacing_for(DEFAULT_CAMERA, 60.0, 0.70)
    largest = max(district.key_areas, key=lambda a: a.shape.area)
    square = shapely.affinity.rotate(box(0, 0, 1000, 1000), 20, origin="centroid")
    ell = Polygon([(0, 0), (1000, 0), (1000, 400), (400, 400), (400, 1000), (0, 1000)])
    holed = Polygon(
        box(0, 0, 1200, 800).exterior,
        [
            box(250, 200, 450, 500).exterior.coords,
            Polygon([(700, 250), (950, 300), (820, 600)]).exterior.coords,
        ],
    )
    cases = [
        district_case(f"largest key area {largest.id}", district, largest.id, cam),
        shape_case("convex 1 km2 square (20 deg)", square, cam),
        shape_case("L-shaped concave", ell, cam),
        shape_case("two holes", holed, cam),
        district_case("whole district, 40 m", district, "district", 40.0),
    ]
    print(
        f"{'case':<42}{'time ms':>9}{'length km':>11}{'turns':>7}{'coverage':>10}"
        f"{'ratio':>7}{'goal':>7}  ok"
    )
    missed = []
    for name, dt, path, target, spacing, goal in cases:
        cov = footprint_coverage(target, path, spacing, 1.0)
        ratio = path.length_m / (target.area / spacing)
        ok = cov >= 0.995 and ratio <= goal and (dt < 1.0)
        print(
            f"{name:<42}{dt * 1000:>9.1f}{path.length_m / 1000:>11.2f}{path.turns:>7}"
            f"{cov:>9.2%}{ratio:>7.3f}{goal:>7.2f}  {'yes' if ok else 'NO'}"
        )
        if not ok and target.area < 2e6:
            missed.append((name, target, spacing))
    for name, target, spacing in missed:
        ratio, bearing = best_fixed_bearing(target, spacing)
        if math.isfinite(ratio):
            print(
                f"  {name}: best of all 180 whole-degree bearings with coverage >= 99.5%: "
                f"ratio {ratio:.3f} at {bearing:.0f} deg (the number of lines is a whole number)"
            )
        else:
            print(f"  {name}: no whole-degree bearing reaches 99.5 % coverage")

    packed_sweeps(district)

    problem = PatrolProblem(district, 24.0, 2, datetime(2026, 11, 28, 8, tzinfo=UTC))
    dt, plan = timed(lambda: RandomizedPatrol(random.Random(1), 1).plan(problem))
    s = plan.schedule
    stats = area_stats(s)
    worst = max(max(revisit_gaps(s, a.area)) / (a.limit_min * 60) for a in stats)
    ent = min(a.entropy_bits for a in stats if a.limit_min >= 60)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "gridpatrol.cli",
                "plan",
                "patrol",
                str(DISTRICT),
                "--hours",
                "24",
                "--drones",
                "2",
                "--seed",
                "1",
                "--start",
                "2026-11-28T08:00:00+08:00",
                "-o",
                tmp,
            ],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        cli = time.perf_counter() - t
    print()
    print(
        f"{'patrol 24 h, 2 drones':<42}{'plan s':>9}{'CLI s':>8}{'sorties':>9}"
        f"{'worst gap/limit':>17}{'min entropy (>=60 min)':>24}  ok"
    )
    ok = dt < 5.0 and worst <= 1.0 and ent >= 2.5
    print(
        f"{'sample key areas (seed 1)':<42}{dt:>9.2f}{cli:>8.2f}{len(s.sorties):>9}"
        f"{worst:>17.3f}{ent:>21.2f} b  {'yes' if ok else 'NO'}"
    )


def packed_sweeps(district) -> None:
    """Whole-district sweeps that need many batteries: flown distance, fill and checks."""
    print()
    print(
        f"{'battery-sized sweep':<30}{'time s':>8}{'cpu s':>7}{'sorties':>9}{'flown km':>10}"
        f"{'ratio':>7}{'goal':>6}{'coverage':>10}{'battery use':>13}{'checks':>8}  ok"
    )
    fm = FlightModel()
    for spacing in (30.0, 40.0):
        cpu = time.process_time()
        dt, plan = timed(
            lambda s=spacing: plan_sweep(district, "district", SweepSettings(spacing_m=s))
        )
        cpu = (time.process_time() - cpu) / REPEATS  # wall time inflates on a busy machine
        flown = sum(flown_m(r) for r in plan.routes)
        ratio = flown / (plan.target.area / spacing)
        cov = footprint_coverage(plan.target, plan.path, spacing, 1.0)
        used = [fm.mission_time_s(m) / 60 for m in plan.missions]
        failed = sum(bool(check_mission(m, district, flight_model=fm)) for m in plan.missions)
        ok = ratio <= 1.25 and cov >= 0.995 and failed == 0
        print(
            f"{f'whole district, {spacing:.0f} m':<30}{dt:>8.2f}{cpu:>7.2f}"
            f"{len(plan.missions):>9}"
            f"{flown / 1000:>10.1f}{ratio:>7.3f}{1.25:>6.2f}{cov:>9.2%}"
            f"{statistics.mean(used):>6.1f}/{fm.usable_s / 60:.0f} min"
            f"{'all' if not failed else f'{failed} fail':>8}  {'yes' if ok else 'NO'}"
        )
        print(f"{'':<30}sortie minutes: {min(used):.1f} to {max(used):.1f}")


if __name__ == "__main__":
    main()
