"""How often a planned day leaves no drone ready for a check task, with and without staggering.

A check task is flown by a drone on the ground with a fresh pack (half its swap done, as the
runner counts it) or diverted from a patrol that has pack left for the check sortie. When every
drone is ending its pack or in its swap at once, the ground team waits for a landing, a swap and
a preflight: a soak's late checks came from exactly that. This bench plans the soak's day (the
example district, 2 drones, 24 minutes on a pack) for several seeds, with landings staggered
(the planner's default) and without (``STAGGERED_ATTEMPTS = 0``), and prints for each the share
of the day no drone is ready, the longest such stretch, and the closest landings of two drones.

"Pack left for the check" is the 90th percentile of check sorties' flight time to random points
of the district from their nearest launch site. It is an estimate from the plan; the soak
(``bench/patrol_soak.py``) measures the real request-to-arrival times on SITL.

Run: .venv/bin/python bench/patrol_readiness.py [--hours 12] [--seeds 10]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shapely.geometry import Point  # noqa: E402

import mission.patrol.randomized as randomized  # noqa: E402
from mission.flight_model import FlightModel  # noqa: E402
from mission.formats.district_geojson import load_district  # noqa: E402
from mission.limits import CEILING_M, NO_FLY_MARGIN_M, PATROL_ALT_M  # noqa: E402
from mission.patrol.base import PatrolProblem  # noqa: E402
from mission.patrol.check_task import nearest_site, plan_check  # noqa: E402
from mission.schedule import Schedule, pooled_return_entropy, visit_times  # noqa: E402

DISTRICT = ROOT / "examples" / "xiyuan" / "district.geojson"
START = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
STEP_S = 5.0


def check_flight_s(district, fm: FlightModel, n: int, rng: random.Random) -> float:
    """The 90th percentile of a check sortie's flight time over random points of the district."""
    minx, miny, maxx, maxy = district.boundary.bounds
    times: list[float] = []
    while len(times) < n:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if not district.boundary.buffer(-50).contains(Point(x, y)):
            continue
        if any(z.shape.buffer(50).contains(Point(x, y)) for z in district.no_fly):
            continue
        site = nearest_site(district, x, y, margin_m=NO_FLY_MARGIN_M)
        planned = plan_check(district, task_id=f"r{len(times)}", x=x, y=y, drone="d",
                             site=site, start_s=0.0, flight_model=fm, alt_m=PATROL_ALT_M,
                             ceiling_m=CEILING_M, margin_m=NO_FLY_MARGIN_M)  # fmt: skip
        times.append(planned.sortie.end_s - planned.sortie.start_s)
    return statistics.quantiles(times, n=10)[-1]


def unready(schedule: Schedule, fm: FlightModel, need_s: float) -> tuple[float, float]:
    """(share of the horizon with no drone ready, longest such stretch in seconds)."""
    by_drone = {d: sorted((s for s in schedule.sorties if s.drone == d), key=lambda s: s.start_s)
                for d in schedule.drones}  # fmt: skip

    def ready(sorties, t: float) -> bool:
        landed = -fm.swap_s
        for s in sorties:
            if s.start_s <= t < s.end_s:
                return fm.usable_s - (t - s.start_s) >= need_s
            if s.end_s <= t:
                landed = s.end_s
        return t >= landed + fm.swap_s / 2

    t, idle, run, worst = 0.0, 0, 0.0, 0.0
    steps = int(schedule.horizon_s // STEP_S)
    for _ in range(steps):
        if any(ready(own, t) for own in by_drone.values()):
            run = 0.0
        else:
            idle += 1
            run += STEP_S
            worst = max(worst, run)
        t += STEP_S
    return idle / steps, worst


def closest_landings(schedule: Schedule) -> float:
    ends = sorted((s.end_s, s.drone) for s in schedule.sorties)
    gaps = [b[0] - a[0] for a, b in zip(ends, ends[1:], strict=False) if a[1] != b[1]]
    return min(gaps, default=float("inf"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hours", type=float, default=12.0)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--drones", type=int, default=2)
    args = ap.parse_args()
    district = load_district(DISTRICT)
    fm = FlightModel(endurance_min=24.0)
    need = check_flight_s(district, fm, 60, random.Random(0))
    print(
        f"pack left for a check (p90 of check sorties from the nearest site): {need / 60:.1f} min"
    )
    print("mode        seed  sorties  no drone ready  longest  closest landings  pooled entropy")
    staggered = randomized.STAGGERED_ATTEMPTS
    for mode, attempts in (("unstaggered", 0), ("staggered", staggered)):
        randomized.STAGGERED_ATTEMPTS = attempts
        shares, longest, closest, entropy = [], [], [], []
        for seed in range(1, args.seeds + 1):
            problem = PatrolProblem(district, args.hours, args.drones, START, fm)
            plan = randomized.RandomizedPatrol(random.Random(seed), seed).plan(problem)
            share, worst = unready(plan.schedule, fm, need)
            near = closest_landings(plan.schedule)
            s = plan.schedule
            bits = pooled_return_entropy(visit_times(s), s.limits_min)
            entropy.append(bits)
            shares.append(share)
            longest.append(worst)
            closest.append(near)
            print(f"{mode:11s} {seed:4d} {len(plan.schedule.sorties):8d} {share:14.1%} "
                  f"{worst / 60:6.1f}m {near / 60:14.1f}m {bits:12.2f} b")  # fmt: skip
        print(f"{mode:11s}  all: no drone ready {statistics.mean(shares):.1%} of the day "
              f"(worst seed {max(shares):.1%}), longest {max(longest) / 60:.1f} min, "
              f"closest landings {min(closest) / 60:.1f} min (median {statistics.median(closest) / 60:.1f}), "
              f"pooled entropy {statistics.mean(entropy):.2f} b")  # fmt: skip
    randomized.STAGGERED_ATTEMPTS = staggered


if __name__ == "__main__":
    main()
