"""How many check tasks an hour the fleet can take and still keep every revisit limit.

Run: nice -n 10 .venv/bin/python bench/check_capacity.py [--hours 10] [--rates 0 1 2 3]
     [--seeds 2] [--drones 2]

The patrol soak asks for check tasks at a fixed rate (2 an hour); its 10 h run at that rate kept
8 of 12 limits, each miss announced by a re-plan as "2 drones in service cannot keep every limit".
The soak cannot say whether that is the fleet's capacity or the runner's doing, and an hour of
SITL gives one sample. This replays the same day without simulators, with the runner's own
planning calls: the soak's day (example district, 22-minute packs at a 30 % reserve, seed 7),
check requests at seeded random times (a Poisson process at the rate) over random free points of
the district. At each request, the drone over the point soonest from the ground flies
``plan_check`` (after its sortie and pack swap, or now), and ``replan_rest`` re-plans the rest of
the day around it, as the runner does. Every sortie then flies exactly as planned.

So the figures are a bound on what the fleet can do: no drift in flight time, no failed preflight,
and no diversions in the air (which the runner also uses, to answer sooner at some cost to
limits). For each rate and seed it prints: the limits kept over the day as flown, the worst gap
against its limit, the areas a re-plan announced at risk, the time from request to over the point
(the goal is 5 min), and the per-area entropy of return times against the day plan's.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from patrol_replan import check_start, entropy_ratios, kept, last_flown  # noqa: E402
from shapely.geometry import Point  # noqa: E402

from mission.errors import MissionError  # noqa: E402
from mission.flight_model import FlightModel  # noqa: E402
from mission.formats.district_geojson import load_district  # noqa: E402
from mission.patrol.check_task import plan_check  # noqa: E402
from mission.patrol.replan import replan_rest  # noqa: E402
from mission.patrol.service import plan_patrol  # noqa: E402

DISTRICT = ROOT / "examples" / "xiyuan" / "district.geojson"
START = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
ALT = {"alt_m": 60.0, "ceiling_m": 120.0, "margin_m": 15.0}
SOAK_FM = FlightModel(endurance_min=22.0, reserve=0.30)  # bench/patrol_soak.py's packs
DAY_SEED = 7  # the soak's day
MAX_DRAWS = 50  # points drawn for one request before it counts as refused


def request_times(rate_per_h: float, horizon_s: float, rng: random.Random) -> list[float]:
    """A Poisson process: exponential gaps at ``rate_per_h``, within the horizon."""
    times, t = [], 0.0
    while rate_per_h > 0:
        t += rng.expovariate(rate_per_h / 3600.0)
        if t >= horizon_s:
            break
        times.append(t)
    return times


def random_point(district, rng: random.Random) -> tuple[float, float]:
    """A point in the district, drawn uniformly over its bounding box until one is inside."""
    x0, y0, x1, y1 = district.boundary.bounds
    while True:
        p = Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
        if district.boundary.contains(p):
            return p.x, p.y


def site_of(schedule, drone: str, now: float) -> str:
    """The site of the drone's latest sortie begun by ``now`` (else its first)."""
    own = sorted((s for s in schedule.sorties if s.drone == drone), key=lambda s: s.start_s)
    begun = [s for s in own if s.start_s <= now]
    return (begun or own)[-1].launch_site


