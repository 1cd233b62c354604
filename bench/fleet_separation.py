"""How fast patrol schedules over the sample district are layered and checked for separation.

For each horizon and fleet size: the planner's randomised patrol (seeded), the loss-of-separation
check on the planner's single altitude, then ``layer_schedule`` (layers, RTL layers, ground holds
at shared pads) and the check again on the result. Run: .venv/bin/python bench/fleet_separation.py
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from pathlib import Path

from mission.deconflict import check_schedule, layer_schedule
from mission.errors import PlanError
from mission.flight_model import FlightModel
from mission.formats.district_geojson import load_district
from mission.patrol.base import PatrolProblem
from mission.patrol.randomized import RandomizedPatrol
from mission.sortie import route_to_mission

DISTRICT = Path(__file__).resolve().parent.parent / "examples" / "xiyuan" / "district.geojson"
START = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


def main() -> None:
    district = load_district(DISTRICT)
    fm = FlightModel()
    head = ("hours", "drones", "seed", "sorties", "conflicts@60m", "layers", "held", "layer s",
            "check s", "after")  # fmt: skip
    print(" | ".join(head))
    for hours in (6, 24):
        for drones in (2, 3, 4, 5):
            for seed in (1, 2):
                problem = PatrolProblem(district, hours, drones, START, fm, 60.0, 120.0, 15.0)
                plan = RandomizedPatrol(random.Random(seed), seed).plan(problem)
                missions = {
                    s.id: route_to_mission(plan.routes[s.id], district, s.alt_m)
                    for s in plan.schedule.sorties
                }
                t0 = time.perf_counter()
                before = check_schedule(plan.schedule, missions, speeds=fm, district=district)
                t1 = time.perf_counter()
                try:
                    layered, flown = layer_schedule(
                        plan.schedule, missions, speeds=fm, district=district, seed=seed
                    )
                except PlanError as exc:
                    print(f"{hours} | {drones} | {seed} | refused: {exc}")
                    continue
                t2 = time.perf_counter()
                after = check_schedule(layered, flown, speeds=fm, district=district)
                held = sum(
                    a.start_s != b.start_s
                    for a, b in zip(layered.sorties, plan.schedule.sorties, strict=True)
                )
                row = (hours, drones, seed, len(plan.schedule.sorties), len(before),
                       len({s.alt_m for s in layered.sorties}), held, f"{t2 - t1:.2f}",
                       f"{t1 - t0:.2f}", len(after))  # fmt: skip
                print(" | ".join(str(x) for x in row))


if __name__ == "__main__":
    main()
