"""Benchmark of re-planning the rest of a patrol day, and of check-task sorties.

Run: nice -n 10 .venv/bin/python bench/patrol_replan.py

On the example district, a 24 h day for 2 drones (seed 1) meets trouble at several moments:
- ``skip``: the next sortie fails its preflight; its drone is fixed and free 10 min later;
- ``rtl``: a sortie in the air comes home on a failsafe (lands 2 min later, visits after now lost);
- ``lost``: the drone of the next sortie is lost for the rest of the day;
- ``lost/slow``: the same with slow pack swaps (15 min) and a 30 % reserve on 24-minute packs, a
  fleet two drones can just keep and one cannot. (Until round 17 this case flew 20-minute packs
  at a 20 % reserve; a low-battery return from the district's far edge needs 3 minutes, which
  20-minute packs leave only at a reserve too large for two drones to keep the day.)
- ``check``: a check task over a far cell is given to the drone free first;
- ``skip/long``: ``skip`` on the patrol soak's day (22-minute packs, 30 % reserve), re-planned as
  the runner does once flights have run 1.13x longer than modelled (a 24 h soak's worst): with
  19.5 minutes of endurance, the way home from riverbank-3 to ls-west no longer fits the reserve's
  window, and until round 17 every such re-plan failed its own check.

For each it prints the re-plan time (median of 3 seeds, and the worst), the limits kept as
was (the old schedule less the sorties the trouble makes impossible) and after re-planning, all
counted from the last visit flown, the worst overrun, and the entropy of return times
as re-planned against the day plan's (mean of the per-area ratios, over the whole day). Then the
check task's flight time from take-off to over the point, from the nearest site, for the middle of
every cell (the issue's goal: <= 5 min at 10 m/s, as a distribution).
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mission.errors import PlanError  # noqa: E402
from mission.flight_model import FlightModel  # noqa: E402
from mission.formats.district_geojson import load_district  # noqa: E402
from mission.patrol.check_task import nearest_site, plan_check  # noqa: E402
from mission.patrol.replan import replan_rest  # noqa: E402
from mission.patrol.service import plan_patrol  # noqa: E402
from mission.schedule import return_time_entropy, visit_times  # noqa: E402

DISTRICT = ROOT / "examples" / "xiyuan" / "district.geojson"
START = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
ALT = {"alt_m": 60.0, "ceiling_m": 120.0, "margin_m": 15.0}
MOMENTS_H = (2.0, 8.0, 14.0, 20.0)
SEEDS = (11, 12, 13)
CASES = tuple(sys.argv[1:]) or ("skip", "rtl", "lost", "lost/slow", "check", "skip/long")


def last_flown(fixed, now) -> dict[str, float]:
    """Each area's last visit among the fixed sorties' visits up to ``now``."""
    last: dict[str, float] = {}
    for s, _ in fixed:
        for v in s.visits:
            if v.eta_s <= now:
                last[v.area] = max(last.get(v.area, 0.0), v.eta_s)
    return last


def check_start(fixed, drone, now, fm) -> float:
    """When ``drone`` can take off for a check: now, or after its fixed sorties and a swap."""
    return max([now, *(s.end_s + fm.swap_s for s, _ in fixed if s.drone == drone)])


def runner_state(plan, now):
    fixed = [(s, plan.missions[s.id]) for s in plan.schedule.sorties if s.start_s <= now]
    return fixed, last_flown(fixed, now), {d: now for d in plan.schedule.drones}


def kept(schedule, district, last, now) -> tuple[int, float]:
    """(limits kept, worst gap / limit), gaps counted from the last visit flown."""
    n, worst = 0, 0.0
    for a in district.key_areas:
        times = sorted(v.eta_s for s in schedule.sorties for v in s.visits
                       if v.area == a.id and v.eta_s > now)  # fmt: skip
        marks = [last.get(a.id, 0.0), *times, schedule.horizon_s]
        ratio = max(b - x for x, b in zip(marks, marks[1:], strict=False)) / (
            a.revisit_minutes * 60
        )
        n += ratio <= 1 + 1e-9
        worst = max(worst, ratio)
    return n, worst


def unplanned(plan, fixed, free, now, fm):
    """The old schedule as the trouble leaves it: the sorties still to come that can no longer
    fly (drone lost, not free yet, or busy with a fixed sortie) are gone."""
    busy = [(s.drone, s.start_s - fm.swap_s, s.end_s + fm.swap_s) for s, _ in fixed]
    fixed_ids = {s.id for s, _ in fixed}
    rest = [
        s
        for s in plan.schedule.sorties
        if s.start_s > now
        and s.id not in fixed_ids
        and s.drone in free
        and s.start_s >= free[s.drone]
        and not any(d == s.drone and lo < s.end_s and s.start_s < hi for d, lo, hi in busy)
    ]
    return dataclasses.replace(plan.schedule, sorties=tuple([*(s for s, _ in fixed), *rest]))


def entropy_ratios(after, before, district) -> list[float]:
    """Each area's entropy of return times after / before (areas with some before)."""
    ratios = []
    was, now = visit_times(before), visit_times(after)
    for a in district.key_areas:
        e0 = return_time_entropy(was.get(a.id, []))
        e1 = return_time_entropy(now.get(a.id, []))
        if e0 > 0:
            ratios.append(e1 / e0)
    return ratios