def fly_day(district, plan, fm: FlightModel, rate: float, seed: int):
    """The day with checks at ``rate`` an hour: (schedule as flown, minutes from each request to
    over the point, areas a re-plan announced at risk, requests no drone could fly)."""
    rng = random.Random(seed)
    schedule, missions = plan.schedule, dict(plan.missions)
    arrivals: list[float] = []
    at_risk: set[str] = set()
    refused = 0
    for n, now in enumerate(request_times(rate, schedule.horizon_s, rng)):
        # as the runner's: sorties begun, and check sorties promised but not yet flown
        fixed = [(s, missions[s.id]) for s in schedule.sorties
                 if s.start_s <= now or s.id.startswith("task-")]  # fmt: skip
        options: list = []
        for _ in range(MAX_DRAWS):  # a point in a no-fly margin or too near the edge: again
            if options:
                break
            x, y = random_point(district, rng)
            for drone in schedule.drones:
                start = check_start(fixed, drone, now, fm)
                airborne = [(s, m) for s, m in fixed if s.end_s > start]
                try:
                    options.append(plan_check(
                        district, task_id=f"c{n}", x=x, y=y, drone=drone,
                        site=site_of(schedule, drone, now), start_s=start, flight_model=fm,
                        traffic=airborne, **ALT))  # fmt: skip
                except MissionError:  # as the runner: that drone cannot go
                    continue
        if not options:
            refused += 1  # no drone could fly any point drawn: counted, said in the row
            continue
        best = min(options, key=lambda c: (c.arrival_s, c.sortie.drone))
        arrivals.append((best.arrival_s - now) / 60.0)
        fixed.append((best.sortie, best.mission))
        r = replan_rest(district, schedule=schedule, now_s=now,
                        last_visit_s=last_flown(fixed, now),
                        drone_free_at={d: now for d in schedule.drones}, fixed=fixed,
                        flight_model=fm, seed=seed * 1000 + n, **ALT)  # fmt: skip
        schedule = r.schedule
        missions.update(r.missions)
        at_risk |= {x.area for x in r.at_risk}
    return schedule, arrivals, at_risk, refused


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=10.0)
    ap.add_argument("--drones", type=int, default=2)
    ap.add_argument("--rates", type=float, nargs="+", default=[0.0, 1.0, 2.0, 3.0],
                    help="check requests per hour")  # fmt: skip
    ap.add_argument("--seeds", type=int, default=2, help="request sequences per rate")
    a = ap.parse_args()
    district = load_district(DISTRICT)
    plan = plan_patrol(district, hours=a.hours, drones=a.drones, start=START,
                       flight_model=SOAK_FM, seed=DAY_SEED, **ALT)  # fmt: skip
    n_areas = len(district.key_areas)
    print(f"Check tasks against revisit limits: {a.hours:g} h, {a.drones} drones, the patrol "
          f"soak's day ({len(plan.schedule.sorties)} sorties planned), example district")  # fmt: skip
    print(f"{'rate/h':>7}{'seed':>5}{'checks':>7}{'limits kept':>13}{'worst gap/limit':>17}"
          f"{'at risk':>9}{'to point min: median':>22}{'p90':>6}{'max':>6}{'entropy mean':>14}"
          f"{'worst':>7}{'s':>6}")  # fmt: skip
    for rate in a.rates:
        for seed in range(1, a.seeds + 1):
            t = time.perf_counter()
            flown, arrivals, at_risk, refused = fly_day(district, plan, SOAK_FM, rate, seed)
            n_kept, worst = kept(flown, district, {}, 0.0)
            ratios = entropy_ratios(flown, plan.schedule, district)
            if arrivals:
                q = (
                    statistics.quantiles(arrivals, n=10, method="inclusive")
                    if len(arrivals) > 1
                    else arrivals
                )
                times = f"{statistics.median(arrivals):>22.1f}{q[-1]:>6.1f}{max(arrivals):>6.1f}"
            else:
                times = f"{'-':>22}{'-':>6}{'-':>6}"
            print(f"{rate:>7g}{seed:>5}{len(arrivals):>7}{n_kept:>10}/{n_areas}{worst:>17.2f}"
                  f"{len(at_risk):>9}{times}{statistics.mean(ratios):>14.2f}{min(ratios):>7.2f}"
                  f"{time.perf_counter() - t:>6.0f}"
                  + (f"  ({refused} requests no drone could fly)" if refused else ""))  # fmt: skip


if __name__ == "__main__":
    main()