def entropy_ratio(after, before, district) -> float:
    return statistics.mean(entropy_ratios(after, before, district))


def trouble(case, district, plan, now, fm):
    """The runner's arguments after ``case`` happened at ``now``."""
    fixed, last, free = runner_state(plan, now)
    upcoming = sorted(
        (s for s in plan.schedule.sorties if s.start_s > now), key=lambda s: s.start_s
    )
    nxt = upcoming[0]
    if case.startswith("skip"):
        free[nxt.drone] = nxt.start_s + 600.0
    elif case.startswith("lost"):
        del free[nxt.drone]
    elif case == "rtl":
        flying = [(s, m) for s, m in fixed if s.end_s > now]
        if flying:
            s, m = flying[0]
            cut = dataclasses.replace(s, end_s=now + 120.0,
                                      visits=tuple(v for v in s.visits if v.eta_s <= now))  # fmt: skip
            fixed = [(cut, m) if x.id == s.id else (x, y) for x, y in fixed]
            free[s.drone] = now + 120.0 + fm.swap_s
    elif case == "check":
        cell = district.cell(45).shape.representative_point()
        drone = min(free, key=lambda d: max([now, *(s.end_s for s, _ in fixed if s.drone == d)]))
        start = check_start(fixed, drone, now, fm)
        site = nearest_site(district, cell.x, cell.y, margin_m=ALT["margin_m"])
        airborne = [(s, m) for s, m in fixed if s.end_s > start]
        c = plan_check(district, task_id="bench", x=cell.x, y=cell.y, drone=drone, site=site,
                       start_s=start, flight_model=fm, traffic=airborne, **ALT)  # fmt: skip
        fixed = [*fixed, (c.sortie, c.mission)]
    return fixed, last, free


def main() -> None:
    district = load_district(DISTRICT)
    fms = {
        "": FlightModel(),
        "/slow": FlightModel(endurance_min=24.0, reserve=0.30, swap_min=15.0),
        "/long": FlightModel(endurance_min=22.0, reserve=0.30),
    }
    replan_fms = {"/long": FlightModel(endurance_min=22.0 / 1.13, reserve=0.30)}
    plans = {}
    for key, fm in fms.items():
        try:
            plans[key] = plan_patrol(district, hours=24.0, drones=2, start=START, flight_model=fm,
                                     seed=1, **ALT)  # fmt: skip
        except PlanError as exc:
            print(f"day plan{key}: {exc}")
    print("Re-planning the rest of a 24 h day, 2 drones, example district")
    print(f"{'case':<12}{'at':>5}{'replan s':>10}{'worst s':>9}{'kept as was':>13}"
          f"{'kept after':>12}{'worst gap/limit':>17}{'entropy after/before':>22}")  # fmt: skip
    for case in CASES:
        key = next((k for k in fms if k and case.endswith(k)), "")
        if key not in plans:
            continue
        plan, fm = plans[key], replan_fms.get(key, fms[key])
        for hours in MOMENTS_H:
            now = hours * 3600.0
            fixed, last, free = trouble(case, district, plan, now, fm)
            before, _ = kept(unplanned(plan, fixed, free, now, fm), district, last, now)
            times, results = [], []
            for seed in SEEDS:
                t = time.perf_counter()
                r = replan_rest(district, schedule=plan.schedule, now_s=now, last_visit_s=last,
                                drone_free_at=free, fixed=fixed, flight_model=fm, seed=seed,
                                **ALT)  # fmt: skip
                times.append(time.perf_counter() - t)
                results.append(r)
            r = results[0]
            after, worst = kept(r.schedule, district, last, now)
            assert after == len(district.key_areas) - len(r.at_risk)
            ent = entropy_ratio(r.schedule, plan.schedule, district)
            print(f"{case:<12}{hours:>4.0f}h{statistics.median(times):>10.2f}{max(times):>9.2f}"
                  f"{before:>10}/{len(district.key_areas)}{after:>9}/{len(district.key_areas)}"
                  f"{worst:>17.2f}{ent:>22.2f}")  # fmt: skip
            for x in r.at_risk:
                print(
                    f"{'':<17}- {x.area}: {x.worst_gap_min:.1f} min > {x.limit_min:g}; {x.reason}"
                )
    print()
    fm = fms[""]
    arrival, skipped = [], 0
    for cell in district.cells:
        p = cell.shape.representative_point()
        try:
            site = nearest_site(district, p.x, p.y, margin_m=ALT["margin_m"])
        except PlanError:
            skipped += 1
            continue
        c = plan_check(district, task_id=f"c{cell.id}", x=p.x, y=p.y, drone="drone-1", site=site,
                       start_s=0.0, flight_model=fm, **ALT)  # fmt: skip
        arrival.append(c.to_point_s)
    arrival.sort()
    q = statistics.quantiles(arrival, n=10)
    print(f"check task, take-off -> over the point (middle of each of {len(arrival)} cells, "
          f"{skipped} refused: no-fly), 10 m/s: min {arrival[0]:.0f} s, median "
          f"{statistics.median(arrival):.0f} s, p90 {q[-1]:.0f} s, max {arrival[-1]:.0f} s "
          f"(goal <= 300 s)")  # fmt: skip


if __name__ == "__main__":
    main()
